package stream_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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

// Windows through the stream API, each checked against a brute-force
// oracle over the same generated input.

type ev struct {
	K  string
	TS int64
	V  int64
}

func evKey(e ev) string { return e.K }

// genEv is record i of the random window input: timestamps grow by 2 per
// index with up to 29 ms of disorder, below the 30 ms out-of-orderness
// bound, so no record is late.
func genEv(i int64) (ev, error) {
	return ev{K: fmt.Sprintf("k%d", mix(i)%5), TS: 2*i + int64(mix(i+1)%30), V: int64(mix(i+2) % 100)}, nil
}

const windowInput = 10_000

// windowSource reads the window input with one source subtask: a parallel
// datagen source may hand one subtask a second range after its first,
// whose older timestamps would then be late against that subtask's
// watermark, and the oracle assumes nothing is late. The operators under
// test still run at the environment's parallelism.
func windowSource(env *stream.Environment) *stream.DataStream[ev] {
	src := datagen.New(windowInput, genEv, datagen.WithTimestamps(func(e ev) int64 { return e.TS }))
	return stream.FromSource(env, src, eventtime.ForBoundedOutOfOrderness[ev](30*time.Millisecond), "events").SetParallelism(1)
}

func allEvents() []ev {
	out := make([]ev, windowInput)
	for i := range out {
		out[i], _ = genEv(int64(i))
	}
	return out
}

// winResult identifies a window's result: key, window and the values.
type winResult struct {
	K          string
	Start, End int64
	Count, Sum int64
	Max        int64
}

// oracleWindows assigns every event to its windows of size and slide
// (slide == size: tumbling) and aggregates them.
func oracleWindows(events []ev, size, slide int64) map[[2]any]*winResult {
	out := map[[2]any]*winResult{}
	for _, e := range events {
		last := e.TS - e.TS%slide
		for start := last; start > e.TS-size; start -= slide {
			id := [2]any{e.K, start}
			r := out[id]
			if r == nil {
				r = &winResult{K: e.K, Start: start, End: start + size, Max: math.MinInt64}
				out[id] = r
			}
			r.Count++
			r.Sum += e.V
			r.Max = max(r.Max, e.V)
		}
	}
	return out
}

func values(m map[[2]any]*winResult, f func(r winResult) winResult) []winResult {
	var out []winResult
	for _, r := range m {
		out = append(out, f(*r))
	}
	return out
}

type countSum struct {
	K          string
	Count, Sum int64
}

type countSumAgg struct{}

func (countSumAgg) CreateAccumulator() countSum { return countSum{} }
func (countSumAgg) Add(e ev, a countSum) countSum {
	return countSum{K: e.K, Count: a.Count + 1, Sum: a.Sum + e.V}
}
func (countSumAgg) GetResult(a countSum) countSum { return a }
func (countSumAgg) Merge(a, b countSum) countSum {
	k := a.K
	if k == "" {
		k = b.K
	}
	return countSum{K: k, Count: a.Count + b.Count, Sum: a.Sum + b.Sum}
}

// describe is a window function reporting its window and elements.
func describe() window.ProcessFunction[ev, winResult, string, window.TimeWindow] {
	return window.ProcessFunc[ev, winResult, string, window.TimeWindow](func(key string, ctx window.ProcessContext[window.TimeWindow], elements []ev, out operator.Collector[winResult]) error {
		r := winResult{K: key, Start: ctx.Window().Start, End: ctx.Window().End, Max: math.MinInt64}
		for _, e := range elements {
			if e.K != key {
				return fmt.Errorf("element of key %s in a window of key %s", e.K, key)
			}
			if e.TS < r.Start || e.TS >= r.End {
				return fmt.Errorf("element at %d in window [%d, %d)", e.TS, r.Start, r.End)
			}
			r.Count++
			r.Sum += e.V
			r.Max = max(r.Max, e.V)
		}
		if ctx.CurrentWatermark() < r.End-1 {
			return fmt.Errorf("window [%d, %d) fired at watermark %d", r.Start, r.End, ctx.CurrentWatermark())
		}
		out.Collect(r)
		return nil
	})
}

