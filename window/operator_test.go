package window

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
)

func TestProcessingTimeTumbling(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingProcessingTimeWindows[kv](100 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.clock.now = 1005
	h.element(kv{"a", 1}, eventtime.NoTimestamp)
	h.element(kv{"b", 10}, 3) // the event timestamp does not matter
	h.advance(1050)
	h.element(kv{"a", 2}, eventtime.NoTimestamp)
	h.advance(1098)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired before the clock reached the window end: %v", got)
	}
	h.advance(1099)
	want := []result[TimeWindow]{{"a", TimeWindow{1000, 1100}, 3, 2}, {"b", TimeWindow{1000, 1100}, 10, 1}}
	if got := sortResults(h.takeValues()); !slices.Equal(got, want) {
		t.Fatalf("first window: %v, want %v", got, want)
	}
	// The clock still reads 1099: [1000, 1100) starts again, and its timer is
	// due at once.
	h.element(kv{"a", 4}, eventtime.NoTimestamp)
	h.advance(1120)
	want = []result[TimeWindow]{{"a", TimeWindow{1000, 1100}, 4, 1}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("restarted window: %v, want %v", got, want)
	}
	h.element(kv{"a", 8}, eventtime.NoTimestamp)
	// Watermarks do not fire processing-time windows.
	h.watermark(eventtime.MaxWatermark)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("a watermark fired a processing-time window: %v", got)
	}
	h.advance(1250)
	want = []result[TimeWindow]{{"a", TimeWindow{1100, 1200}, 8, 1}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("later windows: %v, want %v", got, want)
	}
	if h.clock.pending() != 0 || h.op.timers.NumProcessingTimeTimers() != 0 {
		t.Fatalf("timers left: %d callbacks, %d timers", h.clock.pending(), h.op.timers.NumProcessingTimeTimers())
	}
}

func TestAllowedLateness(t *testing.T) {
	for _, tag := range []string{"late", ""} {
		t.Run("tag="+tag, func(t *testing.T) {
			op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
				Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms), AllowedLateness: 5 * ms, LateDataTag: tag,
			}, sumCount{}, emitAcc[TimeWindow]())
			h := newHarness(t, op, err)
			h.element(kv{"a", 1}, 1)
			h.watermark(9)
			if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 10}, 1, 1}}) {
				t.Fatalf("on-time firing: %v", got)
			}
			// Late but within the allowed lateness: the window fires again.
			h.element(kv{"a", 2}, 3)
			if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 10}, 3, 2}}) {
				t.Fatalf("late firing: %v", got)
			}
			h.watermark(13)
			h.element(kv{"a", 4}, 9)
			if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 10}, 7, 3}}) {
				t.Fatalf("second late firing: %v", got)
			}
			h.watermark(14) // 9 + 5: the window is cleaned up
			h.element(kv{"a", 8}, 4)
			side := h.out.filter("side")
			if got := h.takeValues(); len(got) != 0 {
				t.Fatalf("a record beyond the lateness fired: %v", got)
			}
			if tag != "" {
				if len(side) != 1 || side[0].tag != tag || side[0].side != (kv{"a", 8}) || side[0].ts != 4 {
					t.Fatalf("side output %+v, want the late record", side)
				}
				if h.op.NumLateRecordsDropped() != 0 {
					t.Fatal("a record sent to the side output was counted as dropped")
				}
			} else if len(side) != 0 || h.op.NumLateRecordsDropped() != 1 {
				t.Fatalf("side output %v, dropped %d; want no side output and one dropped", side, h.op.NumLateRecordsDropped())
			}
			// A new window for the same key still works.
			h.element(kv{"a", 16}, 20)
			h.watermark(29)
			if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{20, 30}, 16, 1}}) {
				t.Fatalf("next window: %v", got)
			}
		})
	}
}

