package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/internal/s3test"
	"github.com/weirstream/weir/stream"
)

// partial is a running per-key total: the Reduce below emits one after
// every record, so the Count values a key emits are 1, 2, ... in order and
// the one with the highest Count is the key's final total.
type partial struct {
	Key, Sum, Count int64
}

const (
	s3Records = 6000
	s3Keys    = 10
	// s3Rate spreads the input over about two seconds, so the first run
	// completes a few checkpoints (every 50 ms) before it is cancelled.
	s3Rate = 3000
)

// buildSumJob builds numbers 0..s3Records-1 -> KeyBy(v % 10) -> running
// sum and count in keyed state -> out, with fixed UIDs so a restore maps
// the state.
func buildSumJob(cfg *config.Configuration, log *slog.Logger, out *collect.Sink[partial]) *stream.Environment {
	env := stream.NewEnvironment(cfg).SetParallelism(2).SetLogger(log)
	nums := stream.FromSource(env,
		datagen.New(s3Records, func(i int64) (int64, error) { return i, nil }, datagen.WithRateLimit(s3Rate)),
		eventtime.NoWatermarks[int64](), "numbers").UID("numbers")
	parts := stream.Map(nums, func(v int64) (partial, error) {
		return partial{Key: v % s3Keys, Sum: v, Count: 1}, nil
	}).UID("partials")
	sums := stream.Reduce(stream.KeyBy(parts, func(p partial) int64 { return p.Key }), func(a, b partial) (partial, error) {
		return partial{Key: a.Key, Sum: a.Sum + b.Sum, Count: a.Count + b.Count}, nil
	}).UID("sums")
	stream.SinkTo(sums, out).UID("out")
	return env
}

// syncBuffer collects the jobs' logs, written from their goroutines, to
// show when the test fails.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var metadataKey = regexp.MustCompile(`^checkpoints/([0-9a-f]+)/chk-(\d+)/_metadata$`)

// completedCheckpoints lists the checkpoints in b that have _metadata:
// the job directory's name and the highest checkpoint id.
func completedCheckpoints(ctx context.Context, b *blob.Bucket) (job string, newest int64, err error) {
	it := b.List(&blob.ListOptions{Prefix: "checkpoints/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return job, newest, nil
		}
		if err != nil {
			return "", 0, err
		}
		m := metadataKey.FindStringSubmatch(obj.Key)
		if m == nil {
			continue
		}
		id, _ := strconv.ParseInt(m[2], 10, 64)
		if job != "" && m[1] != job {
			return "", 0, fmt.Errorf("checkpoints of two jobs in the bucket: %s and %s", job, m[1])
		}
		job, newest = m[1], max(newest, id)
	}
}

// A keyed job checkpoints to S3 (MinIO) every 50 ms, is cancelled after a
// few checkpoints, and a second run restored from the newest retained
// checkpoint (an s3:// URL) finishes the input. The second run's running
// totals must continue exactly where the checkpointed state left off: for
// every key the counts it emits are c+1..n once each, where c is the
// restored count and n the key's number of records, and the final sums
// are the sums over the whole input, so every record counted exactly once.
func TestRestoreFromS3Checkpoint(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket("weir-e2e")
	bucket := srv.OpenBucket("weir-e2e")
	u, err := url.Parse(srv.URL("weir-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/checkpoints"
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("job logs:\n%s", logs.String())
		}
	})
	newConfig := func(restore string) *config.Configuration {
		t.Helper()
		cfg := config.New()
		props := map[string]string{
			"execution.checkpointing.interval":                          "50ms",
			"state.checkpoints.dir":                                     u.String(),
			"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
			// A failure must fail the test, not be hidden by a restart.
			"restart-strategy.type": "none",
			"rest.port":             "0",
		}
		if restore != "" {
			props["execution.savepoint.path"] = restore
		}
		if err := cfg.SetAll(props); err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	// Run 1: checkpoint a few times, then cancel.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	first := collect.New[partial]()
	env := buildSumJob(newConfig(""), log, first)
	go func() { done <- env.Execute(ctx, "s3-sums") }()
	var job string
	var newest int64
	deadline := time.Now().Add(20 * time.Second)
	for newest < 3 {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("the first run ended before its third checkpoint (newest %d): %v; "+
				"raise s3Records or lower s3Rate", newest, err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no third checkpoint in the bucket within 20s (newest %d)", newest)
		}
		time.Sleep(20 * time.Millisecond)
		if job, newest, err = completedCheckpoints(ctx, bucket); err != nil {
			cancel()
			<-done
			t.Fatal(err)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("first run after cancel: %v, want context.Canceled", err)
	}
	firstCount := first.Len()
	if firstCount >= s3Records {
		t.Fatalf("the first run processed all %d records before it was cancelled; raise s3Records or lower s3Rate", s3Records)
	}

	// The checkpoint to restore: the newest with _metadata, as listed and
	// as the checkpoint package finds it through the job directory URL.
	jobDir, err := checkpoint.JoinDir(u.String(), job)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := checkpoint.LatestCheckpoint(t.Context(), jobDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, listed, _ := completedCheckpoints(t.Context(), bucket); latest.ID != listed || latest.ID < 3 {
		t.Fatalf("LatestCheckpoint(%s) = chk-%d, the bucket's newest is chk-%d", jobDir, latest.ID, listed)
	}
	t.Logf("first run: %d results, cancelled after chk-%d; restoring %s", firstCount, latest.ID, latest.Dir)

	// Run 2: restore and run to the end of the input.
	second := collect.New[partial]()
	runCtx, stop := context.WithTimeout(t.Context(), time.Minute)
	defer stop()
	if err := buildSumJob(newConfig(latest.Dir), log, second).Execute(runCtx, "s3-sums"); err != nil {
		t.Fatalf("restored run: %v", err)
	}

	var wantSum, wantCount [s3Keys]int64
	for v := range int64(s3Records) {
		wantSum[v%s3Keys] += v
		wantCount[v%s3Keys]++
	}
	counts := map[int64][]int64{}
	final := map[int64]partial{}
	for _, p := range second.Values() {
		counts[p.Key] = append(counts[p.Key], p.Count)
		if p.Count > final[p.Key].Count {
			final[p.Key] = p
		}
	}
	restored := int64(0)
	for k := range int64(s3Keys) {
		if got := final[k]; got.Sum != wantSum[k] || got.Count != wantCount[k] {
			t.Errorf("key %d: final sum %d over %d records, want %d over %d", k, got.Sum, got.Count, wantSum[k], wantCount[k])
		}
		// Per key the second run emits counts c+1..n in order; c, the
		// restored count, is what the checkpoint held.
		cs := counts[k]
		if len(cs) == 0 {
			t.Errorf("key %d: no results in the restored run", k)
			continue
		}
		c := cs[0] - 1
		restored += c
		for i, got := range cs {
			if want := c + 1 + int64(i); got != want {
				t.Errorf("key %d: result %d has count %d, want %d (counts %v...)", k, i, got, want, cs[:min(len(cs), 10)])
				break
			}
		}
	}
	if restored == 0 {
		t.Errorf("the restored run started from empty state: nothing was restored from %s", latest.Dir)
	}
	if got := restored + int64(second.Len()); got != s3Records {
		t.Errorf("restored counts (%d) plus records of the second run (%d) = %d, want %d", restored, second.Len(), got, s3Records)
	}
	t.Logf("restored %d records' worth of state; the second run processed %d", restored, second.Len())
}