func TestAPIEventTimeWindowsAgainstOracle(t *testing.T) {
	events := allEvents()
	const size, slide = 100, 50
	tumbling := oracleWindows(events, size, size)
	sliding := oracleWindows(events, 2*size, slide)
	onlySum := func(r winResult) winResult { return winResult{K: r.K, End: r.End, Sum: r.Sum} }
	countAndSum := func(r winResult) winResult { return winResult{K: r.K, End: r.End, Count: r.Count, Sum: r.Sum} }
	onlyMax := func(r winResult) winResult { return winResult{K: r.K, Start: r.Start, End: r.End, Max: r.Max} }
	full := func(r winResult) winResult { return r }

	type tc struct {
		name string
		run  func(env *stream.Environment) func() []winResult
		want []winResult
	}
	cases := []tc{
		{
			name: "tumbling WindowReduce",
			want: values(tumbling, onlySum),
			run: func(env *stream.Environment) func() []winResult {
				w := stream.Window(stream.KeyBy(windowSource(env), evKey), window.TumblingEventTimeWindows[ev](size*time.Millisecond))
				sums := stream.WindowReduce(w, func(a, b ev) (ev, error) { return ev{K: a.K, V: a.V + b.V}, nil })
				out := collect.New[ev]()
				stream.SinkTo(sums, out)
				return func() []winResult {
					var res []winResult
					for _, r := range out.Records() {
						// The result's timestamp is the window's MaxTimestamp.
						res = append(res, winResult{K: r.Value.K, End: r.Timestamp + 1, Sum: r.Value.V})
					}
					return res
				}
			},
		},
		{
			name: "sliding WindowAggregate",
			want: values(sliding, countAndSum),
			run: func(env *stream.Environment) func() []winResult {
				w := stream.Window(stream.KeyBy(windowSource(env), evKey), window.SlidingEventTimeWindows[ev](2*size*time.Millisecond, slide*time.Millisecond))
				aggs := stream.WindowAggregate[ev, string, window.TimeWindow, countSum, countSum](w, countSumAgg{})
				out := collect.New[countSum]()
				stream.SinkTo(aggs, out)
				return func() []winResult {
					var res []winResult
					for _, r := range out.Records() {
						res = append(res, winResult{K: r.Value.K, End: r.Timestamp + 1, Count: r.Value.Count, Sum: r.Value.Sum})
					}
					return res
				}
			},
		},
		{
			name: "tumbling WindowProcess",
			want: values(tumbling, full),
			run: func(env *stream.Environment) func() []winResult {
				w := stream.Window(stream.KeyBy(windowSource(env), evKey), window.TumblingEventTimeWindows[ev](size*time.Millisecond))
				res := stream.WindowProcess(w, describe())
				out := collect.New[winResult]()
				stream.SinkTo(res, out)
				return out.Values
			},
		},
		{
			name: "sliding WindowReduceProcess",
			want: values(sliding, onlyMax),
			run: func(env *stream.Environment) func() []winResult {
				w := stream.Window(stream.KeyBy(windowSource(env), evKey), window.SlidingEventTimeWindows[ev](2*size*time.Millisecond, slide*time.Millisecond))
				maxes := stream.WindowReduceProcess(w, func(a, b ev) (ev, error) {
					if b.V > a.V {
						return b, nil
					}
					return a, nil
				}, window.ProcessFunc[ev, winResult, string, window.TimeWindow](func(key string, ctx window.ProcessContext[window.TimeWindow], elements []ev, out operator.Collector[winResult]) error {
					if len(elements) != 1 {
						return fmt.Errorf("a reducing window gave its function %d elements, want 1", len(elements))
					}
					out.Collect(winResult{K: key, Start: ctx.Window().Start, End: ctx.Window().End, Max: elements[0].V})
					return nil
				}))
				out := collect.New[winResult]()
				stream.SinkTo(maxes, out)
				return out.Values
			},
		},
		{
			name: "tumbling WindowAggregateProcess",
			want: values(tumbling, countAndSum),
			run: func(env *stream.Environment) func() []winResult {
				w := stream.Window(stream.KeyBy(windowSource(env), evKey), window.TumblingEventTimeWindows[ev](size*time.Millisecond))
				res := stream.WindowAggregateProcess(w, countSumAgg{}, window.ProcessFunc[countSum, winResult, string, window.TimeWindow](
					func(key string, ctx window.ProcessContext[window.TimeWindow], elements []countSum, out operator.Collector[winResult]) error {
						out.Collect(winResult{K: key, End: ctx.Window().End, Count: elements[0].Count, Sum: elements[0].Sum})
						return nil
					}))
				out := collect.New[winResult]()
				stream.SinkTo(res, out)
				return out.Values
			},
		},
	}
	for _, c := range cases {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("%s/p=%d", c.name, p), func(t *testing.T) {
				env := quietEnv(p)
				config.SetValue(env.Config(), config.AutoWatermarkInterval, 5*time.Millisecond)
				got := c.run(env)
				execute(t, env)
				sameMultiset(t, c.name, got(), c.want)
			})
		}
	}
}

