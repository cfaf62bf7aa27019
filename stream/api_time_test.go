package stream_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// Event time: watermark strategies on FromSource, timestamps assigned mid
// stream, idleness and the minimum across inputs.

// wmProbe reports each record's timestamp and the watermark its operator
// had when the record arrived, with the subtask.
type wmProbe struct{ sub int }

type wmSeen struct {
	V, TS, WM int64
	Subtask   int
}

func (p *wmProbe) Open(rc stream.RuntimeContext) error { p.sub = rc.IndexOfThisSubtask(); return nil }

func (p *wmProbe) ProcessElement(ctx stream.Context, v int64, out stream.Collector[wmSeen]) error {
	out.Collect(wmSeen{V: v, TS: ctx.Timestamp(), WM: ctx.CurrentWatermark(), Subtask: p.sub})
	return nil
}

// markers is a punctuated generator: a record whose value is a multiple of
// 10 moves the watermark to just below its timestamp.
type markers struct{}

func (markers) OnEvent(v int64, ts int64, out eventtime.WatermarkOutput) {
	if v%10 == 0 {
		out.EmitWatermark(ts - 1)
	}
}
func (markers) OnPeriodicEmit(eventtime.WatermarkOutput) {}

func TestAPIWatermarkStrategiesOnSource(t *testing.T) {
	const n = 2000
	jitter := func(v int64) int64 { return int64(mix(v) % 20) }
	type tc struct {
		name     string
		ts       func(v int64) int64 // the source's timestamps; nil: none
		strategy eventtime.WatermarkStrategy[int64]
		wantTS   func(v int64) int64
		// check validates one subtask's records in arrival order.
		check func(t *testing.T, seen []wmSeen)
	}
	// Every watermark must stay below what the records before it in the
	// same subtask allow. (Whether a record is behind the watermark is not
	// checked: a parallel datagen subtask may get a second range with older
	// timestamps after its first.)
	bounded := func(slack int64) func(t *testing.T, seen []wmSeen) {
		return func(t *testing.T, seen []wmSeen) {
			maxTS := int64(math.MinInt64)
			for _, s := range seen {
				if s.WM > eventtime.MinWatermark && s.WM > maxTS-slack-1 {
					t.Fatalf("record %d saw watermark %d, but the largest earlier timestamp was %d (bound %d)", s.V, s.WM, maxTS, slack)
				}
				maxTS = max(maxTS, s.TS)
			}
		}
	}
	cases := []tc{
		{
			name:     "bounded out-of-orderness",
			ts:       func(v int64) int64 { return 3*v + jitter(v) },
			strategy: eventtime.ForBoundedOutOfOrderness[int64](20 * time.Millisecond),
			wantTS:   func(v int64) int64 { return 3*v + jitter(v) },
			check:    bounded(20),
		},
		{
			name:     "monotonous",
			ts:       func(v int64) int64 { return 3 * v },
			strategy: eventtime.ForMonotonousTimestamps[int64](),
			wantTS:   func(v int64) int64 { return 3 * v },
			check:    bounded(0),
		},
		{
			name:     "timestamp assigner on records without timestamps",
			strategy: eventtime.ForMonotonousTimestamps[int64]().WithTimestampAssigner(func(v, _ int64) int64 { return v * 7 }),
			wantTS:   func(v int64) int64 { return v * 7 },
			check:    bounded(0),
		},
		{
			name: "timestamp assigner sees the source timestamp",
			ts:   func(v int64) int64 { return v },
			strategy: eventtime.ForMonotonousTimestamps[int64]().WithTimestampAssigner(func(v, recordTS int64) int64 {
				if recordTS != v {
					return -1 // wrong: the test sees it
				}
				return recordTS + 1000
			}),
			wantTS: func(v int64) int64 { return v + 1000 },
			check:  bounded(0),
		},
		{
			name:     "custom punctuated generator",
			ts:       func(v int64) int64 { return 5 * v },
			strategy: eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[int64] { return markers{} }),
			wantTS:   func(v int64) int64 { return 5 * v },
			check: func(t *testing.T, seen []wmSeen) {
				// Between markers the watermark is exactly the highest one
				// the markers so far announced.
				want := eventtime.MinWatermark
				for _, s := range seen {
					if s.V%10 != 0 && s.WM != want {
						t.Fatalf("record %d saw watermark %d, want %d from the markers before it", s.V, s.WM, want)
					}
					if s.V%10 == 0 {
						want = max(want, s.TS-1)
					}
				}
			},
		},
	}
	for _, c := range cases {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("%s/p=%d", c.name, p), func(t *testing.T) {
				env := quietEnv(p)
				config.SetValue(env.Config(), config.AutoWatermarkInterval, time.Millisecond)
				opts := []datagen.Option{datagen.WithRateLimit(40_000)}
				if c.ts != nil {
					opts = append(opts, datagen.WithTimestamps(c.ts))
				}
				nums := stream.FromSource(env, datagen.New(n, func(i int64) (int64, error) { return i, nil }, opts...), c.strategy, "nums")
				out := collect.New[wmSeen]()
				stream.SinkTo(stream.Process[int64, wmSeen](nums, &wmProbe{}), out)
				execute(t, env)
				perSubtask := map[int][]wmSeen{}
				advanced := false
				for _, s := range out.Values() {
					if s.TS != c.wantTS(s.V) {
						t.Fatalf("record %d has timestamp %d, want %d", s.V, s.TS, c.wantTS(s.V))
					}
					perSubtask[s.Subtask] = append(perSubtask[s.Subtask], s)
					advanced = advanced || s.WM > eventtime.MinWatermark
				}
				if len(out.Values()) != n {
					t.Fatalf("%d records, want %d", len(out.Values()), n)
				}
				if !advanced {
					t.Fatal("no record saw a watermark while the job ran")
				}
				for _, seen := range perSubtask {
					c.check(t, seen)
				}
			})
		}
	}
}

