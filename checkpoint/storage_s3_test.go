package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"

	"github.com/weirstream/weir/internal/s3test"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

// The storage and driver tests that run on every backend (forEachBackend)
// run on S3 too, against a MinIO server per test. The tests below add what
// only an object store has: locations whose URL carries driver parameters
// (?endpoint=...&region=...), as a MinIO or other non-AWS store needs,
// multipart uploads, prefixes that share a beginning, and a server that
// goes away.
//
// s3test.Start sets credentials with t.Setenv, so none of these tests may
// call t.Parallel.

func init() {
	moreStorageBackends = append(moreStorageBackends, storageBackend{"s3", s3EnvDir})
}

var s3Seq atomic.Int64

// s3EnvDir starts a MinIO server for t and returns a fresh s3://bucket/prefix
// directory on it without URL parameters: the endpoint and region come from
// the environment, as on a machine configured for S3. The shared tests
// build locations by appending to the directory string, which a URL with a
// query does not allow.
func s3EnvDir(t *testing.T) string {
	if strings.HasPrefix(t.Name(), "TestDriverPeriodicCheckpoints/") {
		// Its fake runtime keeps writing the state files of the pending
		// checkpoint after JobStopped, so on a store as slow as S3 they
		// often land after the driver discarded the checkpoint and are
		// left behind. TestS3DriverRetention covers retention on S3.
		t.Skip("s3: the fake runtime writes state after the job stopped")
	}
	srv := s3test.Start(t)
	bucket := fmt.Sprintf("weir-test-%d", s3Seq.Add(1))
	srv.CreateBucket(bucket)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	t.Setenv("AWS_REGION", s3test.Region)
	return "s3://" + bucket + "/checkpoints"
}

// s3Dir is the location prefix in bucket on srv as a URL with the
// server's parameters: s3://bucket/prefix?endpoint=...&region=...
func s3Dir(t *testing.T, srv *s3test.Server, bucket, prefix string) string {
	t.Helper()
	u, err := url.Parse(srv.URL(bucket))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + prefix
	return u.String()
}

func joinDir(t *testing.T, dir, elem string) string {
	t.Helper()
	d, err := JoinDir(dir, elem)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// keys lists the object keys below prefix in b, sorted.
func keys(t *testing.T, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var out []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, obj.Key)
	}
	slices.Sort(out)
	return out
}