// sessionInput builds, per key, clusters of three records 3 ms apart with
// 16 ms between clusters (more than the gap, so they are separate
// sessions); for every third cluster a bridging record 8 ms after it
// arrives late, after the next cluster started, and merges the two
// sessions.
func sessionInput(clusters int) []ev {
	var perKey [4][]ev
	for k := range perKey {
		key := fmt.Sprintf("k%d", k)
		var bridge *ev
		for j := 0; j < clusters; j++ {
			base := int64(j*22 + k)
			for c, off := range []int64{0, 3, 6} {
				perKey[k] = append(perKey[k], ev{K: key, TS: base + off, V: int64(j+c) % 10})
				if c == 0 && bridge != nil {
					perKey[k] = append(perKey[k], *bridge)
					bridge = nil
				}
			}
			if j%3 == 0 {
				bridge = &ev{K: key, TS: base + 14, V: 7}
			}
		}
	}
	var out []ev
	for i := range perKey[0] {
		for k := range perKey {
			out = append(out, perKey[k][i])
		}
	}
	return out
}

// Session windows merge as records arrive, including a late record that
// bridges two sessions; the oracle cuts each key's sorted timestamps
// wherever the gap exceeds the session gap.
func TestAPISessionWindows(t *testing.T) {
	const gap = 10
	input := sessionInput(300)
	n := int64(len(input))
	gen := func(i int64) (ev, error) { return input[i], nil }
	perKey := map[string][]ev{}
	for _, e := range input {
		perKey[e.K] = append(perKey[e.K], e)
	}
	var want []winResult
	for k, es := range perKey {
		slices.SortFunc(es, func(a, b ev) int { return int(a.TS - b.TS) })
		cur := winResult{K: k, Start: es[0].TS, End: es[0].TS + gap, Max: math.MinInt64}
		for _, e := range es {
			if e.TS > cur.End { // [ts, ts+gap) does not touch the session
				want = append(want, cur)
				cur = winResult{K: k, Start: e.TS, End: e.TS + gap, Max: math.MinInt64}
			}
			cur.End = max(cur.End, e.TS+gap)
			cur.Count++
			cur.Sum += e.V
			cur.Max = max(cur.Max, e.V)
		}
		want = append(want, cur)
	}
	bridged := 0
	for _, w := range want {
		if w.Count > 3 {
			bridged++
		}
	}
	if len(want) < 100 || bridged < 100 {
		t.Fatalf("the input forms %d sessions, %d of them bridged; the test needs many of both", len(want), bridged)
	}
	var wantAgg []winResult
	for _, w := range want {
		wantAgg = append(wantAgg, winResult{K: w.K, End: w.End, Count: w.Count, Sum: w.Sum})
	}

	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			config.SetValue(env.Config(), config.AutoWatermarkInterval, 2*time.Millisecond)
			// One source subtask keeps the arrival order that makes bridges late.
			src := datagen.New(n, gen, datagen.WithTimestamps(func(e ev) int64 { return e.TS }), datagen.WithRateLimit(40_000))
			events := stream.FromSource(env, src, eventtime.ForBoundedOutOfOrderness[ev](20*time.Millisecond), "events").SetParallelism(1)
			keyed := stream.KeyBy(events, evKey)
			sessions := stream.WindowProcess(stream.Window(keyed, window.EventTimeSessionWindows[ev](gap*time.Millisecond)), describe())
			aggs := stream.WindowAggregate[ev, string, window.TimeWindow, countSum, countSum](
				stream.Window(keyed, window.EventTimeSessionWindows[ev](gap*time.Millisecond)), countSumAgg{})
			sums := stream.WindowReduce(stream.Window(keyed, window.EventTimeSessionWindows[ev](gap*time.Millisecond)),
				func(a, b ev) (ev, error) { return ev{K: a.K, V: a.V + b.V}, nil })
			out, aggOut, sumOut := collect.New[winResult](), collect.New[countSum](), collect.New[ev]()
			stream.SinkTo(sessions, out)
			stream.SinkTo(aggs, aggOut)
			stream.SinkTo(sums, sumOut)
			execute(t, env)
			var gotSums, wantSums []winResult
			for _, r := range sumOut.Records() {
				gotSums = append(gotSums, winResult{K: r.Value.K, End: r.Timestamp + 1, Sum: r.Value.V})
			}
			for _, w := range want {
				wantSums = append(wantSums, winResult{K: w.K, End: w.End, Sum: w.Sum})
			}
			sameMultiset(t, "sessions (WindowReduce, merged reductions)", gotSums, wantSums)
			sameMultiset(t, "sessions (WindowProcess)", out.Values(), want)
			var gotAgg []winResult
			for _, r := range aggOut.Records() {
				gotAgg = append(gotAgg, winResult{K: r.Value.K, End: r.Timestamp + 1, Count: r.Value.Count, Sum: r.Value.Sum})
			}
			sameMultiset(t, "sessions (WindowAggregate, merged accumulators)", gotAgg, wantAgg)
		})
	}
}