func TestLatenessNearEndOfTime(t *testing.T) {
	// End-1 + lateness overflows: the window is never cleaned up and no
	// cleanup timer is registered, but it still fires.
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms), AllowedLateness: time.Duration(math.MaxInt64),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	const ts = math.MaxInt64 - 1_000_000_000_005
	w := TimeWindow{ts - 2, ts + 8}
	h.element(kv{"a", 1}, ts)
	if n := h.op.timers.NumEventTimeTimers(); n != 1 {
		t.Fatalf("%d timers, want only the trigger's", n)
	}
	h.watermark(w.MaxTimestamp() + 1_000_000)
	h.element(kv{"a", 2}, ts) // never late (short of the end of time)
	want := []result[TimeWindow]{{"a", w, 1, 1}, {"a", w, 3, 2}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestCountTriggerOnGlobalWindows(t *testing.T) {
	for _, purge := range []bool{false, true} {
		trigger := CountTrigger[kv, GlobalWindow](3)
		if purge {
			trigger = PurgingTrigger(trigger)
		}
		op, err := NewBufferingOperator(Config[string, kv, GlobalWindow]{
			Key: kvKey, Assigner: GlobalWindows[kv](), Trigger: trigger,
		}, emitValues[GlobalWindow]())
		h := newHarness(t, op, err)
		for i := range int64(7) {
			h.element(kv{"a", i}, eventtime.NoTimestamp)
			h.element(kv{"b", 10 * i}, eventtime.NoTimestamp)
		}
		h.watermark(eventtime.MaxWatermark) // global windows never end
		got := h.takeValues()
		want := [][]int64{{0, 1, 2}, {0, 10, 20}, {0, 1, 2, 3, 4, 5}, {0, 10, 20, 30, 40, 50}}
		if purge {
			want = [][]int64{{0, 1, 2}, {0, 10, 20}, {3, 4, 5}, {30, 40, 50}}
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("purge=%v: %v, want %v", purge, got, want)
		}
		for _, e := range h.out.records() {
			if e.ts != math.MaxInt64 {
				t.Fatalf("global window result at %d", e.ts)
			}
		}
	}
}

func TestNeverTriggerDefault(t *testing.T) {
	op, err := NewBufferingOperator(Config[string, kv, GlobalWindow]{Key: kvKey, Assigner: GlobalWindows[kv]()},
		emitValues[GlobalWindow]())
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, 5)
	h.watermark(eventtime.MaxWatermark)
	h.advance(math.MaxInt64)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("the default global trigger fired: %v", got)
	}
}

func TestPurgingEventTimeTriggerWithLateness(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms), AllowedLateness: 10 * ms,
		Trigger: PurgingTrigger(EventTimeTrigger[kv, TimeWindow]()),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, 1)
	h.element(kv{"a", 2}, 2)
	h.watermark(9)
	h.element(kv{"a", 4}, 3) // late: fires with only what came since the purge
	want := []result[TimeWindow]{{"a", TimeWindow{0, 10}, 3, 2}, {"a", TimeWindow{0, 10}, 4, 1}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestContinuousEventTimeTrigger(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](100 * ms),
		Trigger: ContinuousEventTimeTrigger[kv, TimeWindow](30 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, 5) // first firing at 30
	h.watermark(29)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	h.watermark(30)
	h.element(kv{"a", 2}, 40)
	h.watermark(60)
	h.element(kv{"a", 4}, 70)
	h.watermark(99) // 90, then the window end 99
	want := []result[TimeWindow]{
		{"a", TimeWindow{0, 100}, 1, 1}, {"a", TimeWindow{0, 100}, 3, 2},
		{"a", TimeWindow{0, 100}, 7, 3}, {"a", TimeWindow{0, 100}, 7, 3},
	}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	if n := h.op.timers.NumEventTimeTimers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
}

