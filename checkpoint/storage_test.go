package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

const testJob = "a1b2c3d4e5f60718293a4b5c6d7e8f90"

var memSeq atomic.Int64

// storageBackend is one kind of bucket the storage tests run against.
type storageBackend struct {
	name string
	// dir returns a fresh, empty directory URL for one test.
	dir func(t *testing.T) string
}

// storageBackends are the buckets every storage test runs on: these and
// moreStorageBackends.
func storageBackends() []storageBackend {
	return append([]storageBackend{
		{"file", func(t *testing.T) string { return fileURL(t.TempDir()) }},
		{"path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "plain") }},
		{"mem", func(t *testing.T) string { return fmt.Sprintf("mem://test-%d/checkpoints", memSeq.Add(1)) }},
	}, moreStorageBackends...)
}

// moreStorageBackends are backends other test files add in their init,
// such as s3 (storage_s3_test.go), which needs a server.
var moreStorageBackends []storageBackend

func forEachBackend(t *testing.T, fn func(t *testing.T, dir string)) {
	for _, b := range storageBackends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.dir(t)) })
	}
}

func openTestStorage(t *testing.T, dir string) *Storage {
	t.Helper()
	s, err := OpenStorage(t.Context(), dir, testJob)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeCheckpoint writes a checkpoint with one keyed subtask whose key
// groups 0..2 hold kgData, and returns its metadata.
func writeCheckpoint(t *testing.T, s *Storage, dir string, id int64, kgData ...string) *Metadata {
	t.Helper()
	ctx := t.Context()
	f, err := s.CreateStateFile(ctx, dir, StateFileName("count", 0, "keyed"))
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{f.Offset()}
	for _, d := range kgData {
		if _, err := f.Write([]byte(d)); err != nil {
			t.Fatal(err)
		}
		offs = append(offs, f.Offset())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	m := &Metadata{JobID: testJob, CheckpointID: id, Kind: KindCheckpoint, Operators: []snapshot.OperatorState{{
		UID: "count", Parallelism: 1, MaxParallelism: len(kgData),
		Subtasks: []snapshot.SubtaskState{{Index: 0, Keyed: &snapshot.KeyedHandle{
			File: f.Name(), KeyGroups: keygroup.Range{Start: 0, End: len(kgData) - 1}, Offsets: offs}}},
	}}}
	if err := s.WriteMetadata(ctx, dir, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStorageRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dir string) {
		ctx := t.Context()
		s := openTestStorage(t, dir)
		norm, _ := NormalizeDir(dir)
		if want := norm + "/" + testJob + "/chk-4"; s.CheckpointDir(4) != want {
			t.Fatalf("CheckpointDir(4) = %q, want %q", s.CheckpointDir(4), want)
		}
		chk := s.CheckpointDir(4)
		writeCheckpoint(t, s, chk, 4, "alpha", "", "gamma!")

		for _, p := range []string{chk, chk + "/", chk + "/_metadata", "chk-4", "chk-4/_metadata"} {
			m, err := s.ReadMetadata(ctx, p)
			if err != nil {
				t.Fatalf("ReadMetadata(%q): %v", p, err)
			}
			if m.CheckpointID != 4 || m.Version != FormatVersion {
				t.Fatalf("ReadMetadata(%q) = %+v", p, m)
			}
		}
		m, _ := s.ReadMetadata(ctx, chk)
		h := m.Operators[0].Subtasks[0].Keyed
		for kg, want := range []string{"alpha", "", "gamma!"} {
			start, end := h.Span(kg)
			got, err := s.ReadRange(ctx, chk, h.File, start, end-start)
			if err != nil || string(got) != want {
				t.Errorf("key group %d = %q, %v; want %q", kg, got, err, want)
			}
		}
		if all, err := s.ReadRange(ctx, "chk-4", h.File, 0, -1); err != nil || string(all) != "alphagamma!" {
			t.Errorf("whole file = %q, %v", all, err)
		}
		if _, err := s.ReadRange(ctx, chk, h.File, 8, 10); !errors.Is(err, ErrCorrupt) {
			t.Errorf("reading past the end: %v, want ErrCorrupt", err)
		}
		if _, err := s.ReadRange(ctx, chk, "missing", 0, -1); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), chk) {
			t.Errorf("missing file: %v", err)
		}
		if ids, err := s.Checkpoints(ctx); err != nil || fmt.Sprint(ids) != "[4]" {
			t.Errorf("Checkpoints = %v, %v", ids, err)
		}

		sn, err := OpenSnapshot(ctx, chk+"/_metadata")
		if err != nil {
			t.Fatal(err)
		}
		defer sn.Close()
		if got, err := sn.ReadRange(ctx, h.File, 0, 5); err != nil || string(got) != "alpha" || sn.Dir != chk {
			t.Errorf("snapshot read %q, %v, dir %s", got, err, sn.Dir)
		}
	})
}

