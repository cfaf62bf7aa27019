package stream_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/sink"
	snapenc "github.com/weirstream/weir/snapshot"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

// Checkpoint benchmarks: the cost of exactly-once checkpoints against
// keyed state size (ValueState[int64] with int64 keys), recovery time, and
// the throughput cost of checkpointing. They only run with -bench; see
// docs/benchmarks.md for the commands and the measured figures. The job
// benchmarks run a whole job per op and report their figures with
// ReportMetric, so run them with -benchtime 1x.

// stateSizes are the numbers of keys the state-size benchmarks hold.
var stateSizes = []int{1_000_000, 10_000_000}

func sizeName(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("keys=%dM", n/1_000_000)
	}
	return fmt.Sprintf("keys=%d", n)
}

// benchMaxParallelism is the key group count Flink derives for
// parallelism 2, which graph.Build also picks; the direct benchmarks use it
// so their backend matches the jobs'.
const benchMaxParallelism = 128

// crcTable is CRC-32C, as runtime/local checksums every key group it
// writes; the direct write benchmark pays the same cost.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// processCPU is the CPU time the process used so far (user + system).
// The benchmark machine is shared: wall-clock figures grow when other
// processes take the cores, CPU time much less so.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per op since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration, ops int) {
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1e3/float64(ops), "cpu-ms/op")
}

// heapObjects returns the live heap: the bytes of heap objects right
// after a full collection.
func heapObjects() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// filledBackend returns a heap backend owning every key group, holding n
// int64 keys in a ValueState[int64], and one key per key group (to touch
// every group after a snapshot). It reports the heap the state takes.
func filledBackend(b *testing.B, n int) (*state.HeapBackend, state.ValueState[int64], []any) {
	b.Helper()
	before := heapObjects()
	be := state.NewHeapBackend(state.HeapOptions{
		MaxParallelism: benchMaxParallelism, KeyGroups: keygroup.Range{Start: 0, End: benchMaxParallelism - 1},
		Now: func() int64 { return 1 }, KeyCodec: codec.Any(codec.For[int64]()),
	})
	vs, err := state.GetValueState(be, state.ValueDescriptor[int64]{Name: "v"})
	if err != nil {
		b.Fatal(err)
	}
	perGroup := make([]any, benchMaxParallelism)
	for i := range int64(n) {
		be.SetCurrentKey(i)
		if err := vs.Update(i); err != nil {
			b.Fatal(err)
		}
		if kg := be.CurrentKeyGroup(); perGroup[kg] == nil {
			perGroup[kg] = be.CurrentKey()
		}
	}
	after := heapObjects()
	b.Logf("%d keys: %.0f MB heap, %.0f B/key", n, float64(after-before)/1e6, float64(after-before)/float64(n))
	return be, vs, perGroup
}