func TestContinuousProcessingTimeTrigger(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingProcessingTimeWindows[kv](100 * ms),
		Trigger: ContinuousProcessingTimeTrigger[kv, TimeWindow](40 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.clock.now = 1010
	h.element(kv{"a", 1}, eventtime.NoTimestamp) // fires at 1040, 1080, 1099
	h.advance(1039)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	h.advance(1040)
	h.element(kv{"a", 2}, eventtime.NoTimestamp)
	h.advance(1200)
	w := TimeWindow{1000, 1100}
	want := []result[TimeWindow]{{"a", w, 1, 1}, {"a", w, 3, 2}, {"a", w, 3, 2}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	if h.clock.pending() != 0 {
		t.Fatalf("%d callbacks left", h.clock.pending())
	}
}

func TestEvictors(t *testing.T) {
	// GlobalWindows with a count trigger firing every third record; the
	// function sees the kept elements and what the evictor keeps stays.
	cases := []struct {
		name    string
		evictor Evictor[kv, GlobalWindow]
		want    [][]int64
	}{
		{"count-before", CountEvictor[kv, GlobalWindow](2), [][]int64{{2, 3}, {5, 6}}},
		{"count-after", CountEvictor[kv, GlobalWindow](2, true), [][]int64{{1, 2, 3}, {2, 3, 4, 5, 6}}},
		// Timestamps are 10*value: keep the last 15ms.
		{"time-before", TimeEvictor[kv, GlobalWindow](15 * ms), [][]int64{{2, 3}, {5, 6}}},
		{"time-after", TimeEvictor[kv, GlobalWindow](15*ms, true), [][]int64{{1, 2, 3}, {2, 3, 4, 5, 6}}},
		// Keep values within 1.5 of the last one.
		{"delta-before", DeltaEvictor[kv, GlobalWindow](1.5, absDelta), [][]int64{{2, 3}, {5, 6}}},
		{"delta-after", DeltaEvictor[kv, GlobalWindow](1.5, absDelta, true), [][]int64{{1, 2, 3}, {2, 3, 4, 5, 6}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, err := NewBufferingOperator(Config[string, kv, GlobalWindow]{
				Key: kvKey, Assigner: GlobalWindows[kv](), Trigger: CountTrigger[kv, GlobalWindow](3), Evictor: c.evictor,
			}, emitValues[GlobalWindow]())
			h := newHarness(t, op, err)
			for i := int64(1); i <= 6; i++ {
				h.element(kv{"a", i}, 10*i)
			}
			if got := h.takeValues(); !slices.EqualFunc(got, c.want, slices.Equal) {
				t.Fatalf("%v, want %v", got, c.want)
			}
		})
	}
}

func absDelta(a, b kv) float64 { return math.Abs(float64(a.V - b.V)) }

func TestEvictorFunctions(t *testing.T) {
	tv := func(vs ...int64) []TimestampedValue[kv] {
		var out []TimestampedValue[kv]
		for _, v := range vs {
			out = append(out, TimestampedValue[kv]{Value: kv{"k", v}, Timestamp: v})
		}
		return out
	}
	noTS := []TimestampedValue[kv]{{kv{"k", 1}, eventtime.NoTimestamp}, {kv{"k", 100}, 100}}
	cases := []struct {
		name string
		e    Evictor[kv, TimeWindow]
		in   []TimestampedValue[kv]
		want []TimestampedValue[kv]
	}{
		{"count keeps newest", CountEvictor[kv, TimeWindow](2), tv(1, 2, 3), tv(2, 3)},
		{"count under max", CountEvictor[kv, TimeWindow](5), tv(1, 2, 3), tv(1, 2, 3)},
		{"count zero", CountEvictor[kv, TimeWindow](0), tv(1, 2), nil},
		{"time cutoff excluded", TimeEvictor[kv, TimeWindow](10 * ms), tv(1, 5, 9, 15), tv(9, 15)},
		{"time out of order", TimeEvictor[kv, TimeWindow](10 * ms), tv(15, 1, 12, 5), tv(15, 12)},
		{"time without timestamps", TimeEvictor[kv, TimeWindow](10 * ms), noTS, noTS},
		{"time empty", TimeEvictor[kv, TimeWindow](10 * ms), nil, nil},
		{"delta", DeltaEvictor[kv, TimeWindow](3, absDelta), tv(1, 8, 4, 10, 7), tv(8, 7)},
		{"delta empty", DeltaEvictor[kv, TimeWindow](3, absDelta), nil, nil},
	}
	for _, c := range cases {
		in := slices.Clone(c.in)
		got := c.e.EvictBefore(in, TimeWindow{}, nil)
		if !slices.Equal(got, c.want) && (len(got) != 0 || len(c.want) != 0) {
			t.Errorf("%s: EvictBefore = %v, want %v", c.name, got, c.want)
		}
		if got := c.e.EvictAfter(slices.Clone(c.in), TimeWindow{}, nil); !slices.Equal(got, c.in) {
			t.Errorf("%s: EvictAfter of a before-evictor changed %v to %v", c.name, c.in, got)
		}
	}
}

// clearingFunc counts firings per window in per-window state and records
// its Clear calls.
type clearingFunc struct {
	cleared []TimeWindow
	// seenInClear is the per-window firing count the Clear hook read.
	seenInClear []int64
}

var firings = state.ValueDescriptor[int64]{Name: "firings"}

func (f *clearingFunc) Process(key string, ctx ProcessContext[TimeWindow], elements []acc, out operator.Collector[result[TimeWindow]]) error {
	st, err := state.GetValueState(ctx.WindowState(), firings)
	if err != nil {
		return err
	}
	n, _, err := st.Value()
	if err != nil {
		return err
	}
	if err := st.Update(n + 1); err != nil {
		return err
	}
	total, err := state.GetValueState(ctx.GlobalState(), state.ValueDescriptor[int64]{Name: "all-firings"})
	if err != nil {
		return err
	}
	all, _, _ := total.Value()
	if err := total.Update(all + 1); err != nil {
		return err
	}
	// Count is the per-window firing number, Sum the key's firings overall.
	out.Collect(result[TimeWindow]{Key: key, W: ctx.Window(), Sum: all + 1, Count: n + 1})
	ctx.Output("audit", key)
	return nil
}

func (f *clearingFunc) Clear(ctx ProcessContext[TimeWindow]) error {
	st, err := state.GetValueState(ctx.WindowState(), firings)
	if err != nil {
		return err
	}
	n, _, _ := st.Value()
	f.cleared = append(f.cleared, ctx.Window())
	f.seenInClear = append(f.seenInClear, n)
	st.Clear()
	return nil
}

func TestClearHookAndWindowState(t *testing.T) {
	fn := &clearingFunc{}
	op, err := NewAggregatingOperator[string, kv, acc, acc, result[TimeWindow]](Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms), AllowedLateness: 20 * ms,
	}, sumCount{}, fn)
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, 1)
	h.element(kv{"a", 1}, 11)
	h.watermark(19) // fires [0,10) and [10,20): first firing of each
	h.element(kv{"a", 1}, 2)
	h.element(kv{"a", 1}, 3) // [0,10) fires twice more
	want := []result[TimeWindow]{
		{"a", TimeWindow{0, 10}, 1, 1}, {"a", TimeWindow{10, 20}, 2, 1},
		{"a", TimeWindow{0, 10}, 3, 2}, {"a", TimeWindow{0, 10}, 4, 3},
	}
	audits := h.out.filter("side")
	if len(audits) != 4 || audits[0].tag != "audit" || audits[0].side != "a" || audits[0].ts != 9 || audits[1].ts != 19 {
		t.Fatalf("side outputs of the window function: %+v", audits)
	}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	if len(fn.cleared) != 0 {
		t.Fatalf("cleared before the end of the lateness: %v", fn.cleared)
	}
	h.watermark(29) // [0,10) cleaned up
	if !slices.Equal(fn.cleared, []TimeWindow{{0, 10}}) || !slices.Equal(fn.seenInClear, []int64{3}) {
		t.Fatalf("cleared %v seeing %v, want [0,10) seeing 3 firings", fn.cleared, fn.seenInClear)
	}
	h.watermark(39)
	if !slices.Equal(fn.cleared, []TimeWindow{{0, 10}, {10, 20}}) {
		t.Fatalf("cleared %v", fn.cleared)
	}
	// A new window of [0,10) after cleanup would start over; per-window state
	// was cleared by the hook.
	h.op.windowBackend.SetCurrentKey(windowKey{key: "a", window: TimeWindow{0, 10}})
	st, _ := state.GetValueState(h.op.windowBackend, firings)
	if _, ok, _ := st.Value(); ok {
		t.Fatal("per-window state survived its Clear")
	}
}

