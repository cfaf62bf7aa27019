package state

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/keygroup"
)

// timed is a transcript step at a processing time (ms).
type timed struct {
	at int64
	step
}

func runTimed(t *testing.T, b *HeapBackend, clk *fakeClock, ns Namespaced, apply adapter, steps []timed) {
	t.Helper()
	for i, st := range steps {
		clk.now = st.at
		st.key = "a"
		runTranscript(t, b, ns, apply, []step{st.step})
		if t.Failed() {
			t.Fatalf("at step %d (t=%d)", i, st.at)
		}
	}
}

func ttlConf(u TTLUpdateType, v TTLVisibility) *TTLConfig {
	return &TTLConfig{TTL: 100 * time.Millisecond, UpdateType: u, Visibility: v}
}

func TestValueStateTTL(t *testing.T) {
	cases := []struct {
		name  string
		ttl   *TTLConfig
		steps []timed
		// entries left in the table at the end
		wantEntries int
	}{
		{"write refreshes, read does not (OnCreateAndWrite)", ttlConf(OnCreateAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "update", arg: 1}},
			{1099, step{op: "get", want: 1}},
			{1100, step{op: "get", want: nil}},
			{1100, step{op: "update", arg: 2}},
			{1150, step{op: "update", arg: 3}}, // refresh to 1250
			{1249, step{op: "get", want: 3}},
			{1250, step{op: "get", want: nil}},
		}, 0},
		{"read refreshes (OnReadAndWrite)", ttlConf(OnReadAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "update", arg: 1}},
			{1090, step{op: "get", want: 1}}, // now expires at 1190
			{1180, step{op: "get", want: 1}}, // 1280
			{1279, step{op: "get", want: 1}},
			{1379, step{op: "get", want: nil}},
		}, 0},
		{"expired is returned once if not cleaned up", ttlConf(OnCreateAndWrite, ReturnExpiredIfNotCleanedUp), []timed{
			{1000, step{op: "update", arg: 1}},
			{1200, step{op: "get", want: 1}}, // returned, and purged by the read
			{1200, step{op: "get", want: nil}},
		}, 0},
		{"read-and-write with return-expired", ttlConf(OnReadAndWrite, ReturnExpiredIfNotCleanedUp), []timed{
			{1000, step{op: "update", arg: 1}},
			{1050, step{op: "get", want: 1}},
			{1149, step{op: "get", want: 1}},
			{1300, step{op: "get", want: 1}},
			{1300, step{op: "get", want: nil}},
		}, 0},
		{"live entry stays", ttlConf(OnCreateAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "update", arg: 1}},
			{1050, step{op: "get", want: 1}},
		}, 1},
		{"zero TTL is off", &TTLConfig{TTL: 0}, []timed{
			{1000, step{op: "update", arg: 1}},
			{1 << 40, step{op: "get", want: 1}},
		}, 1},
		{"negative TTL is off", &TTLConfig{TTL: -time.Second}, []timed{
			{1000, step{op: "update", arg: 1}},
			{1 << 40, step{op: "get", want: 1}},
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{}
			b := fullBackend(t, clk)
			s, err := GetValueState(b, ValueDescriptor[int]{Name: "v", TTL: tc.ttl})
			if err != nil {
				t.Fatal(err)
			}
			runTimed(t, b, clk, s.(Namespaced), valueAdapter(s), tc.steps)
			if n := tableCount(t, s); n != tc.wantEntries {
				t.Fatalf("entries left = %d, want %d", n, tc.wantEntries)
			}
		})
	}
}

