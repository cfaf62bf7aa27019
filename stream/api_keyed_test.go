package stream_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

// KeyBy with rolling Reduce / Aggregate, KeyedProcess with every kind of
// keyed state, event-time and processing-time timers, and state TTL.

type skv struct {
	K string
	V int64
}

func keyOf(r skv) string { return r.K }

// genKV is record i of the keyed tests: 17 keys in a scrambled order.
func genKV(i int64) (skv, error) {
	return skv{K: fmt.Sprintf("k%02d", mix(i)%17), V: i%100 + 1}, nil
}

func TestAPIKeyedRollingReduce(t *testing.T) {
	const n = 10_000
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			recs := stream.FromSource(env, datagen.New(n, genKV), eventtime.NoWatermarks[skv](), "kv")
			sums := stream.Reduce(stream.KeyBy(recs, keyOf), func(a, b skv) (skv, error) {
				return skv{K: a.K, V: a.V + b.V}, nil
			})
			out := collect.New[skv]()
			stream.SinkTo(sums, out)
			execute(t, env)

			wantSum, wantCount := map[string]int64{}, map[string]int{}
			for i := int64(0); i < n; i++ {
				r, _ := genKV(i)
				wantSum[r.K] += r.V
				wantCount[r.K]++
			}
			if out.Len() != n {
				t.Fatalf("rolling reduce emitted %d records, want one per input (%d)", out.Len(), n)
			}
			// Each key's results come from one subtask, in order: a
			// strictly growing running sum ending at the total.
			last, count := map[string]int64{}, map[string]int{}
			owner := map[string]int{}
			for _, r := range out.Records() {
				k := r.Value.K
				if o, ok := owner[k]; ok && o != r.Subtask {
					t.Fatalf("key %s reduced in subtasks %d and %d", k, o, r.Subtask)
				}
				owner[k] = r.Subtask
				if r.Value.V <= last[k] {
					t.Fatalf("key %s: running sum went from %d to %d", k, last[k], r.Value.V)
				}
				last[k] = r.Value.V
				count[k]++
			}
			for k, s := range wantSum {
				if last[k] != s || count[k] != wantCount[k] {
					t.Fatalf("key %s: final %d after %d updates, want %d after %d", k, last[k], count[k], s, wantCount[k])
				}
			}
		})
	}
}

// meanAgg is an AggregateFunction with an accumulator and a result type of
// its own.
type meanAcc struct {
	Key        string
	Count, Sum int64
}

type meanAgg struct{}

func (meanAgg) CreateAccumulator() meanAcc { return meanAcc{} }
func (meanAgg) Add(v skv, acc meanAcc) meanAcc {
	return meanAcc{Key: v.K, Count: acc.Count + 1, Sum: acc.Sum + v.V}
}
func (meanAgg) GetResult(acc meanAcc) meanAcc { return acc }
func (meanAgg) Merge(a, b meanAcc) meanAcc {
	return meanAcc{Key: a.Key, Count: a.Count + b.Count, Sum: a.Sum + b.Sum}
}

func TestAPIKeyedRollingAggregate(t *testing.T) {
	const n = 10_000
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			recs := stream.FromSource(env, datagen.New(n, genKV), eventtime.NoWatermarks[skv](), "kv")
			aggs := stream.Aggregate[skv, string, meanAcc, meanAcc](stream.KeyBy(recs, keyOf), meanAgg{})
			out := collect.New[meanAcc]()
			stream.SinkTo(aggs, out)
			execute(t, env)

			want := map[string]meanAcc{}
			for i := int64(0); i < n; i++ {
				r, _ := genKV(i)
				want[r.K] = meanAgg{}.Add(r, want[r.K])
			}
			final := map[string]meanAcc{}
			for _, a := range out.Values() {
				if a.Count > final[a.Key].Count {
					final[a.Key] = a
				}
			}
			if out.Len() != n {
				t.Fatalf("rolling aggregate emitted %d records, want %d", out.Len(), n)
			}
			for k, w := range want {
				if final[k] != w {
					t.Fatalf("key %s: final aggregate %+v, want %+v", k, final[k], w)
				}
			}
		})
	}
}

// keyOwner records which subtask processed each key.
type keyOwner struct{ sub, par, maxPar int }