func TestStorageAbortAndMissing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dir string) {
		ctx := t.Context()
		s := openTestStorage(t, dir)
		chk := s.CheckpointDir(1)
		f, err := s.CreateStateFile(ctx, chk, "half")
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("partial"))
		f.Abort()
		if _, err := s.ReadRange(ctx, chk, "half", 0, -1); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("aborted state file is visible: %v", err)
		}
		_, err = s.ReadMetadata(ctx, chk)
		if !errors.Is(err, ErrNoMetadata) || !strings.Contains(err.Error(), chk) {
			t.Errorf("ReadMetadata of incomplete checkpoint: %v", err)
		}
		if _, err := s.CreateStateFile(ctx, chk, MetadataFile); err == nil {
			t.Error("a state file may not be named _metadata")
		}
		if _, err := s.CreateStateFile(ctx, chk, "../escape"); err == nil {
			t.Error("a state file name may not leave the directory")
		}
		if _, err := s.Latest(ctx); !errors.Is(err, ErrNoCheckpoint) {
			t.Errorf("Latest of an empty job: %v", err)
		}
	})
}

func TestStorageDiscard(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dir string) {
		ctx := t.Context()
		s := openTestStorage(t, dir)
		writeCheckpoint(t, s, s.CheckpointDir(1), 1, "a")
		writeCheckpoint(t, s, s.CheckpointDir(2), 2, "b")
		if err := s.Discard(ctx, s.CheckpointDir(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Discard(ctx, "chk-1"); err != nil {
			t.Fatalf("discarding twice: %v", err)
		}
		if ids, _ := s.Checkpoints(ctx); fmt.Sprint(ids) != "[2]" {
			t.Errorf("after discard: %v", ids)
		}
		if _, err := s.ReadMetadata(ctx, "chk-2"); err != nil {
			t.Errorf("neighbour damaged: %v", err)
		}
		if l, _ := parseLocation(s.CheckpointDir(1)); l.scheme == "file" {
			if _, err := os.Stat(l.osPath()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("directory of discarded checkpoint remains: %v", err)
			}
		}
		for _, bad := range []string{"", dir} {
			if err := s.Discard(ctx, bad); err == nil {
				t.Errorf("Discard(%q) accepted", bad)
			}
		}
		if ids, _ := s.Checkpoints(ctx); fmt.Sprint(ids) != "[2]" {
			t.Errorf("refused discard deleted something: %v", ids)
		}
	})
}

func TestStorageSavepointOutsideRoot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dir string) {
		ctx := t.Context()
		s := openTestStorage(t, dir)
		spRoot := fileURL(t.TempDir())
		if strings.HasPrefix(dir, "mem://") {
			spRoot = fmt.Sprintf("mem://sp-%d/savepoints", memSeq.Add(1))
		}
		sp, err := JoinDir(spRoot, "savepoint-a1b2c3-00ff00ff00ff")
		if err != nil {
			t.Fatal(err)
		}
		m := writeCheckpoint(t, s, sp, 9, "x", "yy")
		m.Kind = KindSavepoint
		if err := s.WriteMetadata(ctx, sp, m); err != nil {
			t.Fatal(err)
		}
		sn, err := OpenSnapshot(ctx, sp)
		if err != nil {
			t.Fatal(err)
		}
		defer sn.Close()
		if sn.Metadata.Kind != KindSavepoint {
			t.Errorf("kind %v", sn.Metadata.Kind)
		}
		if got, err := sn.ReadRange(ctx, m.Operators[0].Subtasks[0].Keyed.File, 1, 2); err != nil || string(got) != "yy" {
			t.Errorf("read %q, %v", got, err)
		}
		if ids, _ := s.Checkpoints(ctx); len(ids) != 0 {
			t.Errorf("savepoint landed among the checkpoints: %v", ids)
		}
		if err := s.Discard(ctx, sp); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenSnapshot(ctx, sp); !errors.Is(err, ErrNoMetadata) {
			t.Errorf("discarded savepoint still opens: %v", err)
		}
	})
}

func TestLatestFallsBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dir string) {
		ctx := t.Context()
		s := openTestStorage(t, dir)
		writeCheckpoint(t, s, "chk-1", 1, "one")
		writeCheckpoint(t, s, "chk-2", 2, "two")
		writeRaw := func(chk, content string) {
			p, err := s.resolve(ctx, chk, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.bucket.WriteAll(ctx, p.key(MetadataFile), []byte(content), nil); err != nil {
				t.Fatal(err)
			}
		}
		good, _ := (&Metadata{CheckpointID: 3, Kind: KindCheckpoint}).MarshalBinary()
		writeRaw("chk-3", string(good[:len(good)-1]))                      // truncated
		writeRaw("chk-10", string(reencode(5, []byte("{}"))))              // newer format
		writeCheckpoint(t, s, "chk-11", 7, "wrong id")                     // metadata of another checkpoint
		f, _ := s.CreateStateFile(ctx, "chk-12", "state-without-metadata") // incomplete
		f.Write([]byte("x"))
		f.Close()

		l, err := s.Latest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if l.ID != 2 || l.Dir != s.CheckpointDir(2) || l.Metadata.CheckpointID != 2 {
			t.Fatalf("Latest = %+v", l)
		}
		wantSkipped := []struct {
			sentinel error
			dir, msg string
		}{
			{ErrNoMetadata, "chk-12", "not a completed checkpoint"},
			{ErrCorrupt, "chk-11", "names checkpoint 7"},
			{ErrUnknownVersion, "chk-10", "upgrade weir"},
			{ErrCorrupt, "chk-3", "does not match the file size"},
		}
		if len(l.Skipped) != len(wantSkipped) {
			t.Fatalf("skipped %v", l.Skipped)
		}
		for i, w := range wantSkipped {
			err := l.Skipped[i]
			if !errors.Is(err, w.sentinel) || !strings.Contains(err.Error(), s.JobDir()+"/"+w.dir) ||
				!strings.Contains(err.Error(), w.msg) {
				t.Errorf("skipped[%d] = %v; want %v naming %s with %q", i, err, w.sentinel, w.dir, w.msg)
			}
		}

		viaDir, err := LatestCheckpoint(ctx, s.JobDir())
		if err != nil || viaDir.ID != 2 {
			t.Errorf("LatestCheckpoint = %+v, %v", viaDir, err)
		}
	})
}

func TestOpenStorageErrors(t *testing.T) {
	ctx := t.Context()
	tests := []struct{ dir, job, err string }{
		{t.TempDir(), "", "cannot name a directory"},
		{t.TempDir(), "a/b", "cannot name a directory"},
		{"hdfs://nn/x", testJob, "unsupported storage scheme"},
	}
	for _, tt := range tests {
		if _, err := OpenStorage(ctx, tt.dir, tt.job); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("OpenStorage(%q, %q) = %v, want %q", tt.dir, tt.job, err, tt.err)
		}
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := OpenSnapshot(ctx, missing); !errors.Is(err, ErrNoMetadata) {
		t.Errorf("OpenSnapshot of a missing dir: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenSnapshot created the directory it was asked to read")
	}
	if _, err := LatestCheckpoint(ctx, missing); err == nil {
		t.Error("LatestCheckpoint of a missing dir succeeded")
	}
}

// The context given to CreateStateFile bounds the write.
func TestStateFileCancelled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dir string) {
		s := openTestStorage(t, dir)
		ctx, cancel := context.WithCancel(t.Context())
		f, err := s.CreateStateFile(ctx, "chk-1", "f")
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("data"))
		cancel()
		if err := f.Close(); err == nil {
			t.Error("Close after cancel succeeded")
		}
		if _, err := s.ReadRange(t.Context(), "chk-1", "f", 0, -1); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cancelled file visible: %v", err)
		}
	})
}
