package stream_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/filesink"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// checkpointedEnv returns an environment checkpointing every 30 ms into a
// temporary directory, with extra options.
func checkpointedEnv(t *testing.T, p int, opts map[string]string) *stream.Environment {
	t.Helper()
	env := quietEnv(p)
	all := map[string]string{
		"execution.checkpointing.interval": "30ms",
		"state.checkpoints.dir":            t.TempDir(),
		"rest.port":                        "0",
	}
	for k, v := range opts {
		all[k] = v
	}
	for k, v := range all {
		if err := env.Config().Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// sumsJob builds datagen 0..n-1 (rate-limited, so it runs for a while) →
// fail → keyBy(v%10) → running sum → collect; fail may panic.
func sumsJob(env *stream.Environment, n int64, fail func(v int64)) *collect.Sink[kv64] {
	nums := stream.FromSource(env, datagen.New(n, func(i int64) (int64, error) { return i, nil }, datagen.WithRateLimit(float64(n))),
		eventtime.NoWatermarks[int64](), "nums")
	checked := stream.Map(nums, func(v int64) (kv64, error) { fail(v); return kv64{K: v % 10, V: v}, nil }).Name("fail once")
	sums := stream.Reduce(stream.KeyBy(checked, func(p kv64) int64 { return p.K }), func(a, b kv64) (kv64, error) {
		return kv64{K: a.K, V: a.V + b.V}, nil
	}).UID("sums")
	out := collect.New[kv64]()
	stream.SinkTo(sums, out)
	return out
}

type kv64 struct{ K, V int64 }

// A failing task restarts the job from the latest completed checkpoint:
// keyed state and source positions come back together, so every key's
// final sum is exact.
func TestRestartFromLatestCheckpoint(t *testing.T) {
	const n = 3000
	env := checkpointedEnv(t, 2, map[string]string{
		"restart-strategy.type":                 "fixed-delay",
		"restart-strategy.fixed-delay.attempts": "2",
		"restart-strategy.fixed-delay.delay":    "10ms",
	})
	var failed atomic.Bool
	out := sumsJob(env, n, func(v int64) {
		if v == n/2 && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
	})
	execute(t, env)
	if !failed.Load() {
		t.Fatal("the injected failure never happened")
	}
	final := map[int64]int64{}
	for _, r := range out.Values() {
		final[r.K] = max(final[r.K], r.V)
	}
	for k := range int64(10) {
		var want int64
		for v := k; v < n; v += 10 {
			want += v
		}
		if final[k] != want {
			t.Errorf("key %d: final sum %d, want %d (state and source must restore from the same checkpoint)", k, final[k], want)
		}
	}
}

// When the restart strategy gives up, the job fails saying which limit
// stopped it.
func TestRestartStrategyGivesUp(t *testing.T) {
	env := checkpointedEnv(t, 1, map[string]string{
		"restart-strategy.type":                 "fixed-delay",
		"restart-strategy.fixed-delay.attempts": "2",
		"restart-strategy.fixed-delay.delay":    "1ms",
	})
	var failures atomic.Int32
	sumsJob(env, 100, func(v int64) {
		if v == 5 {
			failures.Add(1)
			panic("always fails")
		}
	})
	err := executeErr(env)
	if err == nil || !strings.Contains(err.Error(), "fixed-delay") || !strings.Contains(err.Error(), "always fails") {
		t.Fatalf("err = %v, want the restart strategy's verdict and the cause", err)
	}
	if got := failures.Load(); got != 3 {
		t.Fatalf("%d attempts failed, want 3 (the first and 2 restarts)", got)
	}
}

// syncBuffer is a log destination tests read while the job writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`REST API listening"? url=(\S+)`)

// The REST API of a running job: overview, details, checkpoint statistics
// and configuration, a savepoint, and cancel.
func TestRESTAPIOfRunningJob(t *testing.T) {
	env := checkpointedEnv(t, 2, nil)
	var logs syncBuffer
	env.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	sumsJob(env, 1_000_000, func(int64) {})
	wait := startJob(t, env)
	ctx := context.Background()
	c, id := restClient(t, &logs)
	jobs, err := c.JobsOverview(ctx)
	if err != nil || len(jobs) != 1 || jobs[0].State != rest.JobRunning {
		t.Fatalf("jobs overview = %+v, %v; want one running job", jobs, err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id.String()) {
		t.Fatalf("job id %q is not 32 lowercase hex characters", id)
	}
	details, err := c.Job(ctx, id)
	if err != nil || len(details.Vertices) == 0 {
		t.Fatalf("job details = %+v, %v", details, err)
	}
	eventually(t, "a completed checkpoint", func() bool {
		st, err := c.Checkpoints(ctx, id)
		return err == nil && st.Counts.Completed > 0 && st.Latest.Completed != nil
	})
	if cfg, err := c.CheckpointConfig(ctx, id); err != nil || cfg.Interval != 30 || cfg.Mode != rest.ExactlyOnce {
		t.Fatalf("checkpoint config = %+v, %v", cfg, err)
	}
	trigger, err := c.TriggerSavepoint(ctx, id, rest.SavepointRequest{TargetDirectory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var location string
	eventually(t, "the savepoint", func() bool {
		op, err := c.SavepointStatus(ctx, id, trigger)
		if err != nil || op.Status.ID != rest.OperationCompleted {
			return false
		}
		if op.Operation.FailureCause != nil {
			t.Fatalf("savepoint failed: %+v", op.Operation.FailureCause)
		}
		location = op.Operation.Location
		return true
	})
	snap, err := checkpoint.OpenSnapshot(ctx, location)
	if err != nil {
		t.Fatalf("open savepoint %s: %v", location, err)
	}
	if snap.Metadata.Kind != checkpoint.KindSavepoint || snap.Metadata.Operator("sums") == nil {
		t.Fatalf("savepoint %s holds %+v; want a savepoint with the sums operator", location, snap.Metadata)
	}
	_ = snap.Close()
	if err := c.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err == nil || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
		t.Fatalf("Execute after cancel = %v, want a cancellation", err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Window state (contents, merging sessions, timers) survives a failure:
// after the restart every window fires with exactly its records, and a
// window fired twice (before and after the failure) fires the same result.
func TestWindowsRestoreAfterFailure(t *testing.T) {
	const n = 4000
	for _, tc := range []struct {
		name     string
		assigner window.Assigner[kv64, window.TimeWindow]
	}{
		{"tumbling", window.TumblingEventTimeWindows[kv64](100 * time.Millisecond)},
		{"session", window.EventTimeSessionWindows[kv64](5 * time.Millisecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := checkpointedEnv(t, 2, map[string]string{
				"restart-strategy.type":                 "fixed-delay",
				"restart-strategy.fixed-delay.attempts": "2",
				"restart-strategy.fixed-delay.delay":    "10ms",
			})
			// Event time i ms, with a 10 ms gap every 250 records so
			// sessions end.
			tsOf := func(i int64) int64 { return i + 10*(i/250) }
			nums := stream.FromSource(env, datagen.New(n, func(i int64) (int64, error) { return i, nil },
				datagen.WithRateLimit(float64(n)), datagen.WithTimestamps(tsOf)),
				eventtime.ForMonotonousTimestamps[int64](), "nums")
			var failed atomic.Bool
			pairs := stream.Map(nums, func(v int64) (kv64, error) {
				if v == n/2 && failed.CompareAndSwap(false, true) {
					panic("injected failure")
				}
				return kv64{K: v % 3, V: v}, nil
			})
			w := stream.Window(stream.KeyBy(pairs, func(p kv64) int64 { return p.K }), tc.assigner)
			sums := stream.WindowReduceProcess(w, func(a, b kv64) (kv64, error) { return kv64{K: a.K, V: a.V + b.V}, nil },
				window.ProcessFunc[kv64, winSum, int64, window.TimeWindow](func(k int64, ctx window.ProcessContext[window.TimeWindow], in []kv64, out operator.Collector[winSum]) error {
					out.Collect(winSum{K: k, Start: ctx.Window().Start, End: ctx.Window().End, Sum: in[0].V})
					return nil
				})).UID("windows")
			out := collect.New[winSum]()
			stream.SinkTo(sums, out)
			execute(t, env)
			if !failed.Load() {
				t.Fatal("the injected failure never happened")
			}
			// Every record lies in exactly one window per key; windows
			// fired twice must agree.
			byWindow := map[winSum]int64{}
			var total int64
			for _, r := range out.Values() {
				key := winSum{K: r.K, Start: r.Start, End: r.End}
				if prev, ok := byWindow[key]; ok {
					if prev != r.Sum {
						t.Fatalf("window %+v fired with sums %d and %d", key, prev, r.Sum)
					}
					continue
				}
				byWindow[key] = r.Sum
				total += r.Sum
			}
			if want := int64(n * (n - 1) / 2); total != want {
				t.Fatalf("the windows sum to %d, want %d: records were lost or counted twice", total, want)
			}
		})
	}
}

type winSum struct{ K, Start, End, Sum int64 }

// restClient waits for the job's REST address in logs and returns a client
// and the job's id.
func restClient(t *testing.T, logs *syncBuffer) (*rest.Client, rest.JobID) {
	t.Helper()
	var c *rest.Client
	eventually(t, "the REST address in the log", func() bool {
		m := listening.FindStringSubmatch(logs.String())
		if m == nil {
			return false
		}
		var err error
		c, err = rest.NewClient(m[1], nil)
		return err == nil
	})
	jobs, err := c.JobsOverview(context.Background())
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs = %+v, %v", jobs, err)
	}
	return c, jobs[0].ID
}

// Stop-with-savepoint ends a job after a savepoint; with drain, event time
// first advances to the end, so open windows fire; without, they stay in
// the savepoint.
func TestStopWithSavepointDrainFiresWindows(t *testing.T) {
	for _, drain := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "drain"}[drain], func(t *testing.T) {
			env := checkpointedEnv(t, 1, nil)
			var logs syncBuffer
			env.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
			nums := stream.FromSource(env, datagen.New(1_000_000, func(i int64) (int64, error) { return i, nil },
				datagen.WithRateLimit(2000), datagen.WithTimestamps(func(i int64) int64 { return i })),
				eventtime.ForMonotonousTimestamps[int64](), "nums")
			w := stream.Window(stream.KeyBy(nums, func(int64) int64 { return 0 }),
				window.TumblingEventTimeWindows[int64](time.Hour))
			out := collect.New[int64]()
			stream.SinkTo(stream.WindowReduce(w, func(a, b int64) (int64, error) { return a + b, nil }).UID("hour"), out)
			wait := startJob(t, env)
			c, id := restClient(t, &logs)
			time.Sleep(200 * time.Millisecond)
			trigger, err := c.StopWithSavepoint(context.Background(), id, rest.StopRequest{TargetDirectory: t.TempDir(), Drain: drain})
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "the savepoint's location", func() bool {
				op, err := c.SavepointStatus(context.Background(), id, trigger)
				return err == nil && op.Status.ID == rest.OperationCompleted && op.Operation.Location != ""
			})
			if err := wait(); err != nil {
				t.Fatalf("job after stop-with-savepoint: %v", err)
			}
			fired := out.Len()
			if drain && fired != 1 {
				t.Fatalf("%d windows fired, want the open hour window fired by the drain", fired)
			}
			if !drain && fired != 0 {
				t.Fatalf("%d windows fired on a stop without drain, want none", fired)
			}
		})
	}
}

// Under heavy backpressure an aligned checkpoint waits behind every queued
// record and times out; an unaligned one overtakes them and completes.
func TestUnalignedCompletesUnderBackpressure(t *testing.T) {
	for _, unaligned := range []bool{false, true} {
		t.Run(map[bool]string{false: "aligned", true: "unaligned"}[unaligned], func(t *testing.T) {
			env := checkpointedEnv(t, 1, map[string]string{
				"execution.checkpointing.interval":                     "100ms",
				"execution.checkpointing.timeout":                      "700ms",
				"execution.checkpointing.tolerable-failed-checkpoints": "1000",
				"execution.checkpointing.unaligned":                    strconv.FormatBool(unaligned),
				"execution.batch-size":                                 "32",
				"taskmanager.network.memory.buffers-per-channel":       "40",
			})
			var logs syncBuffer
			env.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
			nums := stream.FromSource(env, datagen.New(1_000_000, func(i int64) (int64, error) { return i, nil }),
				eventtime.NoWatermarks[int64](), "nums")
			slow := stream.Map(nums.Rebalance(), func(v int64) (int64, error) {
				time.Sleep(time.Millisecond) // 32 ms a batch, 40 batches queued: over a second
				return v, nil
			}).Name("slow")
			stream.SinkTo(slow, discard[int64]{})
			wait := startJob(t, env)
			c, id := restClient(t, &logs)
			time.Sleep(2 * time.Second)
			st, err := c.Checkpoints(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Cancel(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			_ = wait()
			t.Logf("completed %d, failed %d", st.Counts.Completed, st.Counts.Failed)
			if unaligned && st.Counts.Completed < 3 {
				t.Fatalf("unaligned: %d checkpoints completed in 2s under backpressure, want several", st.Counts.Completed)
			}
			if !unaligned && (st.Counts.Completed != 0 || st.Counts.Failed == 0) {
				t.Fatalf("aligned: %d completed, %d failed; want every checkpoint to time out behind the queued records", st.Counts.Completed, st.Counts.Failed)
			}
		})
	}
}

// Unaligned checkpoints on every edge kind, restored after a failure, with
// exactly-once file output: keyed, rebalanced and broadcast records that
// were in flight at the checkpoint are replayed once each (a broadcast
// record once per consumer).
func TestUnalignedRestoreReplaysInFlightDataOnce(t *testing.T) {
	const n = 3000
	for _, tc := range []struct {
		name   string
		route  func(*stream.DataStream[int64]) *stream.DataStream[int64]
		copies int
	}{
		{"rebalance", (*stream.DataStream[int64]).Rebalance, 1},
		{"broadcast", (*stream.DataStream[int64]).Broadcast, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := checkpointedEnv(t, 2, map[string]string{
				"execution.checkpointing.unaligned":     "true",
				"restart-strategy.type":                 "fixed-delay",
				"restart-strategy.fixed-delay.attempts": "2",
				"restart-strategy.fixed-delay.delay":    "10ms",
			})
			nums := stream.FromSource(env, datagen.New(n, func(i int64) (int64, error) { return i, nil }, datagen.WithRateLimit(n)),
				eventtime.NoWatermarks[int64](), "nums").SetParallelism(1)
			var failed atomic.Bool
			lines := stream.Map(tc.route(nums), func(v int64) (string, error) {
				if v == n/2 && failed.CompareAndSwap(false, true) {
					panic("injected failure")
				}
				time.Sleep(50 * time.Microsecond) // backpressure, so records are in flight
				return strconv.FormatInt(v, 10), nil
			}).SetParallelism(2)
			out := t.TempDir()
			stream.SinkTo(lines, filesink.New(out, filesink.StringLines())).SetParallelism(2)
			execute(t, env)
			if !failed.Load() {
				t.Fatal("the injected failure never happened")
			}
			got, err := filesink.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, l := range got {
				count[l]++
			}
			for v := range int64(n) {
				if c := count[strconv.FormatInt(v, 10)]; c != tc.copies {
					t.Fatalf("record %d committed %d times, want %d (%d lines in all)", v, c, tc.copies, len(got))
				}
			}
		})
	}
}

// latestChk returns the newest chk-<n> directory with _metadata under dir
// (layout <dir>/<job-id>/chk-<n>), or "".
func latestChk(t *testing.T, dir string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "chk-*", "_metadata"))
	best, bestID := "", -1
	for _, m := range matches {
		id, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(filepath.Dir(m)), "chk-"))
		if err == nil && id > bestID {
			best, bestID = filepath.Dir(m), id
		}
	}
	return best
}

