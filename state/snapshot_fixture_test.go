package state

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/snapshot"
)

// The snapshot tests run one fixture holding every state kind, with TTL,
// namespaces and timers, through snapshots, restores and mutations.

const fxMaxPar = 128

// snapWin is a window namespace with exported fields, so the default codec
// handles it.
type snapWin struct{ Start, End int64 }

// meanAcc is a value accumulator.
type meanAcc struct{ Sum, N int }

type meanFn struct{}

func (meanFn) CreateAccumulator() meanAcc   { return meanAcc{} }
func (meanFn) Add(v int, a meanAcc) meanAcc { return meanAcc{a.Sum + v, a.N + 1} }
func (meanFn) GetResult(a meanAcc) float64  { return float64(a.Sum) / float64(a.N) }
func (meanFn) Merge(a, b meanAcc) meanAcc   { return meanAcc{a.Sum + b.Sum, a.N + b.N} }

// tally is an accumulator that Add changes in place, as Flink allows.
type tally struct{ Counts map[int]int }

type tallyFn struct{}

func (tallyFn) CreateAccumulator() *tally { return &tally{Counts: map[int]int{}} }
func (tallyFn) Add(v int, a *tally) *tally {
	a.Counts[v]++
	return a
}
func (tallyFn) GetResult(a *tally) string {
	keys := slices.Sorted(maps.Keys(a.Counts))
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%d:%d ", k, a.Counts[k])
	}
	return sb.String()
}
func (tallyFn) Merge(a, b *tally) *tally {
	for k, n := range b.Counts {
		a.Counts[k] += n
	}
	return a
}

// sumInPlace reduces slices by adding b into a in place.
func sumInPlace(a, b []int) ([]int, error) {
	for i := range min(len(a), len(b)) {
		a[i] += b[i]
	}
	return a, nil
}

var (
	ttl100 = &TTLConfig{TTL: 100 * time.Millisecond}
	// Incremental cleanup purges lists and maps in place during the test.
	ttlSweep = &TTLConfig{TTL: 100 * time.Millisecond, CleanupIncrementally: 3}
	ttlRead  = &TTLConfig{TTL: 100 * time.Millisecond, UpdateType: OnReadAndWrite}

	dVal     = ValueDescriptor[int]{Name: "val"}
	dValTTL  = ValueDescriptor[int]{Name: "val-ttl", TTL: ttl100}
	dList    = ListDescriptor[string]{Name: "list"}
	dListTTL = ListDescriptor[int]{Name: "list-ttl", TTL: ttlSweep}
	dListRW  = ListDescriptor[int]{Name: "list-rw", TTL: ttlRead}
	dMap     = MapDescriptor[string, int]{Name: "map"}
	dMapTTL  = MapDescriptor[string, int]{Name: "map-ttl", TTL: ttlSweep}
	dRed     = ReducingDescriptor[[]int]{Name: "red", Reduce: sumInPlace}
	dAgg     = AggregatingDescriptor[int, meanAcc, float64]{Name: "agg", Aggregate: meanFn{}}
	dTally   = AggregatingDescriptor[int, *tally, string]{Name: "tally", Aggregate: tallyFn{}, AccCodec: tallyCodec{}}
	dWin     = ListDescriptor[int]{Name: "win"}
	dWinRed  = ReducingDescriptor[int]{Name: "win-red", Reduce: func(a, b int) (int, error) { return a + b, nil }}
)

type fx struct {
	t   testing.TB
	clk *fakeClock
	pts *fakePTS
	b   *HeapBackend
	rec *recorder

	val     ValueState[int]
	valTTL  ValueState[int]
	list    ListState[string]
	listTTL ListState[int]
	listRW  ListState[int]
	m       MapState[string, int]
	mTTL    MapState[string, int]
	red     ReducingState[[]int]
	agg     AggregatingState[int, float64]
	tally   AggregatingState[int, string]
	win     ListState[int]
	winRed  ReducingState[int]
	timers  *TimerService
}