// BenchmarkCheckpointSnapshot measures the parts of a keyed operator's
// checkpoint on a populated heap backend, outside a job:
//
//   - sync: Snapshot, the synchronous part the subtask goroutine runs when
//     the barrier arrives (copy-on-write: it must not grow with the keys);
//   - cow-copy: the copy-on-write debt the subtask pays afterwards, while
//     the snapshot is being written: the first update of each key group
//     copies that group's slots (one update per key group here, so the op
//     is the whole debt of one checkpoint);
//   - write: the asynchronous part as runtime/local does it: every key
//     group encoded, checksummed and written to a state file on file://
//     checkpoint storage.
func BenchmarkCheckpointSnapshot(b *testing.B) {
	for _, n := range stateSizes {
		// Filled by the first sub-benchmark that runs, so -bench filters
		// skip the cost of sizes they do not select.
		var (
			be       *state.HeapBackend
			vs       state.ValueState[int64]
			perGroup []any
		)
		fill := func(b *testing.B) {
			if be == nil {
				be, vs, perGroup = filledBackend(b, n)
			}
		}
		b.Run(sizeName(n)+"/sync", func(b *testing.B) {
			fill(b)
			b.ReportAllocs()
			for b.Loop() {
				snap, err := be.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				snap.Release()
			}
		})
		b.Run(sizeName(n)+"/cow-copy", func(b *testing.B) {
			fill(b)
			cpu0 := processCPU()
			for b.Loop() {
				b.StopTimer()
				snap, err := be.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for i, k := range perGroup {
					be.SetCurrentKey(k)
					if err := vs.Update(int64(i)); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				snap.Release()
				b.StartTimer()
			}
			reportCPU(b, cpu0, b.N)
		})
		b.Run(sizeName(n)+"/write", func(b *testing.B) {
			fill(b)
			ctx := b.Context()
			store, err := checkpoint.OpenStorage(ctx, b.TempDir(), "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = store.Close() }()
			dir := store.CheckpointDir(1)
			name := checkpoint.StateFileName("bench", 0, "keyed")
			var size int64
			var enc snapenc.Encoder
			cpu0 := processCPU()
			for b.Loop() {
				snap, err := be.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				f, err := store.CreateStateFile(ctx, dir, name)
				if err != nil {
					b.Fatal(err)
				}
				r := snap.KeyGroups()
				for kg := r.Start; kg <= r.End; kg++ {
					enc.Reset()
					if err := snap.WriteKeyGroup(kg, &enc); err != nil {
						b.Fatal(err)
					}
					enc.Raw(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(enc.Data(), crcTable)))
					if _, err := f.Write(enc.Data()); err != nil {
						b.Fatal(err)
					}
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				size = f.Offset()
				snap.Release()
			}
			reportCPU(b, cpu0, b.N)
			b.SetBytes(size)
			b.ReportMetric(float64(size)/1e6, "file-MB")
		})
		if be != nil {
			be.Close()
		}
	}
}

// restURL catches the address the job's REST API listens at and drops
// every other log record.
type restURL struct{ ch chan string }

func (h restURL) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h restURL) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "REST API listening" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "url" {
			select {
			case h.ch <- a.Value.String():
			default:
			}
		}
		return true
	})
	return nil
}
func (h restURL) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h restURL) WithGroup(string) slog.Handler      { return h }

// benchJob is a job executing on a goroutine of its own, with a client
// of its REST API.
type benchJob struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Execute returned err
	err    error
	client *rest.Client
	id     rest.JobID
}

// startBenchJob executes env's job in the background; the REST API listens on
// a free port, so benchmarks never collide with other jobs.
func startBenchJob(b *testing.B, env *stream.Environment) *benchJob {
	b.Helper()
	urls := make(chan string, 1)
	env.SetLogger(slog.New(restURL{ch: urls}))
	if err := env.Config().Set("rest.port", "0"); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	j := &benchJob{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(j.done)
		j.err = env.Execute(ctx, b.Name())
	}()
	var u string
	select {
	case u = <-urls:
	case <-j.done:
		// A short job may end before this goroutine took the address,
		// which is logged before the job runs.
		select {
		case u = <-urls:
		default:
			b.Fatalf("job ended before its REST API listened: %v", j.err)
		}
	}
	c, err := rest.NewClient(u, nil)
	if err != nil {
		j.stop(b)
		b.Fatal(err)
	}
	j.client = c
	return j
}

// stop cancels the job and waits for Execute to return.
func (j *benchJob) stop(b *testing.B) {
	b.Helper()
	j.cancel()
	j.wait(b)
}

// wait waits for the job to end by itself.
func (j *benchJob) wait(b *testing.B) {
	b.Helper()
	<-j.done
	if j.err != nil && !errors.Is(j.err, context.Canceled) {
		b.Fatal(j.err)
	}
}

// checkpoints returns the job's checkpoint statistics.
func (j *benchJob) checkpoints(ctx context.Context) (rest.CheckpointingStatistics, error) {
	if j.id == (rest.JobID{}) {
		jobs, err := j.client.Jobs(ctx)
		if err != nil {
			return rest.CheckpointingStatistics{}, err
		}
		if len(jobs) != 1 {
			return rest.CheckpointingStatistics{}, fmt.Errorf("the REST API lists %d jobs, want 1", len(jobs))
		}
		j.id = jobs[0].ID
	}
	return j.client.Checkpoints(ctx, j.id)
}

// syncSample is one keyed subtask's synchronous snapshot inside a job.
type syncSample struct {
	end time.Time
	dur time.Duration
}