// countInput is the input of the count-window tests: one source subtask,
// so each key's records arrive in index order.
func countInput(env *stream.Environment, n int64) *stream.KeyedStream[ev, string] {
	gen := func(i int64) (ev, error) { return ev{K: fmt.Sprintf("k%d", mix(i)%3), TS: i, V: i}, nil }
	src := stream.FromSource(env, datagen.New(n, gen), eventtime.NoWatermarks[ev](), "events").SetParallelism(1)
	return stream.KeyBy(src, evKey)
}

func countInputByKey(n int64) map[string][]int64 {
	out := map[string][]int64{}
	for i := int64(0); i < n; i++ {
		k := fmt.Sprintf("k%d", mix(i)%3)
		out[k] = append(out[k], i)
	}
	return out
}

func sumOf(vs []int64) int64 {
	var s int64
	for _, v := range vs {
		s += v
	}
	return s
}

func TestAPIGlobalWindowsCountTrigger(t *testing.T) {
	const n, every = 1000, 5
	byKey := countInputByKey(n)
	type tc struct {
		name    string
		trigger window.Trigger[ev, window.GlobalWindow]
		// expected returns the outputs of one key, in order.
		expected func(vs []int64) []int64
	}
	cases := []tc{
		{
			name:    "CountTrigger fires the growing window",
			trigger: window.CountTrigger[ev, window.GlobalWindow](every),
			expected: func(vs []int64) []int64 {
				var out []int64
				for i := every; i <= len(vs); i += every {
					out = append(out, sumOf(vs[:i]))
				}
				return out
			},
		},
		{
			name:    "PurgingTrigger(CountTrigger) makes count windows",
			trigger: window.PurgingTrigger(window.CountTrigger[ev, window.GlobalWindow](every)),
			expected: func(vs []int64) []int64 {
				var out []int64
				for i := every; i <= len(vs); i += every {
					out = append(out, sumOf(vs[i-every:i]))
				}
				return out
			},
		},
	}
	for _, c := range cases {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("%s/p=%d", c.name, p), func(t *testing.T) {
				env := quietEnv(p)
				w := stream.Window(countInput(env, n), window.GlobalWindows[ev]()).Trigger(c.trigger)
				sums := stream.WindowReduce(w, func(a, b ev) (ev, error) { return ev{K: a.K, V: a.V + b.V}, nil })
				out := collect.New[ev]()
				stream.SinkTo(sums, out)
				execute(t, env)
				got := map[string][]int64{}
				for _, r := range out.Records() {
					if r.Timestamp != math.MaxInt64 {
						t.Fatalf("global window result has timestamp %d, want the GlobalWindow's MaxTimestamp", r.Timestamp)
					}
					got[r.Value.K] = append(got[r.Value.K], r.Value.V)
				}
				for k, vs := range byKey {
					if w := c.expected(vs); !slices.Equal(got[k], w) {
						t.Fatalf("key %s: outputs %v, want %v", k, got[k], w)
					}
				}
			})
		}
	}
}