// everyRecordWatermark is a punctuated generator declaring each record's
// own timestamp complete: watermark = timestamp.
type everyRecordWatermark struct{}

func (everyRecordWatermark) OnEvent(_ int64, ts int64, out eventtime.WatermarkOutput) {
	out.EmitWatermark(ts)
}
func (everyRecordWatermark) OnPeriodicEmit(eventtime.WatermarkOutput) {}

// A watermark derived from a record must travel behind that record (Flink
// emits the record before calling OnEvent), or the record is late with
// respect to its own watermark.
func TestAPIRecordPrecedesItsOwnWatermark(t *testing.T) {
	gen := eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[int64] {
		return everyRecordWatermark{}
	})
	for _, where := range []string{"FromSource", "AssignTimestampsAndWatermarks"} {
		t.Run(where, func(t *testing.T) {
			env := quietEnv(1)
			src := datagen.New(100, func(i int64) (int64, error) { return i, nil }, datagen.WithTimestamps(func(v int64) int64 { return 10 * v }))
			var nums *stream.DataStream[int64]
			if where == "FromSource" {
				nums = stream.FromSource(env, src, gen, "nums")
			} else {
				nums = stream.AssignTimestampsAndWatermarks(
					stream.FromSource(env, src, eventtime.NoWatermarks[int64](), "nums"), gen)
			}
			out := collect.New[wmSeen]()
			stream.SinkTo(stream.Process[int64, wmSeen](nums, &wmProbe{}), out)
			execute(t, env)
			for _, s := range out.Values() {
				if s.WM >= s.TS {
					t.Fatalf("%s calls the generator's OnEvent before emitting the record: record %d (ts %d) arrived behind its own watermark %d", where, s.V, s.TS, s.WM)
				}
			}
		})
	}
}

// aboveAll emits a watermark far beyond any record, to show that
// AssignTimestampsAndWatermarks replaces upstream watermarks.
type aboveAll struct{}

func (aboveAll) OnEvent(_ ev, _ int64, out eventtime.WatermarkOutput) { out.EmitWatermark(1 << 50) }
func (aboveAll) OnPeriodicEmit(eventtime.WatermarkOutput)             {}

func TestAPIAssignTimestampsAndWatermarksMidStream(t *testing.T) {
	events := allEvents()
	want := values(oracleWindows(events, 100, 100), func(r winResult) winResult { return winResult{K: r.K, End: r.End, Sum: r.Sum} })
	for _, upstream := range []string{"none", "too high"} {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("upstream=%s/p=%d", upstream, p), func(t *testing.T) {
				env := quietEnv(p)
				config.SetValue(env.Config(), config.AutoWatermarkInterval, 5*time.Millisecond)
				strategy := eventtime.NoWatermarks[ev]()
				if upstream != "none" {
					strategy = eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[ev] { return aboveAll{} })
				}
				// One source subtask, then round-robin: each timestamping
				// subtask sees a near-ordered share of the input. (A parallel
				// datagen may hand one subtask several ranges one after the
				// other, which per-subtask timestamping would see as late.)
				raw := stream.FromSource(env, datagen.New(windowInput, genEv), strategy, "events").SetParallelism(1)
				shifted := stream.Map(raw.Rebalance(), func(e ev) (ev, error) { return e, nil })
				stamped := stream.AssignTimestampsAndWatermarks(shifted,
					eventtime.ForBoundedOutOfOrderness[ev](30*time.Millisecond).WithTimestampAssigner(func(e ev, _ int64) int64 { return e.TS }))
				probe := collect.New[ev]()
				stream.SinkTo(stamped, probe)
				w := stream.Window(stream.KeyBy(stamped, evKey), window.TumblingEventTimeWindows[ev](100*time.Millisecond))
				out := collect.New[ev]()
				stream.SinkTo(stream.WindowReduce(w, func(a, b ev) (ev, error) { return ev{K: a.K, V: a.V + b.V}, nil }), out)
				execute(t, env)
				for _, r := range probe.Records() {
					if r.Timestamp != r.Value.TS {
						t.Fatalf("record with TS %d carries timestamp %d after AssignTimestampsAndWatermarks", r.Value.TS, r.Timestamp)
					}
				}
				var got []winResult
				for _, r := range out.Records() {
					got = append(got, winResult{K: r.Value.K, End: r.Timestamp + 1, Sum: r.Value.V})
				}
				sameMultiset(t, "windows over assigned timestamps", got, want)
			})
		}
	}
}