func (o *keyOwner) Open(rc stream.RuntimeContext) error {
	o.sub, o.par, o.maxPar = rc.IndexOfThisSubtask(), rc.NumberOfParallelSubtasks(), rc.MaxParallelism()
	if rc.KeyedState() == nil {
		return fmt.Errorf("KeyedProcess got no keyed state backend")
	}
	return nil
}

type ownership struct {
	Key                string
	Subtask, P, MaxPar int
}

func (o *keyOwner) ProcessElement(ctx stream.KeyedContext[string], v skv, out stream.Collector[ownership]) error {
	if ctx.CurrentKey() != v.K {
		return fmt.Errorf("CurrentKey %q for record of key %q", ctx.CurrentKey(), v.K)
	}
	out.Collect(ownership{Key: v.K, Subtask: o.sub, P: o.par, MaxPar: o.maxPar})
	return nil
}

// KeyBy routes every key to the subtask owning its key group, by Flink's
// formula, so state can be redistributed by key group.
func TestAPIKeyByRoutesByKeyGroup(t *testing.T) {
	for _, p := range []int{1, 3, 4} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			recs := stream.FromSource(env, datagen.New(2000, genKV), eventtime.NoWatermarks[skv](), "kv").SetParallelism(2)
			owners := stream.KeyedProcess[skv, string, ownership](stream.KeyBy(recs, keyOf), &keyOwner{})
			out := collect.New[ownership]()
			stream.SinkTo(owners, out)
			execute(t, env)
			for _, o := range out.Values() {
				want := keygroup.OperatorIndex(keygroup.Of(o.Key, o.MaxPar), o.MaxPar, o.P)
				if o.Subtask != want || o.P != p || o.MaxPar != keygroup.DefaultMaxParallelism(p) {
					t.Fatalf("key %s in subtask %d of %d (max %d), want subtask %d", o.Key, o.Subtask, o.P, o.MaxPar, want)
				}
			}
		})
	}
}

// word is a named string type, as a key type in user code often is.
type word string

func TestAPIKeyByNamedKeyType(t *testing.T) {
	env := quietEnv(4)
	words := stream.FromSource(env, datagen.New(1000, func(i int64) (word, error) {
		return word(fmt.Sprintf("w%d", i%50)), nil
	}), eventtime.NoWatermarks[word](), "words")
	counts := stream.Aggregate[word, word, meanAcc, meanAcc](stream.KeyBy(words, func(w word) word { return w }), wordCount{})
	out := collect.New[meanAcc]()
	stream.SinkTo(counts, out)
	if err := executeErr(env); err != nil {
		t.Fatal(err)
	}
	final := map[string]int64{}
	for _, a := range out.Values() {
		final[a.Key] = max(final[a.Key], a.Count)
	}
	for i := 0; i < 50; i++ {
		if final[fmt.Sprintf("w%d", i)] != 20 {
			t.Fatalf("w%d counted %d times, want 20", i, final[fmt.Sprintf("w%d", i)])
		}
	}
}

type wordCount struct{}

func (wordCount) CreateAccumulator() meanAcc { return meanAcc{} }
func (wordCount) Add(w word, acc meanAcc) meanAcc {
	return meanAcc{Key: string(w), Count: acc.Count + 1}
}
func (wordCount) GetResult(acc meanAcc) meanAcc { return acc }
func (wordCount) Merge(a, b meanAcc) meanAcc    { return meanAcc{Key: a.Key, Count: a.Count + b.Count} }

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// allStates keeps one state of every kind per key and reports a snapshot of
// them after each record. A record with V == 0 clears them all.
type allStates struct {
	cleared stream.OutputTag[string]
	count   state.ValueState[int64]
	list    state.ListState[int64]
	byMod   state.MapState[int64, int64]
	max     state.ReducingState[int64]
	mean    state.AggregatingState[int64, float64]
}

type snapshot struct {
	Key                  string
	Count                int64
	List                 string
	Mod0, Mod1, ModLen   int64
	Max                  int64
	HasMax               bool
	Mean                 float64
	HasMean, ListPresent bool
}

type avgAcc struct{ N, Sum int64 }

type avgFn struct{}