func TestListStateTTL(t *testing.T) {
	cases := []struct {
		name  string
		ttl   *TTLConfig
		steps []timed
	}{
		{"elements expire on their own", ttlConf(OnCreateAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "add", arg: 1}},
			{1050, step{op: "addAll", arg: []int{2, 3}}},
			{1099, step{op: "get", want: []int{1, 2, 3}}},
			{1100, step{op: "get", want: []int{2, 3}}},
			{1149, step{op: "add", arg: 4}},
			{1150, step{op: "get", want: []int{4}}},
			{1249, step{op: "get", want: nil}},
		}},
		{"update stamps every element", ttlConf(OnCreateAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "add", arg: 1}},
			{1090, step{op: "update", arg: []int{5, 6}}},
			{1189, step{op: "get", want: []int{5, 6}}},
			{1190, step{op: "get", want: nil}},
		}},
		{"reads refresh remaining elements", ttlConf(OnReadAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "add", arg: 1}},
			{1090, step{op: "get", want: []int{1}}},
			{1189, step{op: "get", want: []int{1}}},
			{1288, step{op: "get", want: []int{1}}},
			{1388, step{op: "get", want: nil}},
		}},
		{"expired elements returned once", ttlConf(OnCreateAndWrite, ReturnExpiredIfNotCleanedUp), []timed{
			{1000, step{op: "add", arg: 1}},
			{1050, step{op: "add", arg: 2}},
			{1120, step{op: "get", want: []int{1, 2}}},
			{1120, step{op: "get", want: []int{2}}},
			{1500, step{op: "get", want: []int{2}}},
			{1500, step{op: "get", want: nil}},
		}},
		{"merge keeps element expiry", ttlConf(OnCreateAndWrite, NeverReturnExpired), []timed{
			{1000, step{ns: w1, op: "add", arg: 1}},
			{1050, step{ns: w2, op: "add", arg: 2}},
			{1060, step{op: "merge", arg: mergeArgs{w3, []any{w1, w2}}}},
			{1099, step{ns: w3, op: "get", want: []int{1, 2}}},
			{1100, step{ns: w3, op: "get", want: []int{2}}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{}
			b := fullBackend(t, clk)
			s, err := GetListState(b, ListDescriptor[int]{Name: "l", TTL: tc.ttl})
			if err != nil {
				t.Fatal(err)
			}
			runTimed(t, b, clk, s.(Namespaced), listAdapter(s), tc.steps)
		})
	}
}

func TestMapStateTTL(t *testing.T) {
	cases := []struct {
		name        string
		ttl         *TTLConfig
		steps       []timed
		wantEntries int
	}{
		{"entries expire on their own", ttlConf(OnCreateAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "put", arg: kv{"x", 1}}},
			{1050, step{op: "putAll", arg: map[string]int{"y": 2}}},
			{1099, step{op: "entries", want: map[string]int{"x": 1, "y": 2}}},
			{1100, step{op: "get", arg: "x", want: nil}},
			{1100, step{op: "len", want: 1}},
			{1100, step{op: "contains", arg: "y", want: true}},
			{1149, step{op: "put", arg: kv{"x", 3}}},
			{1150, step{op: "entries", want: map[string]int{"x": 3}}},
			{1249, step{op: "empty", want: true}},
		}, 0},
		{"reads refresh", ttlConf(OnReadAndWrite, NeverReturnExpired), []timed{
			{1000, step{op: "put", arg: kv{"x", 1}}},
			{1000, step{op: "put", arg: kv{"y", 2}}},
			{1090, step{op: "get", arg: "x", want: 1}},
			{1150, step{op: "entries", want: map[string]int{"x": 1}}},
			{1249, step{op: "contains", arg: "x", want: true}},
			{1348, step{op: "len", want: 1}},
		}, 1},
		{"expired returned once", ttlConf(OnCreateAndWrite, ReturnExpiredIfNotCleanedUp), []timed{
			{1000, step{op: "put", arg: kv{"x", 1}}},
			{1050, step{op: "put", arg: kv{"y", 2}}},
			{1120, step{op: "get", arg: "x", want: 1}},
			{1120, step{op: "get", arg: "x", want: nil}},
			{1200, step{op: "entries", want: map[string]int{"y": 2}}},
			{1200, step{op: "len", want: 0}},
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{}
			b := fullBackend(t, clk)
			s, err := GetMapState(b, MapDescriptor[string, int]{Name: "m", TTL: tc.ttl})
			if err != nil {
				t.Fatal(err)
			}
			runTimed(t, b, clk, s.(Namespaced), mapAdapter(s), tc.steps)
			if n := tableCount(t, s); n != tc.wantEntries {
				t.Fatalf("entries left = %d, want %d", n, tc.wantEntries)
			}
		})
	}
}