func TestAPIEvictors(t *testing.T) {
	const n, every, keep = 600, 5, 3
	byKey := countInputByKey(n)
	// lastN: what each firing sees when CountEvictor(keep) runs before the
	// function: the last keep records of the key so far.
	lastN := func(vs []int64) [][]int64 {
		var out [][]int64
		for i := every; i <= len(vs); i += every {
			out = append(out, slices.Clone(vs[max(0, i-keep):i]))
		}
		return out
	}
	// evictAfter: the function sees the whole buffer, which keeps only the
	// last keep records afterwards.
	evictAfter := func(vs []int64) [][]int64 {
		var out [][]int64
		var buf []int64
		for i, v := range vs {
			buf = append(buf, v)
			if (i+1)%every == 0 {
				out = append(out, slices.Clone(buf))
				buf = slices.Clone(buf[max(0, len(buf)-keep):])
			}
		}
		return out
	}
	type tc struct {
		name     string
		after    bool
		build    func(w *stream.WindowedStream[ev, string, window.GlobalWindow]) func(*testing.T) map[string][]string
		expected func(vs []int64) [][]int64
		sumsOnly bool
	}
	listing := window.ProcessFunc[ev, string, string, window.GlobalWindow](func(key string, _ window.ProcessContext[window.GlobalWindow], elements []ev, out operator.Collector[string]) error {
		vs := make([]int64, len(elements))
		for i, e := range elements {
			vs[i] = e.V
		}
		out.Collect(key + "=" + fmt.Sprint(vs))
		return nil
	})
	byKeyOf := func(vals []string) map[string][]string {
		m := map[string][]string{}
		for _, v := range vals {
			k, _, _ := strings.Cut(v, "=")
			m[k] = append(m[k], v)
		}
		return m
	}
	cases := []tc{
		{name: "CountEvictor before WindowProcess", expected: lastN,
			build: func(w *stream.WindowedStream[ev, string, window.GlobalWindow]) func(*testing.T) map[string][]string {
				out := collect.New[string]()
				stream.SinkTo(stream.WindowProcess(w, listing), out)
				return func(*testing.T) map[string][]string { return byKeyOf(out.Values()) }
			}},
		{name: "CountEvictor after WindowProcess", after: true, expected: evictAfter,
			build: func(w *stream.WindowedStream[ev, string, window.GlobalWindow]) func(*testing.T) map[string][]string {
				out := collect.New[string]()
				stream.SinkTo(stream.WindowProcess(w, listing), out)
				return func(*testing.T) map[string][]string { return byKeyOf(out.Values()) }
			}},
		{name: "CountEvictor with WindowReduce", expected: lastN, sumsOnly: true,
			build: func(w *stream.WindowedStream[ev, string, window.GlobalWindow]) func(*testing.T) map[string][]string {
				out := collect.New[ev]()
				stream.SinkTo(stream.WindowReduce(w, func(a, b ev) (ev, error) { return ev{K: a.K, V: a.V + b.V}, nil }), out)
				return func(*testing.T) map[string][]string {
					m := map[string][]string{}
					for _, e := range out.Values() {
						m[e.K] = append(m[e.K], fmt.Sprint(e.V))
					}
					return m
				}
			}},
		{name: "CountEvictor with WindowAggregate", expected: lastN, sumsOnly: true,
			build: func(w *stream.WindowedStream[ev, string, window.GlobalWindow]) func(*testing.T) map[string][]string {
				out := collect.New[countSum]()
				stream.SinkTo(stream.WindowAggregate[ev, string, window.GlobalWindow, countSum, countSum](w, countSumAgg{}), out)
				return func(t *testing.T) map[string][]string {
					m := map[string][]string{}
					for _, c := range out.Values() {
						if c.Count != keep {
							t.Fatalf("aggregate after eviction saw %d records, want %d", c.Count, keep)
						}
						m[c.K] = append(m[c.K], fmt.Sprint(c.Sum))
					}
					return m
				}
			}},
	}
	for _, c := range cases {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("%s/p=%d", c.name, p), func(t *testing.T) {
				env := quietEnv(p)
				w := stream.Window(countInput(env, n), window.GlobalWindows[ev]()).
					Trigger(window.CountTrigger[ev, window.GlobalWindow](every)).
					Evictor(window.CountEvictor[ev, window.GlobalWindow](keep, c.after))
				got := c.build(w)
				execute(t, env)
				res := got(t)
				for k, vs := range byKey {
					var want []string
					for _, seen := range c.expected(vs) {
						if c.sumsOnly {
							want = append(want, fmt.Sprint(sumOf(seen)))
						} else {
							want = append(want, k+"="+fmt.Sprint(seen))
						}
					}
					if !slices.Equal(res[k], want) {
						t.Fatalf("key %s: firings %v, want %v", k, res[k], want)
					}
				}
			})
		}
	}
}

