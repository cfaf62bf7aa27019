package window

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
)

// simulator is a brute-force model of an event-time window operator with the
// default trigger over non-merging windows: it keeps every live window of
// every key in a map and scans them all on each watermark.
type simulator struct {
	assign   func(ts int64) []TimeWindow
	lateness int64
	wm       int64
	live     map[simKey]*simWindow
}

type simKey struct {
	key string
	w   TimeWindow
}

type simWindow struct {
	sum, count int64
	// timer is set when a record arrived before the watermark passed the
	// window's end: the trigger then fires once when it does.
	timer bool
}

func newSimulator(assign func(ts int64) []TimeWindow, lateness int64) *simulator {
	return &simulator{assign: assign, lateness: lateness, wm: math.MinInt64, live: map[simKey]*simWindow{}}
}

// record returns the results emitted for a record and whether it is late
// (goes to the side output).
func (s *simulator) record(r kv, ts int64) (out []result[TimeWindow], late bool) {
	skipped := true
	for _, w := range s.assign(ts) {
		if w.MaxTimestamp()+s.lateness <= s.wm {
			continue
		}
		skipped = false
		k := simKey{r.Key, w}
		sw := s.live[k]
		if sw == nil {
			sw = &simWindow{}
			s.live[k] = sw
		}
		sw.sum += r.V
		sw.count++
		if w.MaxTimestamp() <= s.wm {
			out = append(out, result[TimeWindow]{Key: r.Key, W: w, Sum: sw.sum, Count: sw.count})
		} else {
			sw.timer = true
		}
	}
	return out, skipped && ts+s.lateness <= s.wm
}

func (s *simulator) watermark(wm int64) (out []result[TimeWindow]) {
	s.wm = max(s.wm, wm)
	for k, sw := range s.live {
		if sw.timer && k.w.MaxTimestamp() <= s.wm {
			sw.timer = false
			out = append(out, result[TimeWindow]{Key: k.key, W: k.w, Sum: sw.sum, Count: sw.count})
		}
		if k.w.MaxTimestamp()+s.lateness <= s.wm {
			delete(s.live, k)
		}
	}
	return out
}

// input is one step of a generated stream: a record or a watermark.
type input struct {
	watermark bool
	r         kv
	ts        int64
}

// randomStream makes out-of-order records around zero (negative timestamps
// included) with watermarks that leave some records late.
func randomStream(rng *rand.Rand, n int) []input {
	keys := []string{"a", "b", "c", "d", "e"}
	var (
		in    []input
		maxTS = int64(math.MinInt64)
		wm    = int64(math.MinInt64)
	)
	for i := range n {
		ts := int64(i)*7 - 400 + rng.Int64N(121) - 60
		maxTS = max(maxTS, ts)
		in = append(in, input{r: kv{Key: keys[rng.IntN(len(keys))], V: 1 + rng.Int64N(100)}, ts: ts})
		if rng.IntN(5) == 0 {
			wm = max(wm, maxTS-rng.Int64N(40))
			in = append(in, input{watermark: true, ts: wm})
		}
	}
	return append(in, input{watermark: true, ts: eventtime.MaxWatermark})
}

func TestWindowsMatchOracle(t *testing.T) {
	tumbling := func(size, offset int64) func(int64) []TimeWindow {
		return func(ts int64) []TimeWindow {
			s := WindowStartWithOffset(ts, offset, size)
			return []TimeWindow{{s, s + size}}
		}
	}
	sliding := func(size, slide int64) func(int64) []TimeWindow {
		return func(ts int64) []TimeWindow {
			var ws []TimeWindow
			for s := WindowStartWithOffset(ts, 0, slide); s > ts-size; s -= slide {
				ws = append(ws, TimeWindow{s, s + size})
			}
			return ws
		}
	}
	ms := time.Millisecond
	cases := []struct {
		name     string
		assigner Assigner[kv, TimeWindow]
		oracle   func(int64) []TimeWindow
	}{
		{"tumbling", TumblingEventTimeWindows[kv](50 * ms), tumbling(50, 0)},
		{"tumbling-offset", TumblingEventTimeWindows[kv](50*ms, 13*ms), tumbling(50, 13)},
		{"tumbling-negative-offset", TumblingEventTimeWindows[kv](50*ms, -7*ms), tumbling(50, -7)},
		{"sliding", SlidingEventTimeWindows[kv](60*ms, 20*ms), sliding(60, 20)},
		{"sliding-uneven", SlidingEventTimeWindows[kv](50*ms, 20*ms), sliding(50, 20)},
	}
	for _, tc := range cases {
		for _, lateness := range []int64{0, 30} {
			for _, buffered := range []bool{false, true} {
				name := fmt.Sprintf("%s/lateness=%d/buffered=%v", tc.name, lateness, buffered)
				t.Run(name, func(t *testing.T) {
					for seed := range uint64(4) {
						rng := rand.New(rand.NewPCG(seed, 99))
						checkAgainstOracle(t, tc.assigner, tc.oracle, lateness, buffered, randomStream(rng, 400))
					}
				})
			}
		}
	}
}