func TestReducingAndAggregatingTTL(t *testing.T) {
	sum := func(a, b int) (int, error) { return a + b, nil }
	t.Run("reducing", func(t *testing.T) {
		for _, vis := range []TTLVisibility{NeverReturnExpired, ReturnExpiredIfNotCleanedUp} {
			clk := &fakeClock{}
			b := fullBackend(t, clk)
			s, _ := GetReducingState(b, ReducingDescriptor[int]{Name: "r", Reduce: sum, TTL: ttlConf(OnCreateAndWrite, vis)})
			runTimed(t, b, clk, s.(Namespaced), reducingAdapter(s), []timed{
				{1000, step{op: "add", arg: 1}},
				{1050, step{op: "add", arg: 2}}, // expires 1150
				{1149, step{op: "get", want: 3}},
				// An expired value is never reduced into, whatever the visibility.
				{1150, step{op: "add", arg: 10}},
				{1200, step{op: "get", want: 10}},
				{1210, step{ns: w1, op: "add", arg: 5}},
				{1300, step{ns: w2, op: "add", arg: 7}},
				{1310, step{op: "merge", arg: mergeArgs{w3, []any{w1, w2}}}}, // w1 expired at 1310
				{1409, step{ns: w3, op: "get", want: 7}},
				{1410, step{ns: w3, op: "get", want: map[bool]any{true: 7, false: nil}[vis == ReturnExpiredIfNotCleanedUp]}},
			})
		}
	})
	t.Run("aggregating", func(t *testing.T) {
		clk := &fakeClock{}
		b := fullBackend(t, clk)
		creates := 0
		s, _ := GetAggregatingState(b, AggregatingDescriptor[int, avgAcc, float64]{
			Name: "g", Aggregate: avg{&creates}, TTL: ttlConf(OnReadAndWrite, NeverReturnExpired)})
		runTimed(t, b, clk, s.(Namespaced), aggregatingAdapter(s), []timed{
			{1000, step{op: "add", arg: 2}},
			{1090, step{op: "get", want: 2.0}}, // refreshed to 1190
			{1180, step{op: "add", arg: 4}},
			{1279, step{op: "get", want: 3.0}},
			{1400, step{op: "add", arg: 9}}, // expired: a fresh accumulator
			{1400, step{op: "get", want: 9.0}},
		})
		if creates != 2 {
			t.Fatalf("CreateAccumulator calls = %d, want 2", creates)
		}
	})
}

func TestIncrementalCleanup(t *testing.T) {
	for _, kind := range []string{"value", "list", "map"} {
		t.Run(kind, func(t *testing.T) {
			clk := &fakeClock{now: 1000}
			b := fullBackend(t, clk)
			conf := &TTLConfig{TTL: 100 * time.Millisecond, CleanupIncrementally: 3}
			var s any
			var write func(i int)
			var read func()
			switch kind {
			case "value":
				v, _ := GetValueState(b, ValueDescriptor[int]{Name: "s", TTL: conf})
				s, write, read = v, func(i int) { _ = v.Update(i) }, func() { _, _, _ = v.Value() }
			case "list":
				l, _ := GetListState(b, ListDescriptor[int]{Name: "s", TTL: conf})
				s, write, read = l, func(i int) { _ = l.Add(i) }, func() { _, _ = l.Get() }
			case "map":
				m, _ := GetMapState(b, MapDescriptor[string, int]{Name: "s", TTL: conf})
				s, write, read = m, func(i int) { _ = m.Put("k", i) }, func() { _, _, _ = m.Get("k") }
			}
			keys := keysIn(30, 128, func(int) bool { return true })
			for i, k := range keys {
				b.SetCurrentKey(k)
				write(i)
			}
			clk.now = 1200 // all expired
			live := "live-key"
			b.SetCurrentKey(live) // per-record cleanup: up to 3
			if n := tableCount(t, s); n != 27 {
				t.Fatalf("after one SetCurrentKey, %d entries left, want 27", n)
			}
			write(0) // the access sweeps 3 more, then adds the live entry
			if n := tableCount(t, s); n != 25 {
				t.Fatalf("after one access, %d entries left, want 25", n)
			}
			for range 10 {
				read()
			}
			if n := tableCount(t, s); n != 1 {
				t.Fatalf("after cleanup, %d entries left, want only the live one", n)
			}
			read()
			if n := tableCount(t, s); n != 1 {
				t.Fatalf("cleanup removed a live entry: %d left", n)
			}
		})
	}
}