// TimeEvictor on event-time windows keeps the records within the given
// span of the window's latest timestamp.
func TestAPITimeEvictor(t *testing.T) {
	events := allEvents()
	const size, keep = 100, 20
	type id struct {
		K     string
		Start int64
	}
	buckets := map[id][]ev{}
	for _, e := range events {
		k := id{e.K, e.TS - e.TS%size}
		buckets[k] = append(buckets[k], e)
	}
	var want []winResult
	for k, es := range buckets {
		maxTS := int64(math.MinInt64)
		for _, e := range es {
			maxTS = max(maxTS, e.TS)
		}
		r := winResult{K: k.K, Start: k.Start, End: k.Start + size, Max: math.MinInt64}
		for _, e := range es {
			if e.TS > maxTS-keep {
				r.Count++
				r.Sum += e.V
				r.Max = max(r.Max, e.V)
			}
		}
		want = append(want, r)
	}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			w := stream.Window(stream.KeyBy(windowSource(env), evKey), window.TumblingEventTimeWindows[ev](size*time.Millisecond)).
				Evictor(window.TimeEvictor[ev, window.TimeWindow](keep * time.Millisecond))
			out := collect.New[winResult]()
			stream.SinkTo(stream.WindowProcess(w, describe()), out)
			execute(t, env)
			sameMultiset(t, "TimeEvictor windows", out.Values(), want)
		})
	}
}

// punctuated emits, on every record, a watermark one below the largest
// timestamp seen, so the watermark moves deterministically with the input.
type punctuated struct{ maxTS int64 }

func (g *punctuated) OnEvent(_ ev, ts int64, out eventtime.WatermarkOutput) {
	if ts > g.maxTS {
		g.maxTS = ts
		out.EmitWatermark(ts - 1)
	}
}
func (g *punctuated) OnPeriodicEmit(eventtime.WatermarkOutput) {}

func punctuatedStrategy() eventtime.WatermarkStrategy[ev] {
	return eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[ev] {
		return &punctuated{maxTS: math.MinInt64}
	})
}

// lateOracle simulates a tumbling event-time window with allowed lateness
// as Flink's WindowOperator runs it, for records in order with the
// watermark of punctuatedStrategy.
func lateOracle(events []ev, size, lateness int64) (fired []winResult, late []ev) {
	type win struct {
		r          winResult
		fireTimer  bool
		cleanupSet bool
	}
	windows := map[[2]any]*win{}
	cleaned := map[[2]any]bool{}
	wm, maxTS := int64(math.MinInt64), int64(math.MinInt64)
	advance := func(to int64) {
		if to <= wm {
			return
		}
		wm = to
		// Timers fire in time order; a window's fire timer (End-1) comes
		// no later than its cleanup timer (End-1+lateness).
		for id, w := range windows {
			if w.fireTimer && w.r.End-1 <= wm {
				w.fireTimer = false
				fired = append(fired, w.r)
			}
			if w.cleanupSet && w.r.End-1+lateness <= wm {
				delete(windows, id)
				cleaned[id] = true
			}
		}
	}
	for _, e := range events {
		if e.TS > maxTS {
			maxTS = e.TS
			advance(e.TS - 1)
		}
		start := e.TS - e.TS%size
		id := [2]any{e.K, start}
		if cleaned[id] || start+size-1+lateness <= wm {
			if e.TS+lateness <= wm {
				late = append(late, e)
			}
			continue
		}
		w := windows[id]
		if w == nil {
			w = &win{r: winResult{K: e.K, Start: start, End: start + size}}
			windows[id] = w
		}
		w.r.Count++
		w.r.Sum += e.V
		if w.r.End-1 <= wm {
			fired = append(fired, w.r)
		} else {
			w.fireTimer = true
		}
		w.cleanupSet = true
	}
	advance(math.MaxInt64)
	return fired, late
}