// jobProbe is shared by every subtask of a benchmark job. It counts
// distinct keys, timestamps the synchronous snapshot of each keyed subtask
// and the restore phases, without touching runtime code: the keyed
// operator snapshots its operator state (where probeCodec timestamps the
// start) right before its keyed backend, and the chained sink's writer is
// flushed right after (where the sample ends).
type jobProbe struct {
	keys    atomic.Int64
	restore bool // every first record must find restored state

	started  time.Time // set before Execute
	subtasks []probeSlot

	mu struct {
		sync.Mutex
		syncs []syncSample
		// opened is the latest start of a keyed function's Open and
		// decoded the longest state decode (GetValueState) in it.
		opened  time.Time
		decoded time.Duration
		// flowing counts keyed subtasks that processed a record.
		flowing int
		err     error
	}
	allFlowing chan struct{}
}

// probeSlot belongs to one subtask's goroutine: the keyed operator and the
// sink chained to it.
type probeSlot struct {
	snapAt time.Time
	// records counts the records the keyed subtask processed; read by
	// the benchmark goroutine.
	records atomic.Int64
	_       [40]byte // a cache line per subtask: they run on different cores
}

// records sums the records every keyed subtask processed.
func (p *jobProbe) records() int64 {
	var n int64
	for i := range p.subtasks {
		n += p.subtasks[i].records.Load()
	}
	return n
}

func newJobProbe(parallelism int) *jobProbe {
	return &jobProbe{subtasks: make([]probeSlot, parallelism), allFlowing: make(chan struct{})}
}

func (p *jobProbe) fail(err error) {
	p.mu.Lock()
	if p.mu.err == nil {
		p.mu.err = err
	}
	p.mu.Unlock()
}

// probeCodec encodes the keyed function's one-element operator list; the
// operator encodes it at the start of its synchronous snapshot.
type probeCodec struct{ slot *probeSlot }

func (c probeCodec) Encode(int64) ([]byte, error) {
	c.slot.snapAt = time.Now()
	return []byte{0}, nil
}
func (c probeCodec) Decode([]byte) (int64, error) { return 0, nil }

// keyedValue keeps one ValueState[int64] per key: the last index seen.
type keyedValue struct {
	probe *jobProbe
	slot  *probeSlot
	vs    state.ValueState[int64]
	first bool
}

func (f *keyedValue) Open(rc stream.RuntimeContext) error {
	start := time.Now()
	slot := &f.probe.subtasks[rc.IndexOfThisSubtask()]
	vs, err := state.GetValueState(rc.KeyedState(), state.ValueDescriptor[int64]{Name: "v"})
	if err != nil {
		return err
	}
	decoded := time.Since(start)
	marker, err := state.GetOperatorListState(rc.OperatorState(), "probe", state.WithCodec[int64](probeCodec{slot}))
	if err != nil {
		return err
	}
	if err := marker.Update([]int64{0}); err != nil {
		return err
	}
	f.vs, f.first, f.slot = vs, true, slot
	f.probe.mu.Lock()
	if start.After(f.probe.mu.opened) {
		f.probe.mu.opened = start
	}
	f.probe.mu.decoded = max(f.probe.mu.decoded, decoded)
	f.probe.mu.Unlock()
	return nil
}

func (f *keyedValue) ProcessElement(_ stream.KeyedContext[int64], v int64, _ stream.Collector[int64]) error {
	_, ok, err := f.vs.Value()
	if err != nil {
		return err
	}
	if f.first {
		f.first = false
		if f.probe.restore && !ok {
			f.probe.fail(fmt.Errorf("record %d found no restored state for its key", v))
		}
		f.probe.mu.Lock()
		f.probe.mu.flowing++
		if f.probe.mu.flowing == len(f.probe.subtasks) {
			close(f.probe.allFlowing)
		}
		f.probe.mu.Unlock()
	}
	if !ok {
		f.probe.keys.Add(1)
	}
	f.slot.records.Add(1)
	return f.vs.Update(v)
}

// probeSink ends the synchronous-snapshot sample of its subtask.
type probeSink struct{ probe *jobProbe }

type probeWriter struct {
	probe *jobProbe
	slot  *probeSlot
}

func (s probeSink) CreateWriter(ctx sink.InitContext) (sink.Writer[int64], error) {
	return &probeWriter{probe: s.probe, slot: &s.probe.subtasks[ctx.SubtaskIndex()]}, nil
}
func (w *probeWriter) Write(int64, sink.Context) error { return nil }