func checkAgainstOracle(t *testing.T, assigner Assigner[kv, TimeWindow], oracle func(int64) []TimeWindow,
	lateness int64, buffered bool, stream []input) {
	t.Helper()
	cfg := Config[string, kv, TimeWindow]{
		Key: kvKey, Assigner: assigner, AllowedLateness: time.Duration(lateness) * time.Millisecond, LateDataTag: "late",
	}
	var (
		op  *Operator[string, kv, result[TimeWindow], TimeWindow]
		err error
	)
	if buffered {
		op, err = NewBufferingOperator(cfg, emitSum[TimeWindow]())
	} else {
		op, err = NewAggregatingOperator(cfg, sumCount{}, emitAcc[TimeWindow]())
	}
	h := newHarness(t, op, err)
	sim := newSimulator(oracle, lateness)
	total, lateTotal, lateFirings := 0, 0, 0
	for _, in := range stream {
		var (
			want     []result[TimeWindow]
			wantLate []kv
		)
		if in.watermark {
			want = sim.watermark(in.ts)
			h.watermark(in.ts)
		} else {
			var late bool
			want, late = sim.record(in.r, in.ts)
			if late {
				wantLate = append(wantLate, in.r)
			}
			h.element(in.r, in.ts)
		}
		var (
			got     []result[TimeWindow]
			gotLate []kv
		)
		for i, e := range h.out.events {
			switch e.kind {
			case "record":
				got = append(got, e.value)
				if e.ts != e.value.W.MaxTimestamp() {
					t.Fatalf("result %v emitted with timestamp %d, want the window's max timestamp", e.value, e.ts)
				}
			case "side":
				gotLate = append(gotLate, e.side.(kv))
				if e.tag != "late" || e.ts != in.ts {
					t.Fatalf("late record emitted as %q at %d, want tag late at %d", e.tag, e.ts, in.ts)
				}
			case "watermark":
				if !in.watermark || e.ts != in.ts || i != len(h.out.events)-1 {
					t.Fatalf("watermark %d forwarded out of place (input %+v, position %d of %d)", e.ts, in, i, len(h.out.events))
				}
			}
		}
		if in.watermark && (len(h.out.events) == 0 || h.out.events[len(h.out.events)-1].kind != "watermark") {
			t.Fatalf("watermark %d was not forwarded", in.ts)
		}
		h.out.events = h.out.events[:0]
		if !slices.Equal(sortResults(got), sortResults(want)) {
			t.Fatalf("after input %+v:\n got  %v\n want %v", in, got, want)
		}
		if !slices.Equal(gotLate, wantLate) {
			t.Fatalf("after input %+v: late records %v, want %v", in, gotLate, wantLate)
		}
		total += len(got)
		lateTotal += len(gotLate)
		if !in.watermark {
			lateFirings += len(got)
		}
	}
	// The stream must exercise what the test is about.
	if total == 0 || lateTotal == 0 || (lateness > 0) != (lateFirings > 0) {
		t.Fatalf("vacuous stream: %d results, %d late records, %d firings by late records", total, lateTotal, lateFirings)
	}
	if len(sim.live) != 0 {
		t.Fatalf("oracle kept %d windows after the final watermark", len(sim.live))
	}
	if n := h.op.timers.NumEventTimeTimers(); n != 0 {
		t.Fatalf("%d event-time timers left after the final watermark", n)
	}
}