// idleJob is the idleness scenario: a two-subtask source whose subtask 0
// gets records while subtask 1 gets none, into tumbling windows of 100 ms.
type idleJob struct {
	feed0, feed1 *feed[skv]
	src          *feedSource[skv]
	out          *collect.Sink[winResult]
	wait         func() error
	pushed       []ev
	stop         chan struct{}
	stopOnce     sync.Once
	pumpDone     chan struct{}
}

func (j *idleJob) stopPump() {
	j.stopOnce.Do(func() { close(j.stop) })
	<-j.pumpDone
}

// startIdleJob starts the job; with noSplit, subtask 1 gets no split at
// all instead of a split without records.
func startIdleJob(t *testing.T, idleness time.Duration, noSplit bool) *idleJob {
	j := &idleJob{feed0: newFeed[skv](), feed1: newFeed[skv](), stop: make(chan struct{}), pumpDone: make(chan struct{})}
	if noSplit {
		j.src = newFeedSource(j.feed0, nil)
	} else {
		j.src = newFeedSource(j.feed0, j.feed1)
	}
	env := quietEnv(2)
	config.SetValue(env.Config(), config.AutoWatermarkInterval, 5*time.Millisecond)
	strategy := eventtime.ForMonotonousTimestamps[skv]()
	if idleness > 0 {
		strategy = strategy.WithIdleness(idleness)
	}
	recs := stream.FromSource(env, j.src, strategy, "feed")
	w := stream.Window(stream.KeyBy(recs, keyOf), window.TumblingEventTimeWindows[skv](100*time.Millisecond))
	j.out = collect.New[winResult]()
	stream.SinkTo(stream.WindowProcess(w, window.ProcessFunc[skv, winResult, string, window.TimeWindow](
		func(key string, ctx window.ProcessContext[window.TimeWindow], elements []skv, out operator.Collector[winResult]) error {
			r := winResult{K: key, End: ctx.Window().End}
			for _, e := range elements {
				r.Count++
				r.Sum += e.V
			}
			out.Collect(r)
			return nil
		})), j.out)
	j.wait = startJob(t, env)
	t.Cleanup(j.stopPump) // runs before startJob's cleanup cancels the job
	// Subtask 0 keeps producing (so it never turns idle itself): one
	// record every 2 ms of wall time, 10 ms apart in event time.
	go func() {
		defer close(j.pumpDone)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for ts := int64(0); ; ts += 10 {
			k := fmt.Sprintf("k%d", ts/10%3)
			j.feed0.pushAt(skv{K: k, V: ts / 10}, ts)
			j.pushed = append(j.pushed, ev{K: k, TS: ts, V: ts / 10})
			select {
			case <-j.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return j
}

// finish stops the input and checks every window against the records sent.
func (j *idleJob) finish(t *testing.T) {
	t.Helper()
	j.stopPump()
	j.feed0.close()
	j.feed1.close()
	close(j.src.release)
	if err := j.wait(); err != nil {
		t.Fatal(err)
	}
	want := values(oracleWindows(j.pushed, 100, 100), func(r winResult) winResult {
		return winResult{K: r.K, End: r.End, Count: r.Count, Sum: r.Sum}
	})
	sameMultiset(t, "windows at the end", j.out.Values(), want)
}

func TestAPIIdleSubtaskDoesNotHoldBackWindows(t *testing.T) {
	for _, noSplit := range []bool{false, true} {
		t.Run(fmt.Sprintf("noSplit=%v", noSplit), func(t *testing.T) {
			j := startIdleJob(t, 30*time.Millisecond, noSplit)
			deadline := time.Now().Add(3 * time.Second)
			for j.out.Len() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			fired := j.out.Len()
			j.finish(t)
			if fired == 0 {
				t.Fatal("no window fired in 3s while subtask 1 was idle: idleness did not release the watermark")
			}
		})
	}
}

func TestAPISilentSubtaskHoldsBackWindowsWithoutIdleness(t *testing.T) {
	j := startIdleJob(t, 0, false)
	time.Sleep(300 * time.Millisecond)
	if n := j.out.Len(); n != 0 {
		t.Fatalf("%d windows fired while subtask 1 had no watermark and no idleness", n)
	}
	j.finish(t)
}

// When the last active input turns idle, Flink's valve flushes the largest
// watermark of all inputs, so windows the idle inputs allow still fire.
func TestAPIAllInputsIdleFlushesWatermark(t *testing.T) {
	f0, f1 := newFeed[skv](), newFeed[skv]()
	src := newFeedSource(f0, f1)
	env := quietEnv(2)
	config.SetValue(env.Config(), config.AutoWatermarkInterval, 5*time.Millisecond)
	recs := stream.FromSource(env, src, eventtime.ForMonotonousTimestamps[skv]().WithIdleness(150*time.Millisecond), "feed")
	w := stream.Window(stream.KeyBy(recs, keyOf), window.TumblingEventTimeWindows[skv](100*time.Millisecond))
	out := collect.New[skv]()
	stream.SinkTo(stream.WindowReduce(w, func(a, b skv) (skv, error) { return skv{K: a.K, V: a.V + b.V}, nil }), out)
	wait := startJob(t, env)

	// Subtask 0 reaches event time 990 and falls silent; subtask 1 sends
	// one record at 0 well after that, so it turns idle last, with the
	// watermark the windows wait for.
	for ts := int64(0); ts <= 990; ts += 10 {
		f0.pushAt(skv{K: "a", V: 1}, ts)
	}
	time.Sleep(100 * time.Millisecond)
	f1.pushAt(skv{K: "b", V: 1}, 0)
	deadline := time.Now().Add(time.Second)
	for out.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	fired := out.Len()
	f0.close()
	f1.close()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 11 { // [0,100) .. [900,1000) of "a", [0,100) of "b"
		t.Fatalf("%d windows at the end, want 11", out.Len())
	}
	if fired == 0 {
		t.Fatal("no window fired within 1s after every input turned idle: the largest watermark was not flushed")
	}
}

// Union combines the watermarks of its inputs as their minimum: a source
// that lags holds back windows although the other is far ahead.
func TestAPIUnionWatermarkIsMinimumOfInputs(t *testing.T) {
	fast, slow := newFeed[skv](), newFeed[skv]()
	env := quietEnv(2)
	config.SetValue(env.Config(), config.AutoWatermarkInterval, 5*time.Millisecond)
	strategy := eventtime.ForMonotonousTimestamps[skv]()
	a := stream.FromSource(env, newFeedSource(fast), strategy, "fast").SetParallelism(1)
	b := stream.FromSource(env, newFeedSource(slow), strategy, "slow").SetParallelism(1)
	w := stream.Window(stream.KeyBy(stream.Union(a, b), keyOf), window.TumblingEventTimeWindows[skv](100*time.Millisecond))
	out := collect.New[skv]()
	stream.SinkTo(stream.WindowReduce(w, func(x, y skv) (skv, error) { return skv{K: x.K, V: x.V + y.V}, nil }), out)
	wait := startJob(t, env)

	var pushed []ev
	push := func(f *feed[skv], k string, ts int64) {
		f.pushAt(skv{K: k, V: ts}, ts)
		pushed = append(pushed, ev{K: k, TS: ts, V: ts})
	}
	for ts := int64(0); ts < 1000; ts += 10 {
		push(fast, "fast", ts)
	}
	for ts := int64(0); ts <= 100; ts += 10 {
		push(slow, "slow", ts)
	}
	// The slow input's watermark is 99: exactly the windows [0, 100) fire.
	waitFor(t, "the first windows", func() bool { return out.Len() >= 2 })
	time.Sleep(100 * time.Millisecond)
	for _, r := range out.Records() {
		if r.Timestamp != 99 {
			t.Fatalf("window ending at %d fired while the slow input's watermark was 99", r.Timestamp+1)
		}
	}
	if out.Len() != 2 {
		t.Fatalf("%d windows fired, want the 2 windows [0, 100)", out.Len())
	}
	for ts := int64(110); ts < 1000; ts += 10 {
		push(slow, "slow", ts)
	}
	fast.close()
	slow.close()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	want := values(oracleWindows(pushed, 100, 100), func(r winResult) winResult { return winResult{K: r.K, End: r.End, Sum: r.Sum} })
	var got []winResult
	for _, r := range out.Records() {
		got = append(got, winResult{K: r.Value.K, End: r.Timestamp + 1, Sum: r.Value.V})
	}
	sameMultiset(t, "union windows", got, want)
}