func TestAPIAllowedLatenessAndLateSideOutput(t *testing.T) {
	const n, size = 3000, 20
	gen := func(i int64) (ev, error) {
		ts := i
		if mix(i)%5 == 0 { // every fifth record is up to 60 ms late
			ts = max(0, i-int64(mix(i+3)%60))
		}
		return ev{K: fmt.Sprintf("k%d", mix(i+9)%3), TS: ts, V: i % 7}, nil
	}
	var events []ev
	for i := int64(0); i < n; i++ {
		e, _ := gen(i)
		events = append(events, e)
	}
	for _, lateness := range []int64{0, 15} {
		wantFired, wantLate := lateOracle(events, size, lateness)
		refired := len(wantFired) - len(oracleWindows(events, size, size))
		if len(wantLate) == 0 || (lateness > 0 && refired <= 0) {
			t.Fatalf("lateness %d: the input must produce late records (%d) and late firings (%d)", lateness, len(wantLate), refired)
		}
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("lateness=%d/p=%d", lateness, p), func(t *testing.T) {
				env := quietEnv(p)
				src := datagen.New(n, gen, datagen.WithTimestamps(func(e ev) int64 { return e.TS }))
				events := stream.FromSource(env, src, punctuatedStrategy(), "events").SetParallelism(1)
				lateTag := stream.NewOutputTag[ev]("late")
				w := stream.Window(stream.KeyBy(events, evKey), window.TumblingEventTimeWindows[ev](size*time.Millisecond)).
					AllowedLateness(time.Duration(lateness) * time.Millisecond).
					SideOutputLateData(lateTag)
				res := stream.WindowAggregateProcess(w, countSumAgg{}, window.ProcessFunc[countSum, winResult, string, window.TimeWindow](
					func(key string, ctx window.ProcessContext[window.TimeWindow], elements []countSum, out operator.Collector[winResult]) error {
						out.Collect(winResult{K: key, Start: ctx.Window().Start, End: ctx.Window().End, Count: elements[0].Count, Sum: elements[0].Sum})
						return nil
					}))
				out, lateOut := collect.New[winResult](), collect.New[ev]()
				stream.SinkTo(res, out)
				stream.SinkTo(stream.SideOutput(res, lateTag), lateOut)
				execute(t, env)
				sameMultiset(t, "window firings", out.Values(), wantFired)
				sameMultiset(t, "late side output", lateOut.Values(), wantLate)
				for _, r := range lateOut.Records() {
					if r.Timestamp != r.Value.TS {
						t.Fatalf("late record at %d was emitted with timestamp %d", r.Value.TS, r.Timestamp)
					}
				}
			})
		}
	}
}

// ackTrigger wraps a trigger and reports every element it sees, so a test
// knows records reached the window operator before it moves the clock.
type ackTrigger struct {
	window.Trigger[skv, window.TimeWindow]
	acks *acks
}

func (a ackTrigger) OnElement(v skv, ts int64, w window.TimeWindow, ctx window.TriggerContext) (window.TriggerResult, error) {
	defer a.acks.add("element")
	return a.Trigger.OnElement(v, ts, w, ctx)
}