func (avgFn) CreateAccumulator() avgAcc    { return avgAcc{} }
func (avgFn) Add(v int64, a avgAcc) avgAcc { return avgAcc{a.N + 1, a.Sum + v} }
func (avgFn) GetResult(a avgAcc) float64   { return float64(a.Sum) / float64(a.N) }
func (avgFn) Merge(a, b avgAcc) avgAcc     { return avgAcc{a.N + b.N, a.Sum + b.Sum} }

func maxOf(a, b int64) (int64, error) { return max(a, b), nil }

func (s *allStates) Open(rc stream.RuntimeContext) error {
	b := rc.KeyedState()
	var err error
	if s.count, err = state.GetValueState(b, state.ValueDescriptor[int64]{Name: "count"}); err != nil {
		return err
	}
	if s.list, err = state.GetListState(b, state.ListDescriptor[int64]{Name: "list"}); err != nil {
		return err
	}
	if s.byMod, err = state.GetMapState(b, state.MapDescriptor[int64, int64]{Name: "by-mod"}); err != nil {
		return err
	}
	if s.max, err = state.GetReducingState(b, state.ReducingDescriptor[int64]{Name: "max", Reduce: maxOf}); err != nil {
		return err
	}
	s.mean, err = state.GetAggregatingState(b, state.AggregatingDescriptor[int64, avgAcc, float64]{Name: "mean", Aggregate: avgFn{}})
	return err
}

func (s *allStates) ProcessElement(ctx stream.KeyedContext[string], v skv, out stream.Collector[snapshot]) error {
	if v.V == 0 {
		ctx.Output(s.cleared, ctx.CurrentKey())
		s.count.Clear()
		s.list.Clear()
		s.byMod.Clear()
		s.max.Clear()
		s.mean.Clear()
	} else {
		c, _, err := s.count.Value()
		if err != nil {
			return err
		}
		if err := s.count.Update(c + 1); err != nil {
			return err
		}
		if err := s.list.Add(v.V); err != nil {
			return err
		}
		m, _, err := s.byMod.Get(v.V % 2)
		if err != nil {
			return err
		}
		if err := s.byMod.Put(v.V%2, m+1); err != nil {
			return err
		}
		if err := s.max.Add(v.V); err != nil {
			return err
		}
		if err := s.mean.Add(v.V); err != nil {
			return err
		}
	}
	snap := snapshot{Key: ctx.CurrentKey()}
	var err error
	if snap.Count, _, err = s.count.Value(); err != nil {
		return err
	}
	list, err := s.list.Get()
	if err != nil {
		return err
	}
	snap.List, snap.ListPresent = fmt.Sprint(list), list != nil
	if snap.Mod0, _, err = s.byMod.Get(0); err != nil {
		return err
	}
	if snap.Mod1, _, err = s.byMod.Get(1); err != nil {
		return err
	}
	n, err := s.byMod.Len()
	if err != nil {
		return err
	}
	snap.ModLen = int64(n)
	if snap.Max, snap.HasMax, err = s.max.Get(); err != nil {
		return err
	}
	if snap.Mean, snap.HasMean, err = s.mean.Get(); err != nil {
		return err
	}
	out.Collect(snap)
	return nil
}

// oracleStates computes the snapshots allStates must emit for records in
// order, per key.
func oracleStates(records []skv) map[string][]snapshot {
	type st struct {
		list []int64
	}
	sts := map[string]*st{}
	out := map[string][]snapshot{}
	for _, r := range records {
		s := sts[r.K]
		if s == nil || r.V == 0 {
			s = &st{}
			sts[r.K] = s
		}
		if r.V != 0 {
			s.list = append(s.list, r.V)
		}
		snap := snapshot{Key: r.K, Count: int64(len(s.list))}
		if len(s.list) > 0 {
			snap.List, snap.ListPresent = fmt.Sprint(s.list), true
			var sum int64
			for _, v := range s.list {
				sum += v
				snap.Max = max(snap.Max, v)
				if v%2 == 0 {
					snap.Mod0++
				} else {
					snap.Mod1++
				}
			}
			snap.HasMax, snap.HasMean = true, true
			snap.Mean = float64(sum) / float64(len(s.list))
			if snap.Mod0 > 0 {
				snap.ModLen++
			}
			if snap.Mod1 > 0 {
				snap.ModLen++
			}
		} else {
			snap.List = fmt.Sprint([]int64(nil))
		}
		out[r.K] = append(out[r.K], snap)
	}
	return out
}