func heapOpts(r keygroup.Range, clk *fakeClock) HeapOptions {
	return HeapOptions{
		MaxParallelism: fxMaxPar, KeyGroups: r, Now: clk.Now,
		KeyCodec:       codec.Any(codec.For[string]()),
		NamespaceCodec: codec.Any(codec.For[snapWin]()),
	}
}

// newFx creates the fixture's backend without registering anything, so it
// can be restored first.
func newFx(t testing.TB, r keygroup.Range, now int64) *fx {
	clk := &fakeClock{now: now}
	b := NewHeapBackend(heapOpts(r, clk))
	t.Cleanup(b.Close)
	return &fx{t: t, clk: clk, pts: &fakePTS{now: now}, b: b}
}

// open registers every state and the timer service.
func (f *fx) open() *fx {
	f.t.Helper()
	must := func(err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatal(err)
		}
	}
	var err error
	f.val, err = GetValueState(f.b, dVal)
	must(err)
	f.valTTL, err = GetValueState(f.b, dValTTL)
	must(err)
	f.list, err = GetListState(f.b, dList)
	must(err)
	f.listTTL, err = GetListState(f.b, dListTTL)
	must(err)
	f.listRW, err = GetListState(f.b, dListRW)
	must(err)
	f.m, err = GetMapState(f.b, dMap)
	must(err)
	f.mTTL, err = GetMapState(f.b, dMapTTL)
	must(err)
	f.red, err = GetReducingState(f.b, dRed)
	must(err)
	f.agg, err = GetAggregatingState(f.b, dAgg)
	must(err)
	f.tally, err = GetAggregatingState(f.b, dTally)
	must(err)
	f.win, err = GetListState(f.b, dWin)
	must(err)
	f.winRed, err = GetReducingState(f.b, dWinRed)
	must(err)
	if t, ok := f.t.(*testing.T); ok {
		f.rec = &recorder{t: t, b: f.b}
	} else {
		f.rec = &recorder{b: f.b}
	}
	f.timers = NewTimerService(f.b, f.pts, f.rec)
	f.t.Cleanup(f.timers.Close)
	return f
}

func (f *fx) owns(key string) bool { return f.b.KeyGroupRange().Contains(keygroup.Of(key, fxMaxPar)) }

func fxKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%03d", i)
	}
	return keys
}

// populate writes every state for keys, in two passes 50 ms apart; 110 ms
// after the first pass, its TTL data has expired and the second's has not.
func (f *fx) populate(keys []string) {
	f.t.Helper()
	must := func(err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatal(err)
		}
	}
	w0, w1 := snapWin{0, 10}, snapWin{10, 20}
	for i, k := range keys {
		if !f.owns(k) {
			continue
		}
		f.b.SetCurrentKey(k)
		must(f.val.Update(i))
		if i%2 == 0 {
			must(f.valTTL.Update(i))
		}
		must(f.list.AddAll([]string{k + "a", k + "b"}))
		must(f.listTTL.Add(i))
		must(f.listRW.Add(i))
		must(f.m.Put("x", i))
		must(f.m.Put("y", -i))
		must(f.mTTL.Put("z", i))
		must(f.red.Add([]int{i, 1}))
		must(f.red.Add([]int{1, 1}))
		must(f.agg.Add(i))
		must(f.agg.Add(i + 1))
		must(f.tally.Add(i % 3))
		must(f.tally.Add(1))
		f.win.(Namespaced).SetNamespace(w0)
		must(f.win.Add(i))
		f.win.(Namespaced).SetNamespace(w1)
		must(f.win.Add(-i))
		f.winRed.(Namespaced).SetNamespace(w1)
		must(f.winRed.Add(i))
		f.timers.RegisterEventTimeTimer(w0, 100+int64(i%7))
		f.timers.RegisterEventTimeTimer(nil, 200+int64(i))
		f.timers.RegisterProcessingTimeTimer(nil, 5000+int64(i%5))
	}
	f.advance(50)
	for i, k := range keys {
		if !f.owns(k) || i%2 == 0 {
			continue
		}
		f.b.SetCurrentKey(k)
		must(f.valTTL.Update(i))
		must(f.listTTL.Add(1000 + i))
		must(f.listRW.Add(1000 + i))
		must(f.mTTL.Put("w", i))
	}
	f.advance(60)
}