func TestAPIProcessingTimeWindowsManualClock(t *testing.T) {
	const size = 100
	batchA := []skv{{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}}
	batchB := []skv{{"a", 10}, {"b", 20}, {"b", 30}}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			clock := newManualClock()
			t0 := clock.NowMillis()
			if t0%size != 0 {
				t.Fatalf("clock start %d is not aligned to %d", t0, size)
			}
			want := func(batch []skv, start int64) []winResult {
				m := map[string]*winResult{}
				for _, r := range batch {
					if m[r.K] == nil {
						m[r.K] = &winResult{K: r.K, Start: start, End: start + size}
					}
					m[r.K].Count++
					m[r.K].Sum += r.V
				}
				var out []winResult
				for _, r := range m {
					out = append(out, *r)
				}
				return out
			}
			wantA, wantB := want(batchA, t0), want(batchB, t0+size)

			env := quietEnv(p).SetClock(clock).SetBufferTimeout(0)
			in := newFeed[skv]()
			recs := stream.FromSource(env, newFeedSource(in), eventtime.NoWatermarks[skv](), "feed").SetParallelism(1)
			ack := newAcks()
			w := stream.Window(stream.KeyBy(recs, keyOf), window.TumblingProcessingTimeWindows[skv](size*time.Millisecond)).
				Trigger(ackTrigger{Trigger: window.ProcessingTimeTrigger[skv, window.TimeWindow](), acks: ack})
			res := stream.WindowProcess(w, window.ProcessFunc[skv, winResult, string, window.TimeWindow](
				func(key string, ctx window.ProcessContext[window.TimeWindow], elements []skv, out operator.Collector[winResult]) error {
					r := winResult{K: key, Start: ctx.Window().Start, End: ctx.Window().End}
					for _, e := range elements {
						r.Count++
						r.Sum += e.V
					}
					out.Collect(r)
					return nil
				}))
			out := collect.New[winResult]()
			stream.SinkTo(res, out)
			wait := startJob(t, env)

			in.push(batchA...)
			ack.waitFor(t, "element", len(batchA))
			clock.Advance(size / 2 * time.Millisecond)
			if out.Len() != 0 {
				t.Fatalf("a processing-time window fired %d results before its end", out.Len())
			}
			clock.Advance(size / 2 * time.Millisecond)
			waitFor(t, "first windows", func() bool { return out.Len() >= len(wantA) })
			in.push(batchB...)
			ack.waitFor(t, "element", len(batchA)+len(batchB))
			clock.Advance(size * time.Millisecond)
			waitFor(t, "second windows", func() bool { return out.Len() >= len(wantA)+len(wantB) })
			in.close()
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			sameMultiset(t, "processing-time windows", out.Values(), append(wantA, wantB...))
		})
	}
}

func TestAPIWindowConfigErrors(t *testing.T) {
	env := quietEnv(1)
	keyed := stream.KeyBy(windowSource(env), evKey)
	w := stream.Window(keyed, window.TumblingEventTimeWindows[ev](10*time.Millisecond)).AllowedLateness(-time.Second)
	stream.SinkTo(stream.WindowReduce(w, func(a, b ev) (ev, error) { return a, nil }), collect.New[ev]())
	err := executeErr(env)
	if err == nil {
		t.Fatal("a negative allowed lateness was accepted")
	}
	if s := err.Error(); !containsAll(s, "lateness", `"Window(Reduce)"`) {
		t.Fatalf("error %q does not explain the bad lateness and the operator", s)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestAPIEventTimeWindowWithoutTimestampsFails(t *testing.T) {
	env := quietEnv(2)
	recs := stream.FromSource(env, datagen.New(100, genEv), eventtime.NoWatermarks[ev](), "untimed")
	w := stream.Window(stream.KeyBy(recs, evKey), window.TumblingEventTimeWindows[ev](10*time.Millisecond))
	stream.SinkTo(stream.WindowReduce(w, func(a, b ev) (ev, error) { return a, nil }).Name("win"), collect.New[ev]())
	err := executeErr(env)
	if err == nil {
		t.Fatal("event-time windows over records without timestamps succeeded")
	}
	if !errors.Is(err, window.ErrNoTimestamp) || !containsAll(err.Error(), `"win"`, "WatermarkStrategy") {
		t.Fatalf("error %q does not say the records need timestamps", firstLine(err))
	}
}