func TestAPIKeyedProcessStateKinds(t *testing.T) {
	const n = 3000
	gen := func(i int64) (skv, error) {
		r := skv{K: fmt.Sprintf("k%d", mix(i)%7), V: int64(mix(i+1) % 50)}
		return r, nil
	}
	var records []skv
	for i := int64(0); i < n; i++ {
		r, _ := gen(i)
		records = append(records, r)
	}
	want := oracleStates(records)
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			// One source subtask keeps each key's records in order.
			recs := stream.FromSource(env, datagen.New(n, gen), eventtime.NoWatermarks[skv](), "kv").SetParallelism(1)
			cleared := stream.NewOutputTag[string]("cleared")
			snaps := stream.KeyedProcess[skv, string, snapshot](stream.KeyBy(recs, keyOf), &allStates{cleared: cleared}).UID("all-states")
			out, clearedOut := collect.New[snapshot](), collect.New[string]()
			stream.SinkTo(snaps, out)
			stream.SinkTo(stream.SideOutput(snaps, cleared), clearedOut)
			execute(t, env)
			var wantCleared []string
			for _, r := range records {
				if r.V == 0 {
					wantCleared = append(wantCleared, r.K)
				}
			}
			if len(wantCleared) == 0 {
				t.Fatal("the input never clears state; the test needs it to")
			}
			sameMultiset(t, "keyed side output", clearedOut.Values(), wantCleared)
			got := map[string][]snapshot{}
			for _, s := range out.Values() {
				got[s.Key] = append(got[s.Key], s)
			}
			for k, w := range want {
				g := got[k]
				if len(g) != len(w) {
					t.Fatalf("key %s: %d snapshots, want %d", k, len(g), len(w))
				}
				for i := range w {
					if g[i] != w[i] {
						t.Fatalf("key %s record %d: state %+v, want %+v", k, i, g[i], w[i])
					}
				}
			}
		})
	}
}

// eventTimers registers an event-time timer 50 ms after each record (twice,
// which must fire once) and one at 51 ms that it deletes again.
type eventTimers struct{}

type firing struct {
	Key        string
	Timer      int64
	CtxTS, WM  int64
	Domain     stream.TimeDomain
	ServiceWM  int64
	ProcTimeOK bool
}

func (eventTimers) ProcessElement(ctx stream.KeyedContext[string], v skv, _ stream.Collector[firing]) error {
	ts := ctx.TimerService()
	ts.RegisterEventTimeTimer(ctx.Timestamp() + 50)
	ts.RegisterEventTimeTimer(ctx.Timestamp() + 50)
	// Timestamps are even, so this odd timer is no other record's.
	ts.RegisterEventTimeTimer(ctx.Timestamp() + 51)
	ts.DeleteEventTimeTimer(ctx.Timestamp() + 51)
	return nil
}

func (eventTimers) OnTimer(ctx stream.OnTimerContext[string], ts int64, out stream.Collector[firing]) error {
	out.Collect(firing{
		Key: ctx.CurrentKey(), Timer: ts, CtxTS: ctx.Timestamp(), WM: ctx.CurrentWatermark(),
		Domain: ctx.TimeDomain(), ServiceWM: ctx.TimerService().CurrentWatermark(),
		ProcTimeOK: ctx.CurrentProcessingTime() > 0 && ctx.TimerService().CurrentProcessingTime() > 0,
	})
	return nil
}