// Flush runs on the buffer-timeout timer too; only a flush after the
// keyed operator's snapshot started ends a sample.
func (w *probeWriter) Flush(bool) error {
	if w.slot.snapAt.IsZero() {
		return nil
	}
	now := time.Now()
	s := syncSample{end: now, dur: now.Sub(w.slot.snapAt)}
	w.slot.snapAt = time.Time{}
	w.probe.mu.Lock()
	w.probe.mu.syncs = append(w.probe.mu.syncs, s)
	w.probe.mu.Unlock()
	return nil
}
func (w *probeWriter) Close() error { return nil }

// keyedJobParallelism is the parallelism of the job benchmarks: one
// subtask per core of the 2-core benchmark machine.
const keyedJobParallelism = 2

// keyedStateJob builds datagen → keyBy(index mod keys) → keyed ValueState
// → probe sink. rate > 0 throttles the source (records/s over all
// subtasks). UIDs are fixed so restores find the state.
func keyedStateJob(cfg map[string]string, keys int, rate float64, probe *jobProbe) (*stream.Environment, error) {
	env := stream.NewEnvironment(nil).SetParallelism(keyedJobParallelism)
	if err := env.Config().SetAll(cfg); err != nil {
		return nil, err
	}
	var opts []datagen.Option
	if rate > 0 {
		opts = append(opts, datagen.WithRateLimit(rate))
	}
	src := datagen.New(datagen.Unbounded, func(i int64) (int64, error) { return i, nil }, opts...)
	nums := stream.FromSource(env, src, eventtime.NoWatermarks[int64](), "indexes").UID("indexes")
	n := int64(keys)
	keyed := stream.KeyBy(nums, func(v int64) int64 { return v % n })
	values := stream.KeyedProcess(keyed, stream.KeyedProcessFunction[int64, int64, int64](&keyedValue{probe: probe})).UID("values")
	stream.SinkTo(values, probeSink{probe: probe}).UID("probe")
	return env, nil
}

// heapPeak samples the Go heap while a job runs.
type heapPeak struct {
	samples []metrics.Sample
	objects uint64 // peak bytes of heap objects
	total   uint64 // peak memory mapped by the Go runtime
}

func newHeapPeak() *heapPeak {
	return &heapPeak{samples: []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
	}}
}

func (h *heapPeak) sample() {
	metrics.Read(h.samples)
	h.objects = max(h.objects, h.samples[0].Value.Uint64())
	h.total = max(h.total, h.samples[1].Value.Uint64())
}

// checkpointRun is what fillAndCheckpoint measured.
type checkpointRun struct {
	figures []checkpointFigures
	// path is the retained directory of the first checkpoint.
	path string
	heap *heapPeak
	// rate is the records/s the keyed subtasks processed once the state
	// was full, while the measured checkpoints ran.
	rate float64
}

// checkpointFigures are one checkpoint's figures in a job.
type checkpointFigures struct {
	endToEnd  time.Duration // trigger → completed (coordinator stats)
	stateSize int64
	sync      time.Duration // longest synchronous snapshot of a keyed subtask
	// async is from the end of the last keyed subtask's synchronous
	// snapshot to the last acknowledgement: writing its state file.
	async time.Duration
}