func TestWindowStatePanicsForSessions(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: EventTimeSessionWindows[kv](10 * ms),
	}, sumCount{}, ProcessFunc[acc, int, string, TimeWindow](
		func(_ string, ctx ProcessContext[TimeWindow], _ []acc, _ operator.Collector[int]) error {
			ctx.WindowState()
			return nil
		}))
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, 1)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "not supported with merging windows") {
			t.Fatalf("recovered %v, want the merging-windows panic", r)
		}
	}()
	_ = h.op.ProcessWatermark(100)
}

func TestNegativeTimestamps(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, -1)
	h.element(kv{"a", 2}, -10)
	h.element(kv{"a", 4}, -11)
	h.element(kv{"a", 8}, 0)
	h.watermark(-11)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{-20, -10}, 4, 1}}) {
		t.Fatalf("at -11: %v", got)
	}
	h.watermark(-1)
	want := []result[TimeWindow]{{"a", TimeWindow{-10, 0}, 3, 2}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("at -1: %v, want %v", got, want)
	}
	if rs := h.out.records(); len(rs) != 0 {
		t.Fatal("takeValues did not reset")
	}
	h.watermark(9)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 10}, 8, 1}}) {
		t.Fatalf("at 9: %v", got)
	}
}

func TestForwardingAndLifecycle(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	if err := h.op.ProcessWatermarkStatus(true); err != nil {
		t.Fatal(err)
	}
	h.element(kv{"a", 1}, 1)
	h.watermark(9)
	if err := h.op.Finish(); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range h.out.events {
		kinds = append(kinds, e.kind)
	}
	if !slices.Equal(kinds, []string{"status", "record", "watermark"}) || !h.out.events[0].idle {
		t.Fatalf("events %v", h.out.events)
	}

	bad, _ := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Name: "typed", Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	bad.SetOutput(&recordingOutput[string]{})
	err = bad.Open(&fakeContext{clock: &manualClock{}})
	if err == nil || !strings.Contains(err.Error(), "want operator.Output[window.result[") {
		t.Fatalf("Open with a mistyped output: %v", err)
	}
	if err := bad.Close(); err != nil {
		t.Fatalf("Close after a failed Open: %v", err)
	}
}

func TestErrorsFromUserCode(t *testing.T) {
	boom := errors.New("boom")
	op, err := NewBufferingOperator(Config[string, kv, TimeWindow]{
		Name: "failing", Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, ProcessFunc[kv, int, string, TimeWindow](func(string, ProcessContext[TimeWindow], []kv, operator.Collector[int]) error {
		return boom
	}))
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, 1)
	err = h.op.ProcessWatermark(9)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"failing"`) || !strings.Contains(err.Error(), "[0, 10)") {
		t.Fatalf("error %v, want boom with operator and window", err)
	}
}

func TestLateCounterConcurrentRead(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.watermark(100)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = h.op.NumLateRecordsDropped()
			}
		}
	})
	for i := range int64(200) {
		h.element(kv{"a", i}, i%50)
	}
	close(stop)
	wg.Wait()
	if n := h.op.NumLateRecordsDropped(); n != 200 {
		t.Fatalf("dropped %d, want 200", n)
	}
}