func TestAPIEventTimeTimers(t *testing.T) {
	const n = 3000
	ts := func(r skv) int64 { return r.V } // V carries the timestamp here
	gen := func(i int64) (skv, error) {
		return skv{K: fmt.Sprintf("k%d", mix(i)%11), V: 2 * (i*3 + int64(mix(i+7)%10))}, nil
	}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			// Rate-limited with frequent watermarks, so timers fire while
			// records still flow, not only at the final watermark.
			config.SetValue(env.Config(), config.AutoWatermarkInterval, 2*time.Millisecond)
			src := datagen.New(n, gen, datagen.WithTimestamps(ts), datagen.WithRateLimit(30_000))
			// One source subtask: no record is ever behind the watermark.
			recs := stream.FromSource(env, src, eventtime.ForBoundedOutOfOrderness[skv](20*time.Millisecond), "kv").SetParallelism(1)
			fired := stream.KeyedProcess[skv, string, firing](stream.KeyBy(recs, keyOf), eventTimers{})
			out := collect.New[firing]()
			stream.SinkTo(fired, out)
			execute(t, env)

			want := map[string]bool{}
			for i := int64(0); i < n; i++ {
				r, _ := gen(i)
				want[fmt.Sprintf("%s@%d", r.K, r.V+50)] = true
			}
			got := map[string]bool{}
			lastPerSubtask := map[int]int64{}
			for _, rec := range out.Records() {
				f := rec.Value
				id := fmt.Sprintf("%s@%d", f.Key, f.Timer)
				if got[id] {
					t.Fatalf("timer %s fired twice", id)
				}
				got[id] = true
				if !want[id] {
					t.Fatalf("timer %s fired but was never registered (or was deleted)", id)
				}
				if rec.Timestamp != f.Timer || f.CtxTS != f.Timer {
					t.Fatalf("timer %s: output timestamp %d, ctx.Timestamp %d; both must be the timer time", id, rec.Timestamp, f.CtxTS)
				}
				if f.WM < f.Timer || f.ServiceWM != f.WM {
					t.Fatalf("timer %s fired at watermark %d (service says %d): before the watermark passed it", id, f.WM, f.ServiceWM)
				}
				if f.Domain != stream.EventTime || !f.ProcTimeOK {
					t.Fatalf("timer %s: domain %v, processing time readable %v", id, f.Domain, f.ProcTimeOK)
				}
				if prev, ok := lastPerSubtask[rec.Subtask]; ok && f.Timer < prev {
					t.Fatalf("subtask %d fired timer %d after %d: out of order", rec.Subtask, f.Timer, prev)
				}
				lastPerSubtask[rec.Subtask] = f.Timer
			}
			if len(got) != len(want) {
				t.Fatalf("%d timers fired, want %d", len(got), len(want))
			}
			early := 0
			for _, f := range out.Values() {
				if f.WM != eventtime.MaxWatermark {
					early++
				}
			}
			if early == 0 {
				t.Fatal("every timer fired at the final watermark; none fired as the watermark advanced")
			}
		})
	}
}

func TestAPITimerWithoutOnTimerFails(t *testing.T) {
	env := quietEnv(2)
	src := datagen.New(100, genKV, datagen.WithTimestamps(func(r skv) int64 { return r.V }))
	recs := stream.FromSource(env, src, eventtime.ForMonotonousTimestamps[skv](), "kv")
	noHandler := stream.KeyedProcessFunc[string, skv, skv](func(ctx stream.KeyedContext[string], v skv, out stream.Collector[skv]) error {
		ctx.TimerService().RegisterEventTimeTimer(ctx.Timestamp() + 1)
		out.Collect(v)
		return nil
	})
	stream.SinkTo(stream.KeyedProcess[skv, string, skv](stream.KeyBy(recs, keyOf), noHandler).Name("timerless"), collect.New[skv]())
	err := executeErr(env)
	if err == nil {
		t.Fatal("a timer fired on a function without OnTimer and the job succeeded")
	}
	for _, want := range []string{"OnTimer", "stream.TimerHandler", `"timerless"`} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %s", err, want)
		}
	}
}

// procTimers registers a processing-time timer 100 ms after each record, and
// for key "gone" one it deletes again. It acks every record so the test can
// move the clock once the records arrived.
type procTimers struct{ acks *acks }

type procFiring struct {
	Key        string
	Timer, Now int64
	Domain     stream.TimeDomain
	CtxTS      int64
}

func (f *procTimers) ProcessElement(ctx stream.KeyedContext[string], v skv, _ stream.Collector[procFiring]) error {
	now := ctx.TimerService().CurrentProcessingTime()
	if now != ctx.CurrentProcessingTime() {
		return fmt.Errorf("timer service time %d != context time %d", now, ctx.CurrentProcessingTime())
	}
	ctx.TimerService().RegisterProcessingTimeTimer(now + 100)
	if v.K == "gone" {
		ctx.TimerService().DeleteProcessingTimeTimer(now + 100)
	}
	f.acks.add("record")
	return nil
}