func (f *fx) advance(ms int64) { f.clk.now += ms }

// dump renders the visible state of keys this backend owns, and its
// timers.
func (f *fx) dump(keys []string) map[string]string {
	f.t.Helper()
	out := map[string]string{}
	put := func(k, name string, v any, ok bool, err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatalf("%s of %s: %v", name, k, err)
		}
		if ok {
			out[k+"/"+name] = fmt.Sprint(v)
		}
	}
	mapDump := func(m MapState[string, int]) (string, bool, error) {
		var kv []string
		err := m.Range(func(k string, v int) bool { kv = append(kv, fmt.Sprint(k, "=", v)); return true })
		sort.Strings(kv)
		return strings.Join(kv, ","), len(kv) > 0, err
	}
	for _, k := range keys {
		if !f.owns(k) {
			continue
		}
		f.b.SetCurrentKey(k)
		v, ok, err := f.val.Value()
		put(k, "val", v, ok, err)
		v, ok, err = f.valTTL.Value()
		put(k, "valTTL", v, ok, err)
		ls, err := f.list.Get()
		put(k, "list", ls, ls != nil, err)
		li, err := f.listTTL.Get()
		put(k, "listTTL", li, li != nil, err)
		li, err = f.listRW.Get()
		put(k, "listRW", li, li != nil, err)
		s, ok, err := mapDump(f.m)
		put(k, "map", s, ok, err)
		s, ok, err = mapDump(f.mTTL)
		put(k, "mapTTL", s, ok, err)
		r, ok, err := f.red.Get()
		put(k, "red", r, ok, err)
		a, ok, err := f.agg.Get()
		put(k, "agg", a, ok, err)
		ta, ok, err := f.tally.Get()
		put(k, "tally", ta, ok, err)
		for _, w := range []snapWin{{0, 10}, {10, 20}, {0, 20}} {
			f.win.(Namespaced).SetNamespace(w)
			li, err := f.win.Get()
			put(k, fmt.Sprint("win", w), li, li != nil, err)
			f.winRed.(Namespaced).SetNamespace(w)
			v, ok, err := f.winRed.Get()
			put(k, fmt.Sprint("winRed", w), v, ok, err)
		}
	}
	for _, q := range []struct {
		name string
		q    *timerQueue
	}{{"event", f.timers.event}, {"proc", f.timers.proc}} {
		for _, m := range q.q.groups {
			for t := range m {
				out[fmt.Sprintf("timer/%s/%v/%v/%d", q.name, t.Key, t.Namespace, t.Timestamp)] = ""
			}
		}
	}
	return out
}

// writeAll writes every key group of s.
func writeAll(t testing.TB, s operator.KeyedSnapshot) map[int][]byte {
	t.Helper()
	out := map[int][]byte{}
	r := s.KeyGroups()
	for kg := r.Start; kg <= r.End; kg++ {
		var e snapshot.Encoder
		if err := s.WriteKeyGroup(kg, &e); err != nil {
			t.Fatalf("WriteKeyGroup(%d): %v", kg, err)
		}
		out[kg] = e.Data()
	}
	return out
}

// snapshotAll snapshots b and writes it.
func snapshotAll(t testing.TB, b *HeapBackend) map[int][]byte {
	t.Helper()
	s, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	return writeAll(t, s)
}

// restoreFrom restores the key groups of data that b owns, through
// Restore, as the runtime does.
func restoreFrom(t testing.TB, b *HeapBackend, data map[int][]byte) {
	t.Helper()
	r := &operator.Restored{KeyGroups: func(fn func(kg int, data []byte) error) error {
		for kg := b.KeyGroupRange().Start; kg <= b.KeyGroupRange().End; kg++ {
			if d, ok := data[kg]; ok {
				if err := fn(kg, d); err != nil {
					return err
				}
			}
		}
		return nil
	}}
	if err := b.Restore(r); err != nil {
		t.Fatal(err)
	}
}

