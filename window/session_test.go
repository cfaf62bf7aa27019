package window

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/state"
)

func sessionOp(t *testing.T, gap time.Duration, lateness time.Duration, trigger Trigger[kv, TimeWindow]) *harness[string, kv, result[TimeWindow], TimeWindow] {
	t.Helper()
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: EventTimeSessionWindows[kv](gap), Trigger: trigger,
		AllowedLateness: lateness, LateDataTag: "late",
	}, sumCount{}, emitAcc[TimeWindow]())
	return newHarness(t, op, err)
}

// inFlight returns the key's in-flight windows and their state windows.
func inFlight(t *testing.T, h *harness[string, kv, result[TimeWindow], TimeWindow], key string) []windowMapping[TimeWindow] {
	t.Helper()
	h.op.backend.SetCurrentKey(key)
	m, err := h.op.mergingSet.st.Get()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSessionBridgedByOutOfOrderRecord(t *testing.T) {
	h := sessionOp(t, 10*ms, 0, nil)
	h.element(kv{"a", 1}, 0)  // [0, 10)
	h.element(kv{"a", 2}, 20) // [20, 30)
	h.element(kv{"b", 100}, 5)
	h.watermark(8)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired before the watermark passed a session end: %v", got)
	}
	if got := inFlight(t, h, "a"); len(got) != 2 {
		t.Fatalf("in flight %v, want two sessions", got)
	}
	// Out of order but not late: [10, 20) touches both sessions.
	h.element(kv{"a", 4}, 10)
	got := inFlight(t, h, "a")
	if len(got) != 1 || got[0].Window != (TimeWindow{0, 30}) {
		t.Fatalf("in flight after bridging %v, want one window [0, 30)", got)
	}
	// Timers of the merged windows are gone: a's merged window and b's.
	if n := h.op.timers.NumEventTimeTimers(); n != 2 {
		t.Fatalf("%d event-time timers, want 2 (one per session)", n)
	}
	h.watermark(14)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"b", TimeWindow{5, 15}, 100, 1}}) {
		t.Fatalf("at watermark 14: %v", got)
	}
	h.watermark(29)
	want := []result[TimeWindow]{{"a", TimeWindow{0, 30}, 7, 3}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("at watermark 29: %v, want %v", got, want)
	}
	if got := inFlight(t, h, "a"); len(got) != 0 {
		t.Fatalf("in flight after cleanup: %v", got)
	}
	if n := h.op.timers.NumEventTimeTimers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
}

func TestSessionBridgedWithinAllowedLateness(t *testing.T) {
	h := sessionOp(t, 10*ms, 100*ms, nil)
	h.element(kv{"a", 1}, 0)  // [0, 10)
	h.element(kv{"a", 2}, 20) // [20, 30)
	h.watermark(9)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 10}, 1, 1}}) {
		t.Fatalf("first session: %v", got)
	}
	// Late, within the lateness: merges the fired session with the open one;
	// the merged window's end is after the watermark, so it waits for it.
	h.element(kv{"a", 4}, 10)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired the merged session early: %v", got)
	}
	h.watermark(29)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 30}, 7, 3}}) {
		t.Fatalf("merged session: %v", got)
	}
	// Late again, inside the merged window: fires at once with the update.
	h.element(kv{"a", 8}, 15)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 30}, 15, 4}}) {
		t.Fatalf("late update: %v", got)
	}
	// Late, extending the session past the watermark: the extended session
	// waits for the watermark again.
	h.element(kv{"a", 16}, 25)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("extended session fired early: %v", got)
	}
	h.watermark(34)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 35}, 31, 5}}) {
		t.Fatalf("extended session: %v", got)
	}
	// Cleanup of [0, 35) at 34+100; a record whose window ends before that
	// is late altogether.
	h.watermark(134)
	if got := inFlight(t, h, "a"); len(got) != 0 {
		t.Fatalf("in flight after cleanup: %v", got)
	}
	h.element(kv{"a", 64}, 24)
	side := h.out.filter("side")
	if len(side) != 1 || side[0].side.(kv).V != 64 || side[0].ts != 24 {
		t.Fatalf("side output %v, want the late record", side)
	}
}