// A checkpoint on S3 at a URL with parameters: state files become visible
// only when closed, a directory without _metadata is not a checkpoint,
// every way of naming the checkpoint (directory, _metadata file, relative
// name, job directory) reads it back, and the bucket holds exactly the
// documented layout.
func TestS3StorageLayout(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-layout")
	bucket := srv.OpenBucket("weir-layout")
	ctx := t.Context()
	dir := s3Dir(t, srv, "weir-layout", "team/checkpoints")
	s := openTestStorage(t, dir)

	query := srv.URL("weir-layout")[strings.Index(srv.URL("weir-layout"), "?"):]
	chk := s.CheckpointDir(3)
	if want := "s3://weir-layout/team/checkpoints/" + testJob + "/chk-3" + query; chk != want {
		t.Fatalf("CheckpointDir(3) = %q, want %q", chk, want)
	}

	f, err := s.CreateStateFile(ctx, chk, StateFileName("count", 0, "keyed"))
	if err != nil {
		t.Fatal(err)
	}
	kgData := []string{"alpha", "", "gamma!"}
	offs := []int64{0}
	for _, d := range kgData {
		if _, err := f.Write([]byte(d)); err != nil {
			t.Fatal(err)
		}
		offs = append(offs, f.Offset())
	}
	if _, err := s.ReadRange(ctx, chk, f.Name(), 0, -1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state file visible before Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// State files alone do not make a checkpoint.
	if _, err := s.Latest(ctx); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("Latest before _metadata: %v, want ErrNoCheckpoint", err)
	}
	if _, err := s.ReadMetadata(ctx, chk); !errors.Is(err, ErrNoMetadata) || !strings.Contains(err.Error(), chk) {
		t.Errorf("ReadMetadata before _metadata: %v, want ErrNoMetadata naming %s", err, chk)
	}
	m := &Metadata{JobID: testJob, CheckpointID: 3, Kind: KindCheckpoint, Operators: []snapshot.OperatorState{{
		UID: "count", Parallelism: 1, MaxParallelism: 3,
		Subtasks: []snapshot.SubtaskState{{Index: 0, Keyed: &snapshot.KeyedHandle{
			File: f.Name(), KeyGroups: keygroup.Range{Start: 0, End: 2}, Offsets: offs}}},
	}}}
	if err := s.WriteMetadata(ctx, chk, m); err != nil {
		t.Fatal(err)
	}

	metaURL := joinDir(t, chk, MetadataFile)
	for _, p := range []string{chk, metaURL, "chk-3", "chk-3/_metadata"} {
		got, err := s.ReadMetadata(ctx, p)
		if err != nil || got.CheckpointID != 3 {
			t.Fatalf("ReadMetadata(%q) = %+v, %v", p, got, err)
		}
	}
	for kg, want := range kgData {
		h := m.Operators[0].Subtasks[0].Keyed
		start, end := h.Span(kg)
		if got, err := s.ReadRange(ctx, chk, h.File, start, end-start); err != nil || string(got) != want {
			t.Errorf("key group %d = %q, %v; want %q", kg, got, err, want)
		}
	}
	if l, err := s.Latest(ctx); err != nil || l.ID != 3 || l.Dir != chk {
		t.Errorf("Latest = %+v, %v", l, err)
	}
	if l, err := LatestCheckpoint(ctx, s.JobDir()); err != nil || l.ID != 3 {
		t.Errorf("LatestCheckpoint(%s) = %+v, %v", s.JobDir(), l, err)
	}

	sn, err := OpenSnapshot(ctx, metaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	if got, err := sn.ReadRange(ctx, f.Name(), 5, 6); err != nil || string(got) != "gamma!" || sn.Dir != chk {
		t.Errorf("snapshot read %q, %v, dir %s", got, err, sn.Dir)
	}
	missing := joinDir(t, s.JobDir(), "chk-4")
	if _, err := OpenSnapshot(ctx, missing); !errors.Is(err, ErrNoMetadata) || !strings.Contains(err.Error(), missing) {
		t.Errorf("OpenSnapshot of a missing checkpoint: %v, want ErrNoMetadata naming %s", err, missing)
	}

	prefix := "team/checkpoints/" + testJob + "/chk-3/"
	if got, want := keys(t, bucket, ""), []string{prefix + MetadataFile, prefix + "count-0-keyed"}; !slices.Equal(got, want) {
		t.Errorf("bucket holds %q, want %q", got, want)
	}
}

// State files bigger than an upload part go up as multipart uploads: a
// range read across part boundaries returns the bytes written, and an
// aborted file leaves neither an object nor an unfinished upload (which S3
// would keep, and bill, until a lifecycle rule removes it).
func TestS3StorageMultipart(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-multipart")
	bucket := srv.OpenBucket("weir-multipart")
	ctx := t.Context()
	s := openTestStorage(t, s3Dir(t, srv, "weir-multipart", "ckpts"))

	const part = 5 << 20 // the smallest part S3 allows, the uploader's default
	data := make([]byte, 2*part+1234)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	write := func(name string) *StateFile {
		t.Helper()
		f, err := s.CreateStateFile(ctx, "chk-1", name)
		if err != nil {
			t.Fatal(err)
		}
		for chunk := range slices.Chunk(data, 1<<20) {
			if _, err := f.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}

	f := write("big")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ off, n int64 }{{part - 10, 20}, {0, part + 1}, {2*part - 3, 1000}, {int64(len(data)) - 5, 5}} {
		got, err := s.ReadRange(ctx, "chk-1", "big", r.off, r.n)
		if err != nil || !bytes.Equal(got, data[r.off:r.off+r.n]) {
			t.Errorf("ReadRange(%d, %d) = %d bytes, %v; want the written bytes", r.off, r.n, len(got), err)
		}
	}
	if all, err := s.ReadRange(ctx, "chk-1", "big", 0, -1); err != nil || !bytes.Equal(all, data) {
		t.Errorf("whole file: %d bytes, %v; want %d", len(all), err, len(data))
	}

	write("aborted").Abort()
	if _, err := s.ReadRange(ctx, "chk-1", "aborted", 0, 1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("aborted file visible: %v", err)
	}
	var client *s3.Client
	if !bucket.As(&client) {
		t.Fatal("bucket is not backed by an S3 client")
	}
	name := "weir-multipart"
	// The abort of an upload may still be on its way when Abort returns.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &name})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Uploads) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var left []string
			for _, u := range out.Uploads {
				left = append(left, *u.Key)
			}
			t.Fatalf("unfinished multipart uploads left behind: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, want := keys(t, bucket, ""), []string{"ckpts/" + testJob + "/chk-1/big"}; !slices.Equal(got, want) {
		t.Errorf("bucket holds %q, want %q", got, want)
	}
}

// Latest passes over the newest checkpoints when their metadata is
// corrupt or missing, and says why, naming each one by its full URL.
func TestS3LatestFallsBack(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-latest")
	bucket := srv.OpenBucket("weir-latest")
	ctx := t.Context()
	s := openTestStorage(t, s3Dir(t, srv, "weir-latest", "ckpts"))

	writeCheckpoint(t, s, s.CheckpointDir(1), 1, "one")
	writeCheckpoint(t, s, s.CheckpointDir(2), 2, "two")
	good, err := (&Metadata{CheckpointID: 3, Kind: KindCheckpoint}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	jobKey := "ckpts/" + testJob + "/"
	if err := bucket.WriteAll(ctx, jobKey+"chk-3/_metadata", good[:len(good)-1], nil); err != nil {
		t.Fatal(err)
	}
	if err := bucket.WriteAll(ctx, jobKey+"chk-4/state", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}

	l, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != 2 || l.Dir != s.CheckpointDir(2) {
		t.Fatalf("Latest = %+v", l)
	}
	want := []struct {
		sentinel error
		where    string
	}{
		{ErrNoMetadata, s.CheckpointDir(4)},
		{ErrCorrupt, joinDir(t, s.CheckpointDir(3), MetadataFile)},
	}
	if len(l.Skipped) != len(want) {
		t.Fatalf("skipped %v, want %d", l.Skipped, len(want))
	}
	for i, w := range want {
		if err := l.Skipped[i]; !errors.Is(err, w.sentinel) || !strings.Contains(err.Error(), w.where) {
			t.Errorf("skipped[%d] = %v; want %v naming %s", i, err, w.sentinel, w.where)
		}
	}
}

// Discarding chk-1 deletes its objects and nothing of chk-10 or chk-100,
// whose keys start with the same characters; the checkpoints directory
// and the bucket itself are refused.
func TestS3Discard(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-discard")
	bucket := srv.OpenBucket("weir-discard")
	ctx := t.Context()
	dir := s3Dir(t, srv, "weir-discard", "ckpts")
	s := openTestStorage(t, dir)
	for _, id := range []int64{1, 10, 100} {
		writeCheckpoint(t, s, s.CheckpointDir(id), id, "state")
	}
	if err := bucket.WriteAll(ctx, "ckpts/"+testJob+"/chk-1-notes", []byte("not a checkpoint"), nil); err != nil {
		t.Fatal(err)
	}
	before := keys(t, bucket, "")

	if err := s.Discard(ctx, s.CheckpointDir(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Discard(ctx, s.CheckpointDir(1)); err != nil {
		t.Errorf("discarding twice: %v", err)
	}
	var want []string
	for _, k := range before {
		if !strings.HasPrefix(k, "ckpts/"+testJob+"/chk-1/") {
			want = append(want, k)
		}
	}
	if got := keys(t, bucket, ""); !slices.Equal(got, want) || len(want) != len(before)-2 {
		t.Errorf("after discarding chk-1 the bucket holds %q, want %q", got, want)
	}
	if ids, err := s.Checkpoints(ctx); err != nil || fmt.Sprint(ids) != "[10 100]" {
		t.Errorf("Checkpoints = %v, %v", ids, err)
	}
	for _, bad := range []string{dir, srv.URL("weir-discard"), s3Dir(t, srv, "weir-discard", "")} {
		if err := s.Discard(ctx, bad); err == nil {
			t.Errorf("Discard(%q) accepted", bad)
		}
	}
	if got := keys(t, bucket, ""); !slices.Equal(got, want) {
		t.Errorf("a refused discard deleted objects: %q", got)
	}
}

// A savepoint written to another bucket of the same server is a complete
// snapshot there, stays out of the job's checkpoints, and is discarded
// without touching them.
func TestS3SavepointInOtherBucket(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-ckpts")
	srv.CreateBucket("weir-savepoints")
	ckpts, sps := srv.OpenBucket("weir-ckpts"), srv.OpenBucket("weir-savepoints")
	ctx := t.Context()
	s := openTestStorage(t, s3Dir(t, srv, "weir-ckpts", "ckpts"))
	writeCheckpoint(t, s, s.CheckpointDir(1), 1, "kept")

	sp := joinDir(t, s3Dir(t, srv, "weir-savepoints", "sp"), "savepoint-a1b2c3-00ff00ff00ff")
	m := writeCheckpoint(t, s, sp, 9, "x", "yy")
	m.Kind = KindSavepoint
	if err := s.WriteMetadata(ctx, sp, m); err != nil {
		t.Fatal(err)
	}
	sn, err := OpenSnapshot(ctx, joinDir(t, sp, MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	if sn.Metadata.Kind != KindSavepoint || sn.Dir != sp {
		t.Errorf("savepoint %+v in %s", sn.Metadata, sn.Dir)
	}
	if got, err := sn.ReadRange(ctx, m.Operators[0].Subtasks[0].Keyed.File, 1, 2); err != nil || string(got) != "yy" {
		t.Errorf("read %q, %v", got, err)
	}
	prefix := "sp/savepoint-a1b2c3-00ff00ff00ff/"
	if got, want := keys(t, sps, ""), []string{prefix + MetadataFile, prefix + "count-0-keyed"}; !slices.Equal(got, want) {
		t.Errorf("savepoint bucket holds %q, want %q", got, want)
	}
	if ids, err := s.Checkpoints(ctx); err != nil || fmt.Sprint(ids) != "[1]" {
		t.Errorf("Checkpoints = %v, %v", ids, err)
	}

	if err := s.Discard(ctx, sp); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, sps, ""); len(got) != 0 {
		t.Errorf("discarded savepoint left %q", got)
	}
	if _, err := OpenSnapshot(ctx, sp); !errors.Is(err, ErrNoMetadata) {
		t.Errorf("discarded savepoint still opens: %v", err)
	}
	if got := keys(t, ckpts, ""); len(got) != 2 {
		t.Errorf("checkpoint bucket after discarding the savepoint: %q", got)
	}
}

// ackUntil is a fakeRuntime whose tasks snapshot checkpoints up to last
// only; later ones stay pending until the job stops, and nothing writes
// to them, so what the bucket holds afterwards is the driver's doing.
type ackUntil struct {
	*fakeRuntime
	last int64
}

func (r ackUntil) TriggerTasks(b Barrier, tasks []TaskID) {
	if b.ID <= r.last {
		r.fakeRuntime.TriggerTasks(b, tasks)
	}
}

// The driver keeps state.checkpoints.num-retained checkpoints on S3 while
// the job runs, and what the retention policy says when it ends; every
// other object, including the pending checkpoint's, is deleted.
func TestS3DriverRetention(t *testing.T) {
	tests := []struct {
		name      string
		retention Retention
		cause     StopCause
		kept      []int64
	}{
		{"retain on cancellation", RetainOnCancellation, StopCanceled, []int64{3, 4}},
		{"no externalized, cancelled", NoExternalizedCheckpoints, StopCanceled, nil},
		{"no externalized, failed", NoExternalizedCheckpoints, StopFailed, nil},
		{"delete on cancellation, cancelled", DeleteOnCancellation, StopCanceled, nil},
		{"delete on cancellation, failed", DeleteOnCancellation, StopFailed, []int64{3, 4}},
	}
	srv := s3test.Start(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("weir-retention-%d", i)
			srv.CreateBucket(name)
			bucket := srv.OpenBucket(name)
			ctx := t.Context()
			s, err := OpenStorage(ctx, s3Dir(t, srv, name, "ckpts"), testJob)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			opts := driverOptions("")
			opts.Retention = tt.retention
			c, err := NewCoordinator(Config{
				Options: opts, JobID: testJob, JobDir: s.JobDir(), StartID: 1,
				Tasks: []Task{{ID: srcTask}, {ID: sinkTask, Inputs: []TaskID{srcTask}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			rt := newFakeRuntime(srcTask, sinkTask)
			d := NewDriver(c, s, ackUntil{rt, 4}, DriverOptions{})
			rt.d, rt.storage = d, s
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			d.Post(JobRunning{})
			rt.waitFor(t, "complete 4")
			// Retention while running keeps the two newest, 3 and 4; the
			// older ones are deleted in the background.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				ids, err := s.Checkpoints(ctx)
				if err == nil && fmt.Sprint(ids) == "[3 4]" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("while running: checkpoints %v, %v; want [3 4]", ids, err)
				}
			}
			d.Post(JobStopped{Cause: tt.cause})
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			rt.wg.Wait()

			if ids, err := s.Checkpoints(ctx); err != nil || !slices.Equal(ids, tt.kept) {
				t.Fatalf("checkpoints %v, %v; want %v", ids, err, tt.kept)
			}
			var want []string
			for _, id := range tt.kept {
				for _, name := range []string{MetadataFile, "op0-0-keyed", "op1-0-keyed"} {
					want = append(want, fmt.Sprintf("ckpts/%s/chk-%d/%s", testJob, id, name))
				}
			}
			if got := keys(t, bucket, ""); !slices.Equal(got, want) {
				t.Errorf("bucket holds %q, want %q", got, want)
			}
			if len(tt.kept) > 0 {
				if l, err := s.Latest(ctx); err != nil || l.ID != 4 {
					t.Errorf("Latest = %+v, %v; want checkpoint 4", l, err)
				}
			}
		})
	}
}

// When the server is gone, every storage operation fails, naming the
// location it worked on, instead of taking the missing store for an empty
// one: Latest must not report "no checkpoint" (a restart would then start
// over and replay committed output) and a read must not report a missing
// _metadata.
func TestS3ServerDown(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-down")
	ctx := t.Context()
	s := openTestStorage(t, s3Dir(t, srv, "weir-down", "ckpts"))
	m := writeCheckpoint(t, s, s.CheckpointDir(1), 1, "state")
	file := m.Operators[0].Subtasks[0].Keyed.File
	srv.Stop()
	chk, chk2 := s.CheckpointDir(1), s.CheckpointDir(2)
	// keyOf is the object key of a location. A failed state file names
	// only its key (through the blob error), not its location.
	keyOf := func(loc string) string {
		return strings.TrimPrefix(loc[:strings.IndexByte(loc, '?')], "s3://weir-down/")
	}

	tests := []struct {
		name  string
		where string
		op    func(ctx context.Context) error
	}{
		{"Latest", s.JobDir(), func(ctx context.Context) error { _, err := s.Latest(ctx); return err }},
		{"LatestCheckpoint", s.JobDir(), func(ctx context.Context) error {
			_, err := LatestCheckpoint(ctx, s.JobDir())
			return err
		}},
		{"ReadMetadata", joinDir(t, chk, MetadataFile), func(ctx context.Context) error {
			_, err := s.ReadMetadata(ctx, chk)
			return err
		}},
		{"OpenSnapshot", joinDir(t, chk, MetadataFile), func(ctx context.Context) error {
			sn, err := OpenSnapshot(ctx, chk)
			if err == nil {
				sn.Close()
			}
			return err
		}},
		{"ReadRange", chk, func(ctx context.Context) error {
			_, err := s.ReadRange(ctx, chk, file, 0, -1)
			return err
		}},
		{"WriteMetadata", joinDir(t, chk2, MetadataFile), func(ctx context.Context) error {
			return s.WriteMetadata(ctx, chk2, &Metadata{JobID: testJob, CheckpointID: 2, Kind: KindCheckpoint})
		}},
		{"StateFile", keyOf(chk2) + "/f", func(ctx context.Context) error {
			f, err := s.CreateStateFile(ctx, chk2, "f")
			if err != nil {
				return err
			}
			if _, err := f.Write([]byte("data")); err != nil {
				f.Abort()
				return err
			}
			return f.Close()
		}},
		{"Discard", chk, func(ctx context.Context) error { return s.Discard(ctx, chk) }},
	}
	// The SDK retries a refused connection with backoff (three attempts,
	// which gocloud fixes), seconds per operation; the operations run at
	// once so the test waits for the slowest only.
	const bound = 30 * time.Second
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	errs := make([]error, len(tests))
	var wg sync.WaitGroup
	for i, tt := range tests {
		wg.Go(func() { errs[i] = tt.op(ctx) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Errorf("the operations took longer than %v", bound)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errs[i]
			if err == nil {
				t.Fatal("succeeded with the server stopped")
			}
			if errors.Is(err, ErrNoCheckpoint) || errors.Is(err, ErrNoMetadata) || errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an unreachable store reads as an empty one: %v", err)
			}
			if !strings.Contains(err.Error(), tt.where) {
				t.Errorf("error does not name %s: %v", tt.where, err)
			}
			if !strings.Contains(err.Error(), "connection refused") {
				t.Errorf("error does not say the server refused the connection: %v", err)
			}
		})
	}
}