// fillAndCheckpoint runs the keyed job until the state holds every key,
// then until want checkpoints triggered after that completed, and returns
// their figures.
func fillAndCheckpoint(b *testing.B, keys int, cfg map[string]string, want int) checkpointRun {
	b.Helper()
	probe := newJobProbe(keyedJobParallelism)
	// A throttled source leaves the 2 cores room for the checkpoint's own
	// work, so the figures follow the state size rather than the fight
	// for CPU (BenchmarkCheckpointThroughput measures that fight). The
	// limiter hands out at most one poll batch per timer wake, so it
	// delivers about 1.2M of the 2M records/s asked for here.
	env, err := keyedStateJob(cfg, keys, 2e6, probe)
	if err != nil {
		b.Fatal(err)
	}
	heap := newHeapPeak()
	probe.started = time.Now()
	j := startBenchJob(b, env)
	defer j.stop(b)
	ctx := b.Context()
	var fullAt time.Time
	var fullRecords int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		select {
		case <-tick.C:
		case <-j.done:
			b.Fatalf("job ended: %v", j.err)
		}
		heap.sample()
		if time.Now().After(deadline) {
			b.Fatal("no checkpoints completed within 10 minutes")
		}
		if fullAt.IsZero() {
			if probe.keys.Load() >= int64(keys) {
				fullAt, fullRecords = time.Now(), probe.records()
				b.Logf("%s: state full after %v", sizeName(keys), fullAt.Sub(probe.started).Round(time.Millisecond))
			}
			continue
		}
		st, err := j.checkpoints(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var done []rest.CheckpointStatistics
		for _, cs := range st.History {
			if cs.Status == rest.CheckpointFailed {
				b.Fatalf("checkpoint %d failed: %s", cs.ID, cs.FailureMessage)
			}
			if cs.Status == rest.CheckpointCompleted && cs.TriggerTimestamp > fullAt.UnixMilli() {
				done = append(done, cs)
			}
		}
		if len(done) < want {
			continue
		}
		probe.mu.Lock()
		syncs := slices.Clone(probe.mu.syncs)
		probe.mu.Unlock()
		var out []checkpointFigures
		for _, cs := range done {
			f := checkpointFigures{endToEnd: time.Duration(cs.EndToEndDuration) * time.Millisecond, stateSize: cs.StateSize}
			var lastSync time.Time
			for _, s := range syncs {
				if ms := s.end.UnixMilli(); ms >= cs.TriggerTimestamp && ms <= cs.LatestAckTimestamp {
					f.sync = max(f.sync, s.dur)
					if s.end.After(lastSync) {
						lastSync = s.end
					}
				}
			}
			if !lastSync.IsZero() {
				f.async = time.UnixMilli(cs.LatestAckTimestamp).Sub(lastSync)
			}
			out = append(out, f)
		}
		rate := float64(probe.records()-fullRecords) / time.Since(fullAt).Seconds()
		return checkpointRun{figures: out, path: done[0].ExternalPath, heap: heap, rate: rate}
	}
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkCheckpointJob measures checkpoints inside a running job
// (datagen → keyBy → ValueState[int64] → sink, parallelism 2, a
// checkpoint every second to file:// storage) once the state holds every
// key: the end-to-end duration from the coordinator's statistics, the
// longest synchronous snapshot of a keyed subtask, the asynchronous part
// (that subtask's snapshot → last acknowledgement), the state size and
// the heap peak. Each op is one job; the figures are medians over three
// checkpoints. Run with -benchtime 1x.
func BenchmarkCheckpointJob(b *testing.B) {
	for _, n := range stateSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			var e2e, syncs, asyncs, sizes, rates []float64
			var heap *heapPeak
			for b.Loop() {
				cfg := map[string]string{
					"execution.checkpointing.interval": "1s",
					"state.checkpoints.dir":            b.TempDir(),
				}
				run := fillAndCheckpoint(b, n, cfg, 3)
				heap = run.heap
				rates = append(rates, run.rate)
				for _, f := range run.figures {
					e2e = append(e2e, float64(f.endToEnd.Milliseconds()))
					syncs = append(syncs, float64(f.sync.Microseconds()))
					asyncs = append(asyncs, float64(f.async.Milliseconds()))
					sizes = append(sizes, float64(f.stateSize)/1e6)
				}
			}
			b.ReportMetric(medianOf(e2e), "e2e-ms")
			b.ReportMetric(medianOf(syncs), "sync-µs")
			b.ReportMetric(medianOf(asyncs), "async-ms")
			b.ReportMetric(medianOf(sizes), "state-MB")
			b.ReportMetric(medianOf(rates), "records/s")
			b.ReportMetric(float64(heap.objects)/1e6, "peak-heap-MB")
			b.ReportMetric(float64(heap.total)/1e6, "peak-mapped-MB")
		})
	}
}