func TestSessionTriggerStateMerges(t *testing.T) {
	// CountTrigger(3) only fires once the counts of both sessions and the
	// bridging record add up: the trigger state must merge.
	h := sessionOp(t, 10*ms, 0, CountTrigger[kv, TimeWindow](3))
	h.element(kv{"a", 1}, 0)
	h.element(kv{"a", 2}, 20)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	h.element(kv{"a", 4}, 10)
	want := []result[TimeWindow]{{"a", TimeWindow{0, 30}, 7, 3}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("after bridging: %v, want %v", got, want)
	}
	// The count restarted; two more records do not fire, a third does.
	h.element(kv{"a", 8}, 12)
	h.element(kv{"a", 16}, 30) // extends to [0, 40)
	h.element(kv{"a", 32}, 1)
	want = []result[TimeWindow]{{"a", TimeWindow{0, 40}, 63, 6}}
	if got := h.takeValues(); !slices.Equal(got, want) {
		t.Fatalf("second firing: %v, want %v", got, want)
	}
	// CountTrigger registers no timer, but the cleanup timer removes the
	// session (with its contents and count) when the watermark passes it.
	h.watermark(39)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("count trigger fired on a timer: %v", got)
	}
	if got := inFlight(t, h, "a"); len(got) != 0 {
		t.Fatalf("in flight after cleanup: %v", got)
	}
	h.op.backend.SetCurrentKey("a")
	count, err := state.GetReducingState(h.op.backend, state.ReducingDescriptor[int64]{Name: "count", Reduce: sumInt64})
	if err != nil {
		t.Fatal(err)
	}
	count.(state.Namespaced).SetNamespace(TimeWindow{0, 40})
	if n, ok, _ := count.Get(); ok {
		t.Fatalf("trigger state left after cleanup: %d", n)
	}
}

func TestSessionContinuousTriggerMerges(t *testing.T) {
	h := sessionOp(t, 10*ms, 0, ContinuousEventTimeTrigger[kv, TimeWindow](5*ms))
	h.element(kv{"a", 1}, 1)  // [1, 11), fire-time 5
	h.element(kv{"a", 2}, 12) // [12, 22), fire-time 15
	h.element(kv{"a", 4}, 11) // bridges: [1, 22), fire-time min(5, 15) = 5
	h.watermark(5)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{1, 22}, 7, 3}}) {
		t.Fatalf("continuous firing of the merged session: %v", got)
	}
	h.watermark(21)
	// Fires at 10, 15, 20 and at the end, 21.
	if got := h.takeValues(); len(got) != 4 {
		t.Fatalf("firings up to the session end: %v", got)
	}
	if n := h.op.timers.NumEventTimeTimers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
}

func TestProcessingTimeSessions(t *testing.T) {
	op, err := NewBufferingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: ProcessingTimeSessionWindows[kv](10 * ms),
	}, emitSum[TimeWindow]())
	h := newHarness(t, op, err)
	h.clock.now = 1000
	h.element(kv{"a", 1}, eventtime.NoTimestamp) // [1000, 1010)
	h.advance(1005)
	h.element(kv{"a", 2}, eventtime.NoTimestamp) // [1005, 1015) -> [1000, 1015)
	h.advance(1013)
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired before the session ended: %v", got)
	}
	h.advance(1014)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{1000, 1015}, 3, 2}}) {
		t.Fatalf("session: %v", got)
	}
	if n := h.clock.pending(); n != 0 {
		t.Fatalf("%d processing-time callbacks left", n)
	}
}

func TestDynamicSessionGaps(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: DynamicEventTimeSessionWindows(func(r kv) time.Duration { return time.Duration(r.V) * ms }),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.element(kv{"a", 5}, 0)  // [0, 5)
	h.element(kv{"a", 20}, 3) // [3, 23) -> [0, 23)
	h.element(kv{"a", 2}, 30) // [30, 32)
	h.element(kv{"a", 23}, 0) // [0, 23): already in flight as the merged window
	h.watermark(eventtime.MaxWatermark)
	want := []result[TimeWindow]{{"a", TimeWindow{0, 23}, 48, 3}, {"a", TimeWindow{30, 32}, 2, 1}}
	if got := sortResults(h.takeValues()); !slices.Equal(got, want) {
		t.Fatalf("sessions %v, want %v", got, want)
	}
	if err := h.op.ProcessElement(kv{"a", 0}, 50); err == nil {
		t.Fatal("a zero gap was accepted")
	}
}

// TestSessionsMatchOracle compares random out-of-order sessions, closed by
// the final watermark, with sessions computed by sorting: with no record
// late, a session is a maximal run of records whose [ts, ts+gap) windows
// overlap or touch.
func TestSessionsMatchOracle(t *testing.T) {
	const gap = 10
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		h := sessionOp(t, gap*ms, 0, nil)
		type rec struct {
			r  kv
			ts int64
		}
		var recs []rec
		for range 60 {
			recs = append(recs, rec{kv{string(rune('a' + rng.IntN(3))), 1 + rng.Int64N(9)}, rng.Int64N(300) - 150})
		}
		for _, r := range recs {
			h.element(r.r, r.ts)
		}
		h.watermark(eventtime.MaxWatermark)

		slices.SortFunc(recs, func(a, b rec) int { return int(a.ts - b.ts) })
		var want []result[TimeWindow]
		for _, key := range []string{"a", "b", "c"} {
			var cur *result[TimeWindow]
			for _, r := range recs {
				if r.r.Key != key {
					continue
				}
				if cur != nil && r.ts <= cur.W.End {
					cur.W.End = max(cur.W.End, r.ts+gap)
					cur.Sum += r.r.V
					cur.Count++
					continue
				}
				if cur != nil {
					want = append(want, *cur)
				}
				cur = &result[TimeWindow]{Key: key, W: TimeWindow{r.ts, r.ts + gap}, Sum: r.r.V, Count: 1}
			}
			if cur != nil {
				want = append(want, *cur)
			}
		}
		if got := sortResults(h.takeValues()); !slices.Equal(got, sortResults(want)) {
			t.Fatalf("seed %d:\n got  %v\n want %v", seed, got, want)
		}
	}
}