func (f *procTimers) OnTimer(ctx stream.OnTimerContext[string], ts int64, out stream.Collector[procFiring]) error {
	out.Collect(procFiring{Key: ctx.CurrentKey(), Timer: ts, Now: ctx.CurrentProcessingTime(), Domain: ctx.TimeDomain(), CtxTS: ctx.Timestamp()})
	return nil
}

func TestAPIProcessingTimeTimersManualClock(t *testing.T) {
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			clock := newManualClock()
			t0 := clock.NowMillis()
			env := quietEnv(p).SetClock(clock).SetBufferTimeout(0)
			in := newFeed[skv]()
			recs := stream.FromSource(env, newFeedSource(in), eventtime.NoWatermarks[skv](), "feed").SetParallelism(1)
			ack := newAcks()
			fired := stream.KeyedProcess[skv, string, procFiring](stream.KeyBy(recs, keyOf), &procTimers{acks: ack})
			out := collect.New[procFiring]()
			stream.SinkTo(fired, out)
			wait := startJob(t, env)

			first := []string{"a", "b", "c", "d", "e", "f", "gone"}
			for _, k := range first {
				in.push(skv{K: k})
			}
			ack.waitFor(t, "record", len(first))
			clock.Advance(50 * time.Millisecond)
			in.push(skv{K: "a"}, skv{K: "b"})
			ack.waitFor(t, "record", len(first)+2)
			if out.Len() != 0 {
				t.Fatalf("%d timers fired before they were due", out.Len())
			}
			clock.Advance(60 * time.Millisecond) // t0+110: the first timers are due
			waitFor(t, "first timers", func() bool { return out.Len() >= len(first)-1 })
			clock.Advance(100 * time.Millisecond) // t0+210: the second ones too
			waitFor(t, "second timers", func() bool { return out.Len() >= len(first)+1 })
			in.close()
			if err := wait(); err != nil {
				t.Fatal(err)
			}

			var want, got []procFiring
			for _, k := range first[:len(first)-1] {
				want = append(want, procFiring{Key: k, Timer: t0 + 100, Now: t0 + 110, Domain: stream.ProcessingTime, CtxTS: t0 + 100})
			}
			for _, k := range []string{"a", "b"} {
				want = append(want, procFiring{Key: k, Timer: t0 + 150, Now: t0 + 210, Domain: stream.ProcessingTime, CtxTS: t0 + 150})
			}
			for _, r := range out.Records() {
				if r.Timestamp != eventtime.NoTimestamp {
					t.Fatalf("processing-time timer output has timestamp %d; it must carry none", r.Timestamp)
				}
				got = append(got, r.Value)
			}
			sameMultiset(t, "fired processing-time timers", got, want)
		})
	}
}

// ttlProbe keeps a value with TTL per key: "set" writes it, "get" reads it.
type ttlProbe struct {
	ttl  state.TTLConfig
	acks *acks
	v    state.ValueState[int64]
}

type cmd struct {
	Key, Op string
	V       int64
}

type seen struct {
	Key     string
	At      int64
	V       int64
	Present bool
}

func (p *ttlProbe) Open(rc stream.RuntimeContext) error {
	cfg := p.ttl
	var err error
	p.v, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[int64]{Name: "v", TTL: &cfg})
	return err
}

func (p *ttlProbe) ProcessElement(ctx stream.KeyedContext[string], c cmd, out stream.Collector[seen]) error {
	defer p.acks.add("cmd")
	switch c.Op {
	case "set":
		return p.v.Update(c.V)
	case "get":
		v, ok, err := p.v.Value()
		if err != nil {
			return err
		}
		out.Collect(seen{Key: c.Key, At: ctx.CurrentProcessingTime(), V: v, Present: ok})
	}
	return nil
}