// In CLAIM mode the restored checkpoint becomes the job's own and is
// deleted once newer ones replace it; in NO_CLAIM mode it is never
// touched.
func TestRestoreModeClaimAndNoClaim(t *testing.T) {
	for _, mode := range []string{"CLAIM", "NO_CLAIM"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			opts := map[string]string{
				"state.checkpoints.dir": dir,
				"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
				"state.checkpoints.num-retained":                            "1",
			}
			env := checkpointedEnv(t, 1, opts)
			sumsJob(env, 1_000_000, func(int64) {})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- env.Execute(ctx, "first") }()
			eventually(t, "a retained checkpoint", func() bool { return latestChk(t, dir) != "" })
			// Cancel the first run, keeping its checkpoints.
			cancel()
			<-done
			first := latestChk(t, dir)
			env2 := checkpointedEnv(t, 1, opts)
			for k, v := range map[string]string{"execution.savepoint.path": first, "execution.savepoint-restore-mode": mode} {
				if err := env2.Config().Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			sumsJob(env2, 1_000_000, func(int64) {})
			startJob(t, env2)
			eventually(t, "a checkpoint of the restored job", func() bool {
				latest := latestChk(t, dir)
				return latest != "" && filepath.Dir(latest) != filepath.Dir(first) && latest != first
			})
			time.Sleep(100 * time.Millisecond) // a few more checkpoints
			_, err := os.Stat(filepath.Join(first, "_metadata"))
			if mode == "CLAIM" && err == nil {
				t.Fatalf("CLAIM: the restored checkpoint %s is still there after newer ones replaced it", first)
			}
			if mode == "NO_CLAIM" && err != nil {
				t.Fatalf("NO_CLAIM: the restored checkpoint %s was touched: %v", first, err)
			}
		})
	}
}