func TestIncrementalCleanupPurgesPartially(t *testing.T) {
	// A list with some expired elements keeps its live ones after a sweep.
	clk := &fakeClock{now: 1000}
	b := fullBackend(t, clk)
	l, _ := GetListState(b, ListDescriptor[int]{Name: "l", TTL: &TTLConfig{TTL: 100 * time.Millisecond, CleanupIncrementally: 1000}})
	b.SetCurrentKey("a")
	_ = l.Add(1)
	clk.now = 1060
	_ = l.Add(2)
	clk.now = 1120
	b.SetCurrentKey("b") // sweeps everything
	e := l.(*listState[int]).t.get(keygroup.Of("a", 128), entryKey{"a", VoidNamespace{}})
	if e == nil || !slices.Equal(e.vals, []int{2}) || len(e.exps) != 1 {
		t.Fatalf("after sweep the stored list is %+v, want [2]", e)
	}
}

func TestForEachKeySkipsAndPurgesExpired(t *testing.T) {
	clk := &fakeClock{now: 1000}
	b := fullBackend(t, clk)
	v, _ := GetValueState(b, ValueDescriptor[int]{Name: "v", TTL: ttlConf(OnCreateAndWrite, ReturnExpiredIfNotCleanedUp)})
	for i := range 6 {
		clk.now = int64(1000 + 10*i)
		b.SetCurrentKey(fmt.Sprint("k", i))
		_ = v.Update(i)
	}
	clk.now = 1125 // k0, k1 and k2 expired
	var got []string
	if err := b.ForEachKey("v", nil, func(k any) error { got = append(got, k.(string)); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"k3", "k4", "k5"}) {
		t.Fatalf("ForEachKey = %v, want the non-expired keys", got)
	}
	if n := tableCount(t, v); n != 3 {
		t.Fatalf("entries after ForEachKey = %d, want 3 (expired ones purged)", n)
	}
}

func TestSubMillisecondTTLRoundsUp(t *testing.T) {
	clk := &fakeClock{now: 1000}
	b := fullBackend(t, clk)
	v, _ := GetValueState(b, ValueDescriptor[int]{Name: "v", TTL: &TTLConfig{TTL: time.Microsecond}})
	b.SetCurrentKey("a")
	_ = v.Update(1)
	if _, ok, _ := v.Value(); !ok {
		t.Fatal("a 1µs TTL must keep the value for the current millisecond")
	}
	clk.now++
	if _, ok, _ := v.Value(); ok {
		t.Fatal("the value must expire a millisecond later")
	}
}

func TestHasState(t *testing.T) {
	clk := &fakeClock{now: 1000}
	b := fullBackend(t, clk)
	s, _ := GetReducingState(b, ReducingDescriptor[int]{Name: "r", Reduce: func(a, b int) (int, error) { return a + b, nil },
		TTL: &TTLConfig{TTL: 100 * time.Millisecond}})
	ns := s.(Namespaced)
	if ns.HasState() {
		t.Fatal("HasState without a current key = true")
	}
	b.SetCurrentKey("a")
	ns.SetNamespace(w1)
	if ns.HasState() {
		t.Fatal("HasState before any write = true")
	}
	if err := s.Add(1); err != nil {
		t.Fatal(err)
	}
	if !ns.HasState() {
		t.Fatal("HasState after Add = false")
	}
	ns.SetNamespace(w2)
	if ns.HasState() {
		t.Fatal("HasState in another namespace = true")
	}
	b.SetCurrentKey("b")
	ns.SetNamespace(w1)
	if ns.HasState() {
		t.Fatal("HasState for another key = true")
	}
	b.SetCurrentKey("a")
	clk.now = 1100
	if ns.HasState() {
		t.Fatal("HasState for an expired value = true")
	}
	clk.now = 1000
	s.Clear()
	if ns.HasState() {
		t.Fatal("HasState after Clear = true")
	}
}