func TestAPIStateTTLWithManualClock(t *testing.T) {
	const ttl = 100 // ms
	type step struct {
		advance time.Duration
		cmds    []cmd
	}
	var keys []string
	for i := 0; i < 8; i++ {
		keys = append(keys, fmt.Sprintf("k%d", i))
	}
	var set0, mid, last []cmd
	for i, k := range keys {
		set0 = append(set0, cmd{Key: k, Op: "set", V: int64(i)})
		last = append(last, cmd{Key: k, Op: "get"})
		if i < 4 {
			mid = append(mid, cmd{Key: k, Op: "get"})
		} else {
			mid = append(mid, cmd{Key: k, Op: "set", V: int64(i) + 100})
		}
	}
	// Reads at t0+60, +120, +210 and +410: with OnReadAndWrite the reads
	// keep entries alive that OnCreateAndWrite lets expire; at +410
	// everything has expired.
	steps := []step{{0, set0}, {60 * time.Millisecond, mid}, {60 * time.Millisecond, last},
		{90 * time.Millisecond, last}, {200 * time.Millisecond, last}}

	for _, update := range []state.TTLUpdateType{state.OnCreateAndWrite, state.OnReadAndWrite} {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("update=%d/p=%d", update, p), func(t *testing.T) {
				clock := newManualClock()
				t0 := clock.NowMillis()
				// Oracle: an entry lives until its last refresh + TTL.
				type entry struct{ v, refreshed int64 }
				model := map[string]*entry{}
				var want []seen
				now := t0
				for _, s := range steps {
					now += s.advance.Milliseconds()
					for _, c := range s.cmds {
						e := model[c.Key]
						switch c.Op {
						case "set":
							model[c.Key] = &entry{v: c.V, refreshed: now}
						case "get":
							live := e != nil && now < e.refreshed+ttl
							w := seen{Key: c.Key, At: now}
							if live {
								w.V, w.Present = e.v, true
								if update == state.OnReadAndWrite {
									e.refreshed = now
								}
							}
							want = append(want, w)
						}
					}
				}

				env := quietEnv(p).SetClock(clock).SetBufferTimeout(0)
				in := newFeed[cmd]()
				cmds := stream.FromSource(env, newFeedSource(in), eventtime.NoWatermarks[cmd](), "cmds").SetParallelism(1)
				ack := newAcks()
				probe := &ttlProbe{ttl: state.TTLConfig{TTL: ttl * time.Millisecond, UpdateType: update}, acks: ack}
				got := stream.KeyedProcess[cmd, string, seen](stream.KeyBy(cmds, func(c cmd) string { return c.Key }), probe)
				out := collect.New[seen]()
				stream.SinkTo(got, out)
				wait := startJob(t, env)
				sent := 0
				for _, s := range steps {
					clock.Advance(s.advance)
					in.push(s.cmds...)
					sent += len(s.cmds)
					ack.waitFor(t, "cmd", sent)
				}
				in.close()
				if err := wait(); err != nil {
					t.Fatal(err)
				}
				sameMultiset(t, "TTL reads", out.Values(), want)
				expired := 0
				for _, w := range want {
					if !w.Present {
						expired++
					}
				}
				if expired == 0 || expired == len(want) {
					t.Fatalf("the scenario must show both live and expired values (expired %d of %d)", expired, len(want))
				}
			})
		}
	}
}

// A function's Close runs once per subtask, after its last record.
func TestAPIOpenerCloser(t *testing.T) {
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			life := newAcks()
			recs := stream.FromSource(env, datagen.New(500, genKV), eventtime.NoWatermarks[skv](), "kv")
			res := stream.KeyedProcess[skv, string, skv](stream.KeyBy(recs, keyOf), &lifecycle{acks: life}).Name("life")
			stream.SinkTo(res, collect.New[skv]())
			execute(t, env)
			if life.count("open") != p || life.count("close") != p || life.count("record") != 500 {
				t.Fatalf("open %d, close %d, records %d; want %d, %d, 500", life.count("open"), life.count("close"), life.count("record"), p, p)
			}
			if life.count("bad-context") != 0 {
				t.Fatalf("%d RuntimeContext checks failed", life.count("bad-context"))
			}
		})
	}
}

type lifecycle struct {
	acks   *acks
	opened bool
}

func (l *lifecycle) Open(rc stream.RuntimeContext) error {
	l.opened = true
	l.acks.add("open")
	if rc.OperatorName() != "life" || rc.Config() == nil || rc.NumberOfParallelSubtasks() < 1 {
		l.acks.add("bad-context")
	}
	return nil
}

func (l *lifecycle) ProcessElement(_ stream.KeyedContext[string], v skv, out stream.Collector[skv]) error {
	if !l.opened {
		return fmt.Errorf("record before Open")
	}
	l.acks.add("record")
	out.Collect(v)
	return nil
}

func (l *lifecycle) Close() error {
	l.acks.add("close")
	return nil
}