func TestLateSessionIsRetired(t *testing.T) {
	h := sessionOp(t, 10*ms, 0, nil)
	h.element(kv{"a", 1}, 100)
	h.watermark(50)
	h.element(kv{"a", 2}, 5) // [5, 15) is late: never in flight
	side := h.out.filter("side")
	if len(side) != 1 || side[0].side != (kv{"a", 2}) {
		t.Fatalf("side output %v", side)
	}
	if got := inFlight(t, h, "a"); len(got) != 1 || got[0].Window != (TimeWindow{100, 110}) {
		t.Fatalf("in flight %v, want only [100, 110)", got)
	}
}

func TestPurgingProcessingTimeSessions(t *testing.T) {
	op, err := NewBufferingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: ProcessingTimeSessionWindows[kv](10 * ms),
		Trigger: PurgingTrigger(ProcessingTimeTrigger[kv, TimeWindow]()),
	}, emitSum[TimeWindow]())
	h := newHarness(t, op, err)
	h.element(kv{"a", 1}, eventtime.NoTimestamp) // [0, 10)
	h.advance(4)
	h.element(kv{"a", 2}, eventtime.NoTimestamp) // [4, 14) merges: [0, 14)
	h.advance(9)                                 // the merged-away window's timer was deleted
	if got := h.takeValues(); len(got) != 0 {
		t.Fatalf("fired before the merged session ended: %v", got)
	}
	h.advance(13)
	if got := h.takeValues(); !slices.Equal(got, []result[TimeWindow]{{"a", TimeWindow{0, 14}, 3, 2}}) {
		t.Fatalf("merged session: %v", got)
	}
	if h.op.timers.NumProcessingTimeTimers() != 0 || len(inFlight(t, h, "a")) != 0 {
		t.Fatal("state left after the session")
	}
}

func TestPartitionedStateIsScopedToTheWindow(t *testing.T) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	h.op.backend.SetCurrentKey("a")
	ctx := &h.op.tctx
	w1, w2 := TimeWindow{0, 10}, TimeWindow{10, 20}
	check := func(name string, write func() error, read func() (bool, error)) {
		t.Helper()
		ctx.set(w1, w1)
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ctx.set(w2, w2)
		if ok, err := read(); err != nil || ok {
			t.Fatalf("%s: visible in another window (%v)", name, err)
		}
		ctx.set(w1, w1)
		if ok, err := read(); err != nil || !ok {
			t.Fatalf("%s: not visible in its window (%v)", name, err)
		}
		if _, ok := ctx.known[name]; !ok {
			t.Fatalf("%s: not known for merging", name)
		}
	}
	vd := state.ValueDescriptor[int]{Name: "v"}
	check("v", func() error {
		s, err := PartitionedValueState(ctx, vd)
		if err != nil {
			return err
		}
		return s.Update(1)
	}, func() (bool, error) {
		s, err := PartitionedValueState(ctx, vd)
		if err != nil {
			return false, err
		}
		_, ok, err := s.Value()
		return ok, err
	})
	md := state.MapDescriptor[string, int]{Name: "m"}
	check("m", func() error {
		s, err := PartitionedMapState(ctx, md)
		if err != nil {
			return err
		}
		return s.Put("x", 1)
	}, func() (bool, error) {
		s, err := PartitionedMapState(ctx, md)
		if err != nil {
			return false, err
		}
		return s.Contains("x")
	})
	ad := state.AggregatingDescriptor[kv, acc, acc]{Name: "agg", Aggregate: sumCount{}}
	check("agg", func() error {
		s, err := PartitionedAggregatingState(ctx, ad)
		if err != nil {
			return err
		}
		return s.Add(kv{"a", 1})
	}, func() (bool, error) {
		s, err := PartitionedAggregatingState(ctx, ad)
		if err != nil {
			return false, err
		}
		_, ok, err := s.Get()
		return ok, err
	})
	// A name registered with another type is the state package's error.
	if _, err := PartitionedListState(ctx, state.ListDescriptor[int]{Name: "v"}); err == nil {
		t.Fatal("a state name reused with another type was accepted")
	}
}