// BenchmarkCheckpointRestore measures how long a job takes from Execute
// until every keyed subtask processes its first record, starting fresh or
// from a retained checkpoint holding the keys (execution.savepoint.path).
// Each op is one start; the job is cancelled after the first records,
// outside the timer. open-ms is Execute → the last keyed Open (reading the
// state files and loading key groups), decode-ms the longest state decode
// in Open (GetValueState), first-record-ms the whole time, cpu-ms the
// process CPU time in it, and live-heap-MB the heap once records flow.
func BenchmarkCheckpointRestore(b *testing.B) {
	for _, n := range stateSizes {
		// The checkpoint to restore, taken by the first variant that runs
		// (so -bench filters skip sizes they do not select) and kept for
		// both.
		dir := b.TempDir()
		var path string
		prepare := func(b *testing.B) {
			if path != "" {
				return
			}
			cfg := map[string]string{
				"execution.checkpointing.interval":                          "1s",
				"state.checkpoints.dir":                                     dir,
				"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
			}
			run := fillAndCheckpoint(b, n, cfg, 1)
			path = run.path
			b.Logf("%s: restoring %s (%.0f MB of state)", sizeName(n), path, float64(run.figures[0].stateSize)/1e6)
		}
		for _, variant := range []string{"fresh", "restore"} {
			b.Run(sizeName(n)+"/"+variant, func(b *testing.B) {
				prepare(b)
				var opens, decodes, firsts, cpus []float64
				var live uint64
				for b.Loop() {
					b.StopTimer()
					cfg := map[string]string{}
					probe := newJobProbe(keyedJobParallelism)
					if variant == "restore" {
						cfg["execution.savepoint.path"] = path
						probe.restore = true
					}
					env, err := keyedStateJob(cfg, n, 0, probe)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					start, cpu0 := time.Now(), processCPU()
					j := startBenchJob(b, env)
					select {
					case <-probe.allFlowing:
					case <-j.done:
						b.Fatalf("job ended before records flowed: %v", j.err)
					}
					first, cpu := time.Since(start), processCPU()-cpu0
					b.StopTimer()
					live = max(live, heapObjects())
					j.stop(b)
					probe.mu.Lock()
					if err := probe.mu.err; err != nil {
						b.Fatal(err)
					}
					opens = append(opens, float64(probe.mu.opened.Sub(start).Microseconds())/1e3)
					decodes = append(decodes, float64(probe.mu.decoded.Microseconds())/1e3)
					probe.mu.Unlock()
					firsts = append(firsts, float64(first.Microseconds())/1e3)
					cpus = append(cpus, float64(cpu.Microseconds())/1e3)
					b.StartTimer()
				}
				b.ReportMetric(medianOf(opens), "open-ms")
				b.ReportMetric(medianOf(decodes), "decode-ms")
				b.ReportMetric(medianOf(firsts), "first-record-ms")
				b.ReportMetric(medianOf(cpus), "cpu-ms")
				b.ReportMetric(float64(live)/1e6, "live-heap-MB")
			})
		}
	}
}

// BenchmarkCheckpointThroughput is the record path of BenchmarkKeyedReduce
// at parallelism 2 (datagen → map → keyBy → reduce → discarding sink) with
// checkpointing off and every second (file:// storage under the test's
// temp dir), with 1024 keys as there and with 1M keys. One op is one
// record; run with -benchtime 100000000x or more so a run spans several
// checkpoints. checkpoints reports how many completed, the final one
// after the end of input included (it is triggered as soon as every task
// ended its input, and the job ends when it completes).
func BenchmarkCheckpointThroughput(b *testing.B) {
	for _, keys := range []int64{1024, 1_000_000} {
		for _, interval := range []string{"off", "1s"} {
			b.Run(fmt.Sprintf("%s/checkpoints=%s", sizeName(int(keys)), interval), func(b *testing.B) {
				env := benchEnv(keyedJobParallelism)
				if interval != "off" {
					err := env.Config().SetAll(map[string]string{
						"execution.checkpointing.interval": interval,
						"state.checkpoints.dir":            b.TempDir(),
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				nums := stream.FromSource(env, datagen.Sequence(0, int64(b.N)-1), eventtime.NoWatermarks[int64](), "numbers")
				pairs := stream.Map(nums, func(v int64) (kv, error) { return kv{K: v % keys, V: v}, nil })
				sums := stream.Reduce(stream.KeyBy(pairs, func(p kv) int64 { return p.K }), func(a, b kv) (kv, error) {
					return kv{K: a.K, V: a.V + b.V}, nil
				})
				stream.SinkTo(sums, discard[kv]{})
				b.ResetTimer()
				start, cpu0 := time.Now(), processCPU()
				j := startBenchJob(b, env)
				var completed int64
				if interval != "off" {
					tick := time.NewTicker(200 * time.Millisecond)
				poll:
					for {
						select {
						case <-j.done:
							break poll
						case <-tick.C:
							if st, err := j.checkpoints(b.Context()); err == nil {
								completed = st.Counts.Completed
							}
						}
					}
					tick.Stop()
				}
				j.wait(b)
				elapsed, cpu := time.Since(start), processCPU()-cpu0
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/record")
				if interval != "off" {
					b.ReportMetric(float64(completed), "checkpoints")
				}
			})
		}
	}
}