// mutate applies one random operation, as a subtask would between
// checkpoints: writes of every kind, clears, merges, TTL reads and sweeps,
// timers.
func (f *fx) mutate(rng *rand.Rand, keys []string) {
	f.t.Helper()
	must := func(err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatal(err)
		}
	}
	k := keys[rng.IntN(len(keys))]
	if !f.owns(k) {
		return
	}
	f.b.SetCurrentKey(k) // runs the incremental TTL sweeps
	n := rng.IntN(1000)
	switch rng.IntN(24) {
	case 0:
		must(f.val.Update(n))
	case 1:
		f.val.Clear()
	case 2:
		must(f.valTTL.Update(n))
	case 3:
		_, _, err := f.valTTL.Value()
		must(err)
	case 4:
		must(f.list.Add(fmt.Sprint(n)))
	case 5:
		must(f.list.Update([]string{"u", fmt.Sprint(n)}))
	case 6:
		must(f.listTTL.Add(n))
	case 7:
		_, err := f.listTTL.Get()
		must(err)
	case 8:
		_, err := f.listRW.Get() // refreshes expiries in place
		must(err)
	case 9:
		must(f.listRW.Add(n))
	case 10:
		must(f.m.Put(fmt.Sprint("p", n%5), n))
	case 11:
		must(f.m.Remove("x"))
	case 12:
		must(f.mTTL.Put("v", n))
	case 13:
		_, _, err := f.mTTL.Get("z")
		must(err)
	case 14:
		must(f.red.Add([]int{n, n}))
	case 15:
		must(f.agg.Add(n))
	case 16:
		must(f.tally.Add(n % 4))
	case 17:
		w0, w1, w := snapWin{0, 10}, snapWin{10, 20}, snapWin{0, 20}
		must(f.win.(Namespaced).MergeNamespaces(w, []any{w0, w1}))
		must(f.winRed.(Namespaced).MergeNamespaces(w, []any{w0, w1}))
	case 18:
		f.win.(Namespaced).SetNamespace(snapWin{0, 10})
		must(f.win.Add(n))
	case 19:
		f.timers.RegisterEventTimeTimer(snapWin{0, 10}, int64(n))
		f.timers.DeleteEventTimeTimer(nil, 200+int64(n%50))
	case 20:
		f.timers.RegisterProcessingTimeTimer(snapWin{10, 20}, 5000+int64(n))
		f.timers.DeleteProcessingTimeTimer(nil, 5000+int64(n%5))
	case 21:
		must(f.timers.AdvanceWatermark(f.timers.CurrentWatermark() + int64(rng.IntN(20))))
	case 22:
		f.advance(int64(rng.IntN(30)))
	case 23:
		must(f.b.ForEachKey(dListTTL.Name, nil, func(any) error { return nil }))
	}
}

// tallyCodec writes a tally's counts sorted by key: gob writes maps in
// iteration order, and equal state should write equal bytes.
type tallyCodec struct{}

func (tallyCodec) Encode(t *tally) ([]byte, error) {
	var e snapshot.Encoder
	e.Uvarint(uint64(len(t.Counts)))
	for _, k := range slices.Sorted(maps.Keys(t.Counts)) {
		e.Varint(int64(k))
		e.Varint(int64(t.Counts[k]))
	}
	return e.Data(), nil
}

func (tallyCodec) Decode(b []byte) (*tally, error) {
	d := snapshot.NewDecoder(b)
	n := d.Uvarint()
	if n > uint64(d.Len()) {
		return nil, fmt.Errorf("tally of %d counts in %d bytes", n, d.Len())
	}
	t := &tally{Counts: make(map[int]int, n)}
	for range n {
		k := d.Varint()
		t.Counts[int(k)] = int(d.Varint())
	}
	if d.Err() != nil || d.Len() != 0 {
		return nil, fmt.Errorf("bad tally: %w", d.Err())
	}
	return t, nil
}
