package state

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/keygroup"
)

// step is one operation of a state transcript: set the key and namespace
// (nil: VoidNamespace), apply op with arg, and compare the result.
type step struct {
	key  string
	ns   any
	op   string
	arg  any
	want any
}

// wantError is the type of errWanted.
type wantError struct{}

// errWanted, as a step's want, marks a step that must fail.
var errWanted = wantError{}

type kv struct {
	k string
	v int
}

type mergeArgs struct {
	target  any
	sources []any
}

// adapter applies an op to one state kind and returns a comparable result.
type adapter func(op string, arg any) (any, error)

func runTranscript(t *testing.T, b *HeapBackend, ns Namespaced, apply adapter, steps []step) {
	t.Helper()
	for i, st := range steps {
		b.SetCurrentKey(st.key)
		ns.SetNamespace(st.ns)
		got, err := apply(st.op, st.arg)
		if _, mustFail := st.want.(wantError); mustFail {
			if err == nil {
				t.Fatalf("step %d %s(%v) on key %q ns %v: want an error, got %v", i, st.op, st.arg, st.key, st.ns, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d %s(%v) on key %q ns %v: %v", i, st.op, st.arg, st.key, st.ns, err)
		}
		if !reflect.DeepEqual(got, st.want) {
			t.Fatalf("step %d %s(%v) on key %q ns %v: got %#v, want %#v", i, st.op, st.arg, st.key, st.ns, got, st.want)
		}
	}
}

func opt[T any](v T, ok bool, err error) (any, error) {
	if err != nil || !ok {
		return nil, err
	}
	return v, nil
}

func valueAdapter(s ValueState[int]) adapter {
	return func(op string, arg any) (any, error) {
		switch op {
		case "update":
			return nil, s.Update(arg.(int))
		case "get":
			return opt(s.Value())
		case "clear":
			s.Clear()
			return nil, nil
		case "merge":
			m := arg.(mergeArgs)
			return nil, s.(Namespaced).MergeNamespaces(m.target, m.sources)
		}
		panic("unknown op " + op)
	}
}

func listAdapter(s ListState[int]) adapter {
	return func(op string, arg any) (any, error) {
		switch op {
		case "add":
			return nil, s.Add(arg.(int))
		case "addAll":
			return nil, s.AddAll(arg.([]int))
		case "update":
			return nil, s.Update(arg.([]int))
		case "get": // an empty list must be a nil slice, reported as nil
			v, err := s.Get()
			switch {
			case v == nil:
				return nil, err
			case len(v) == 0:
				return "empty non-nil slice", err
			}
			return v, err
		case "clear":
			s.Clear()
			return nil, nil
		case "merge":
			m := arg.(mergeArgs)
			return nil, s.(Namespaced).MergeNamespaces(m.target, m.sources)
		}
		panic("unknown op " + op)
	}
}

func mapAdapter(s MapState[string, int]) adapter {
	return func(op string, arg any) (any, error) {
		switch op {
		case "put":
			p := arg.(kv)
			return nil, s.Put(p.k, p.v)
		case "putAll":
			return nil, s.PutAll(arg.(map[string]int))
		case "remove":
			return nil, s.Remove(arg.(string))
		case "get":
			return opt(s.Get(arg.(string)))
		case "contains":
			return s.Contains(arg.(string))
		case "len":
			return s.Len()
		case "empty":
			return s.IsEmpty()
		case "entries":
			m := map[string]int{}
			err := s.Range(func(k string, v int) bool { m[k] = v; return true })
			return m, err
		case "first": // Range stops when fn returns false
			n := 0
			err := s.Range(func(string, int) bool { n++; return false })
			return n, err
		case "clear":
			s.Clear()
			return nil, nil
		case "merge":
			m := arg.(mergeArgs)
			return nil, s.(Namespaced).MergeNamespaces(m.target, m.sources)
		}
		panic("unknown op " + op)
	}
}

func reducingAdapter(s ReducingState[int]) adapter {
	return func(op string, arg any) (any, error) {
		switch op {
		case "add":
			return nil, s.Add(arg.(int))
		case "get":
			return opt(s.Get())
		case "clear":
			s.Clear()
			return nil, nil
		case "merge":
			m := arg.(mergeArgs)
			return nil, s.(Namespaced).MergeNamespaces(m.target, m.sources)
		}
		panic("unknown op " + op)
	}
}

func aggregatingAdapter(s AggregatingState[int, float64]) adapter {
	return func(op string, arg any) (any, error) {
		switch op {
		case "add":
			return nil, s.Add(arg.(int))
		case "get":
			return opt(s.Get())
		case "clear":
			s.Clear()
			return nil, nil
		case "merge":
			m := arg.(mergeArgs)
			return nil, s.(Namespaced).MergeNamespaces(m.target, m.sources)
		}
		panic("unknown op " + op)
	}
}

var (
	w1 = win{0, 10}
	w2 = win{10, 20}
	w3 = win{20, 30}
)

func TestValueState(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"empty", []step{{key: "a", op: "get", want: nil}}},
		{"update then get", []step{
			{key: "a", op: "update", arg: 1},
			{key: "a", op: "get", want: 1},
			{key: "a", op: "update", arg: 2},
			{key: "a", op: "get", want: 2},
		}},
		{"keys are separate", []step{
			{key: "a", op: "update", arg: 1},
			{key: "b", op: "get", want: nil},
			{key: "b", op: "update", arg: 2},
			{key: "a", op: "get", want: 1},
			{key: "b", op: "get", want: 2},
		}},
		{"clear", []step{
			{key: "a", op: "update", arg: 1},
			{key: "b", op: "update", arg: 2},
			{key: "a", op: "clear"},
			{key: "a", op: "get", want: nil},
			{key: "b", op: "get", want: 2},
			{key: "c", op: "clear"},
		}},
		{"namespaces are separate", []step{
			{key: "a", ns: w1, op: "update", arg: 1},
			{key: "a", ns: w2, op: "update", arg: 2},
			{key: "a", op: "get", want: nil},
			{key: "a", ns: w1, op: "get", want: 1},
			{key: "a", ns: w2, op: "get", want: 2},
			{key: "a", ns: VoidNamespace{}, op: "update", arg: 3},
			{key: "a", op: "get", want: 3},
			{key: "a", ns: w1, op: "clear"},
			{key: "a", ns: w1, op: "get", want: nil},
			{key: "a", ns: w2, op: "get", want: 2},
		}},
		{"merge is an error", []step{
			{key: "a", ns: w1, op: "update", arg: 1},
			{key: "a", op: "merge", arg: mergeArgs{w2, []any{w1}}, want: errWanted},
			{key: "a", ns: w1, op: "get", want: 1},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := fullBackend(t, nil)
			s, err := GetValueState(b, ValueDescriptor[int]{Name: "v"})
			if err != nil {
				t.Fatal(err)
			}
			runTranscript(t, b, s.(Namespaced), valueAdapter(s), tc.steps)
		})
	}
}

func TestListState(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"empty is nil", []step{{key: "a", op: "get", want: nil}}},
		{"add", []step{
			{key: "a", op: "add", arg: 1},
			{key: "a", op: "add", arg: 2},
			{key: "a", op: "get", want: []int{1, 2}},
			{key: "b", op: "get", want: nil},
		}},
		{"addAll", []step{
			{key: "a", op: "addAll", arg: []int{1, 2}},
			{key: "a", op: "addAll", arg: []int{}},
			{key: "a", op: "addAll", arg: []int{3}},
			{key: "a", op: "get", want: []int{1, 2, 3}},
			{key: "b", op: "addAll", arg: []int(nil)},
			{key: "b", op: "get", want: nil},
		}},
		{"update replaces", []step{
			{key: "a", op: "add", arg: 1},
			{key: "a", op: "update", arg: []int{7, 8}},
			{key: "a", op: "get", want: []int{7, 8}},
		}},
		{"update empty clears", []step{
			{key: "a", op: "add", arg: 1},
			{key: "a", op: "update", arg: []int{}},
			{key: "a", op: "get", want: nil},
			{key: "a", op: "add", arg: 2},
			{key: "a", op: "update", arg: []int(nil)},
			{key: "a", op: "get", want: nil},
		}},
		{"clear", []step{
			{key: "a", op: "add", arg: 1},
			{key: "a", op: "clear"},
			{key: "a", op: "get", want: nil},
		}},
		{"namespaces", []step{
			{key: "a", ns: w1, op: "add", arg: 1},
			{key: "a", ns: w2, op: "add", arg: 2},
			{key: "a", ns: w1, op: "get", want: []int{1}},
			{key: "a", ns: w2, op: "get", want: []int{2}},
			{key: "a", op: "get", want: nil},
		}},
		{"merge concatenates target then sources and clears sources", []step{
			{key: "a", ns: w1, op: "addAll", arg: []int{1, 2}},
			{key: "a", ns: w2, op: "add", arg: 3},
			{key: "a", ns: w3, op: "add", arg: 4},
			{key: "b", ns: w1, op: "add", arg: 99},
			{key: "a", op: "merge", arg: mergeArgs{w3, []any{w1, w2}}},
			{key: "a", ns: w3, op: "get", want: []int{4, 1, 2, 3}},
			{key: "a", ns: w1, op: "get", want: nil},
			{key: "a", ns: w2, op: "get", want: nil},
			{key: "b", ns: w1, op: "get", want: []int{99}},
		}},
		{"merge into empty target, target among sources, missing sources", []step{
			{key: "a", ns: w1, op: "add", arg: 1},
			{key: "a", ns: w2, op: "add", arg: 2},
			{key: "a", op: "merge", arg: mergeArgs{w3, []any{w1, w3, win{99, 100}, w2}}},
			{key: "a", ns: w3, op: "get", want: []int{1, 2}},
			{key: "a", op: "merge", arg: mergeArgs{w1, []any{win{5, 6}}}},
			{key: "a", ns: w1, op: "get", want: nil},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := fullBackend(t, nil)
			s, err := GetListState(b, ListDescriptor[int]{Name: "l"})
			if err != nil {
				t.Fatal(err)
			}
			runTranscript(t, b, s.(Namespaced), listAdapter(s), tc.steps)
		})
	}
}

func TestMapState(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"empty", []step{
			{key: "a", op: "get", arg: "x", want: nil},
			{key: "a", op: "contains", arg: "x", want: false},
			{key: "a", op: "len", want: 0},
			{key: "a", op: "empty", want: true},
			{key: "a", op: "entries", want: map[string]int{}},
			{key: "a", op: "remove", arg: "x"},
		}},
		{"put get remove", []step{
			{key: "a", op: "put", arg: kv{"x", 1}},
			{key: "a", op: "put", arg: kv{"y", 2}},
			{key: "a", op: "put", arg: kv{"x", 3}},
			{key: "a", op: "get", arg: "x", want: 3},
			{key: "a", op: "contains", arg: "y", want: true},
			{key: "a", op: "len", want: 2},
			{key: "a", op: "empty", want: false},
			{key: "a", op: "entries", want: map[string]int{"x": 3, "y": 2}},
			{key: "a", op: "first", want: 1},
			{key: "b", op: "len", want: 0},
			{key: "a", op: "remove", arg: "x"},
			{key: "a", op: "get", arg: "x", want: nil},
			{key: "a", op: "entries", want: map[string]int{"y": 2}},
		}},
		{"putAll and clear", []step{
			{key: "a", op: "putAll", arg: map[string]int{"x": 1, "y": 2}},
			{key: "a", op: "putAll", arg: map[string]int{"y": 5, "z": 6}},
			{key: "a", op: "entries", want: map[string]int{"x": 1, "y": 5, "z": 6}},
			{key: "a", op: "clear"},
			{key: "a", op: "len", want: 0},
		}},
		{"namespaces", []step{
			{key: "a", ns: w1, op: "put", arg: kv{"x", 1}},
			{key: "a", ns: w2, op: "put", arg: kv{"x", 2}},
			{key: "a", ns: w1, op: "get", arg: "x", want: 1},
			{key: "a", ns: w2, op: "get", arg: "x", want: 2},
			{key: "a", op: "len", want: 0},
		}},
		{"merge is an error", []step{
			{key: "a", ns: w1, op: "put", arg: kv{"x", 1}},
			{key: "a", op: "merge", arg: mergeArgs{w2, []any{w1}}, want: errWanted},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := fullBackend(t, nil)
			s, err := GetMapState(b, MapDescriptor[string, int]{Name: "m"})
			if err != nil {
				t.Fatal(err)
			}
			runTranscript(t, b, s.(Namespaced), mapAdapter(s), tc.steps)
		})
	}
}

func TestMapStateEmptyMapRemovesEntry(t *testing.T) {
	b := fullBackend(t, nil)
	s, _ := GetMapState(b, MapDescriptor[string, int]{Name: "m"})
	b.SetCurrentKey("a")
	_ = s.Put("x", 1)
	_ = s.Put("y", 2)
	_ = s.Remove("x")
	_ = s.Remove("y")
	if n := tableCount(t, s); n != 0 {
		t.Fatalf("entries after removing all map entries = %d, want 0", n)
	}
	var keys []any
	if err := b.ForEachKey("m", nil, func(k any) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("ForEachKey reported %v for an emptied map", keys)
	}
}

func TestReducingState(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"empty", []step{{key: "a", op: "get", want: nil}}},
		{"first add stores, later adds reduce", []step{
			{key: "a", op: "add", arg: 5},
			{key: "a", op: "get", want: 5},
			{key: "a", op: "add", arg: 3},
			{key: "a", op: "add", arg: 10},
			{key: "a", op: "get", want: 18},
			{key: "b", op: "get", want: nil},
		}},
		{"reduce error is returned and keeps the value", []step{
			{key: "a", op: "add", arg: 5},
			{key: "a", op: "add", arg: -1, want: errWanted},
			{key: "a", op: "get", want: 5},
		}},
		{"clear", []step{
			{key: "a", op: "add", arg: 5},
			{key: "a", op: "clear"},
			{key: "a", op: "get", want: nil},
			{key: "a", op: "add", arg: 2},
			{key: "a", op: "get", want: 2},
		}},
		{"merge reduces and clears sources", []step{
			{key: "a", ns: w1, op: "add", arg: 1},
			{key: "a", ns: w2, op: "add", arg: 2},
			{key: "a", ns: w3, op: "add", arg: 4},
			{key: "b", ns: w1, op: "add", arg: 100},
			{key: "a", op: "merge", arg: mergeArgs{w3, []any{w1, w2}}},
			{key: "a", ns: w3, op: "get", want: 7},
			{key: "a", ns: w1, op: "get", want: nil},
			{key: "a", ns: w2, op: "get", want: nil},
			{key: "b", ns: w1, op: "get", want: 100},
		}},
		{"merge into empty target", []step{
			{key: "a", ns: w1, op: "add", arg: 1},
			{key: "a", ns: w2, op: "add", arg: 2},
			{key: "a", op: "merge", arg: mergeArgs{w3, []any{w1, w2, w3}}},
			{key: "a", ns: w3, op: "get", want: 3},
		}},
		{"merge error", []step{
			{key: "a", ns: w1, op: "add", arg: 1},
			{key: "a", ns: w2, op: "add", arg: -1},
			{key: "a", op: "merge", arg: mergeArgs{w3, []any{w1, w2}}, want: errWanted},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := fullBackend(t, nil)
			s, err := GetReducingState(b, ReducingDescriptor[int]{Name: "r", Reduce: func(a, b int) (int, error) {
				if a < 0 || b < 0 {
					return 0, errors.New("negative")
				}
				return a + b, nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			runTranscript(t, b, s.(Namespaced), reducingAdapter(s), tc.steps)
		})
	}
}

func TestAggregatingState(t *testing.T) {
	cases := []struct {
		name        string
		steps       []step
		wantCreates int
	}{
		{"empty", []step{{key: "a", op: "get", want: nil}}, 0},
		{"accumulator created on first add", []step{
			{key: "a", op: "add", arg: 2},
			{key: "a", op: "add", arg: 4},
			{key: "a", op: "get", want: 3.0},
			{key: "b", op: "add", arg: 1},
			{key: "b", op: "get", want: 1.0},
		}, 2},
		{"clear", []step{
			{key: "a", op: "add", arg: 2},
			{key: "a", op: "clear"},
			{key: "a", op: "get", want: nil},
			{key: "a", op: "add", arg: 8},
			{key: "a", op: "get", want: 8.0},
		}, 2},
		{"merge merges accumulators", []step{
			{key: "a", ns: w1, op: "add", arg: 1},
			{key: "a", ns: w1, op: "add", arg: 2},
			{key: "a", ns: w2, op: "add", arg: 6},
			{key: "a", ns: w3, op: "add", arg: 7},
			{key: "a", op: "merge", arg: mergeArgs{w3, []any{w1, w2}}},
			{key: "a", ns: w3, op: "get", want: 4.0},
			{key: "a", ns: w1, op: "get", want: nil},
			{key: "a", ns: w2, op: "get", want: nil},
		}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := fullBackend(t, nil)
			creates := 0
			s, err := GetAggregatingState(b, AggregatingDescriptor[int, avgAcc, float64]{Name: "g", Aggregate: avg{&creates}})
			if err != nil {
				t.Fatal(err)
			}
			runTranscript(t, b, s.(Namespaced), aggregatingAdapter(s), tc.steps)
			if creates != tc.wantCreates {
				t.Fatalf("CreateAccumulator called %d times, want %d", creates, tc.wantCreates)
			}
		})
	}
}

func TestListGetReturnsCopyAndUpdateCopiesInput(t *testing.T) {
	b := fullBackend(t, nil)
	s, _ := GetListState(b, ListDescriptor[int]{Name: "l"})
	b.SetCurrentKey("a")
	in := []int{1, 2, 3}
	_ = s.Update(in[:2])
	in[0] = 100
	_ = s.Add(4) // must not write into in[2]
	got, _ := s.Get()
	got[1] = 200
	again, _ := s.Get()
	if !slices.Equal(again, []int{1, 2, 4}) || in[2] != 3 {
		t.Fatalf("state = %v, caller slice = %v: state must not alias caller slices", again, in)
	}
}

func TestValuesStoredAsGiven(t *testing.T) {
	type big struct{ n int }
	b := fullBackend(t, nil)
	s, _ := GetValueState(b, ValueDescriptor[*big]{Name: "p"})
	b.SetCurrentKey("a")
	p := &big{1}
	_ = s.Update(p)
	got, ok, err := s.Value()
	if err != nil || !ok || got != p {
		t.Fatalf("Value() = %p, %v, %v; want the stored pointer %p", got, ok, err, p)
	}
}

func TestRegistration(t *testing.T) {
	b := fullBackend(t, nil)
	v1, err := GetValueState(b, ValueDescriptor[int]{Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := GetValueState(b, ValueDescriptor[int]{Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if v1 != v2 {
		t.Fatal("the same name and type must return the same state instance")
	}
	ttl := &TTLConfig{TTL: 1000}
	cases := []struct {
		name    string
		get     func() error
		wantErr []string
	}{
		{"other kind", func() error { _, err := GetListState(b, ListDescriptor[int]{Name: "s"}); return err },
			[]string{`"s"`, "ValueState[int]", "ListState[int]"}},
		{"other type", func() error { _, err := GetValueState(b, ValueDescriptor[string]{Name: "s"}); return err },
			[]string{"ValueState[int]", "ValueState[string]"}},
		{"other map types", func() error {
			_, err := GetMapState(b, MapDescriptor[string, int]{Name: "s"})
			return err
		}, []string{"ValueState[int]", "MapState[string, int]"}},
		{"other TTL", func() error { _, err := GetValueState(b, ValueDescriptor[int]{Name: "s", TTL: ttl}); return err },
			[]string{`"s"`, "TTL"}},
		{"empty name", func() error { _, err := GetValueState(b, ValueDescriptor[int]{}); return err },
			[]string{"empty name"}},
		{"nil reduce", func() error { _, err := GetReducingState(b, ReducingDescriptor[int]{Name: "r"}); return err },
			[]string{"Reduce"}},
		{"nil aggregate", func() error {
			_, err := GetAggregatingState(b, AggregatingDescriptor[int, int, int]{Name: "g"})
			return err
		}, []string{"Aggregate"}},
		{"unknown backend", func() error {
			_, err := GetValueState(otherBackend{}, ValueDescriptor[int]{Name: "x"})
			return err
		}, []string{"state.otherBackend", "not supported"}},
		{"nil backend", func() error { _, err := GetValueState(nil, ValueDescriptor[int]{Name: "x"}); return err },
			[]string{"nil"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.get()
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) || !strings.HasPrefix(err.Error(), "state: ") {
					t.Fatalf("error %q should start with \"state: \" and mention %q", err, w)
				}
			}
		})
	}
	// A TTL of zero is no TTL, so it matches the registration without one.
	if _, err := GetValueState(b, ValueDescriptor[int]{Name: "s", TTL: &TTLConfig{}}); err != nil {
		t.Fatalf("zero TTL should equal no TTL: %v", err)
	}
}

type otherBackend struct{}

func (otherBackend) SetCurrentKey(any)             {}
func (otherBackend) CurrentKey() any               { return nil }
func (otherBackend) CurrentKeyGroup() int          { return -1 }
func (otherBackend) KeyGroupRange() keygroup.Range { return keygroup.Range{} }
func (otherBackend) MaxParallelism() int           { return 1 }

func TestKeyGroupPlacement(t *testing.T) {
	const maxPar = 128
	cases := []struct {
		name string
		r    keygroup.Range
	}{
		{"all", keygroup.Range{Start: 0, End: 127}},
		{"subtask 1 of 4", keygroup.RangeFor(maxPar, 4, 1)},
		{"last subtask of 3", keygroup.RangeFor(maxPar, 3, 2)},
		{"single key group", keygroup.Range{Start: 77, End: 77}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, maxPar, tc.r, nil)
			s, _ := GetValueState(b, ValueDescriptor[int]{Name: "v"})
			keys := keysIn(40, maxPar, tc.r.Contains)
			for i, k := range keys {
				b.SetCurrentKey(k)
				if got, want := b.CurrentKeyGroup(), keygroup.Of(k, maxPar); got != want {
					t.Fatalf("CurrentKeyGroup for %q = %d, want %d", k, got, want)
				}
				if b.CurrentKey() != k {
					t.Fatalf("CurrentKey = %v, want %q", b.CurrentKey(), k)
				}
				_ = s.Update(i)
			}
			placed := stored(s.(*valueState[int]).t, tc.r.Start, VoidNamespace{})
			n := 0
			for kg, ks := range placed {
				for _, k := range ks {
					n++
					if want := keygroup.Of(k, maxPar); kg != want {
						t.Fatalf("key %v stored in key group %d, want %d", k, kg, want)
					}
				}
			}
			if n != len(keys) {
				t.Fatalf("stored %d keys, want %d", n, len(keys))
			}
			// ForEachKey walks key groups in order and sets each key.
			last := -1
			var seen []string
			err := b.ForEachKey("v", nil, func(k any) error {
				if b.CurrentKey() != k || b.CurrentKeyGroup() < last {
					t.Fatalf("ForEachKey: current key %v group %d, last group %d", b.CurrentKey(), b.CurrentKeyGroup(), last)
				}
				last = b.CurrentKeyGroup()
				v, ok, err := s.Value()
				if !ok || err != nil || keys[v] != k {
					t.Fatalf("ForEachKey: Value for %v = %d, %v, %v", k, v, ok, err)
				}
				seen = append(seen, k.(string))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(seen)
			want := slices.Clone(keys)
			slices.Sort(want)
			if !slices.Equal(seen, want) {
				t.Fatalf("ForEachKey visited %v, want %v", seen, want)
			}
		})
	}
}

func TestSetCurrentKeyOutsideRangePanics(t *testing.T) {
	const maxPar = 128
	r := keygroup.RangeFor(maxPar, 4, 2)
	b := newBackend(t, maxPar, r, nil)
	outside := keysIn(1, maxPar, func(kg int) bool { return !r.Contains(kg) })[0]
	inside := keysIn(1, maxPar, r.Contains)[0]
	b.SetCurrentKey(inside)
	msg := func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		b.SetCurrentKey(outside)
		return ""
	}()
	kg := keygroup.Of(outside, maxPar)
	for _, want := range []string{"state: ", outside, "key group", "partitioning bug", "[64, 95]"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("panic message %q does not mention %q (key group %d)", msg, want, kg)
		}
	}
	if b.CurrentKey() != inside {
		t.Fatalf("a rejected key must not become current; current = %v", b.CurrentKey())
	}
	nilMsg := func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		b.SetCurrentKey(nil)
		return ""
	}()
	if !strings.Contains(nilMsg, "nil") {
		t.Fatalf("SetCurrentKey(nil) panic = %q", nilMsg)
	}
}

func TestNewHeapBackendRejectsBadOptions(t *testing.T) {
	cases := []HeapOptions{
		{MaxParallelism: 0, KeyGroups: keygroup.Range{}},
		{MaxParallelism: 1 << 16, KeyGroups: keygroup.Range{}},
		{MaxParallelism: 128, KeyGroups: keygroup.Range{Start: 10, End: 5}},
		{MaxParallelism: 128, KeyGroups: keygroup.Range{Start: 0, End: 128}},
		{MaxParallelism: 128, KeyGroups: keygroup.Range{Start: -1, End: 3}},
	}
	for _, opts := range cases {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "state: HeapOptions") {
					t.Fatalf("NewHeapBackend(%+v) panic = %q, want a HeapOptions message", opts, msg)
				}
			}()
			NewHeapBackend(opts)
		}()
	}
}

func TestNoCurrentKeyAndClose(t *testing.T) {
	b := NewHeapBackend(HeapOptions{MaxParallelism: 16, KeyGroups: keygroup.Range{Start: 0, End: 15}})
	v, _ := GetValueState(b, ValueDescriptor[int]{Name: "v"})
	l, _ := GetListState(b, ListDescriptor[int]{Name: "l"})
	if b.CurrentKeyGroup() != -1 || b.CurrentKey() != nil {
		t.Fatalf("before SetCurrentKey: key %v group %d", b.CurrentKey(), b.CurrentKeyGroup())
	}
	if _, _, err := v.Value(); err == nil || !strings.Contains(err.Error(), "without a current key") {
		t.Fatalf("Value without key: %v", err)
	}
	if err := l.Add(1); err == nil {
		t.Fatal("Add without key must fail")
	}
	l.Clear() // nothing to clear; must not panic
	b.SetCurrentKey(3)
	_ = v.Update(1)
	b.Close()
	if _, _, err := v.Value(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Value after Close: %v", err)
	}
	if _, err := GetValueState(b, ValueDescriptor[int]{Name: "v"}); err == nil {
		t.Fatal("GetValueState after Close must fail")
	}
	if err := b.ForEachKey("v", nil, func(any) error { return nil }); err == nil {
		t.Fatal("ForEachKey after Close must fail")
	}
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "closed") {
			t.Fatalf("SetCurrentKey after Close panic = %q", msg)
		}
	}()
	b.SetCurrentKey(3)
}

func TestForEachKey(t *testing.T) {
	b := fullBackend(t, nil)
	s, _ := GetListState(b, ListDescriptor[int]{Name: "l"})
	for i, k := range []string{"a", "b", "c", "d"} {
		b.SetCurrentKey(k)
		_ = s.Add(i)
		if i%2 == 0 {
			s.(Namespaced).SetNamespace(w1)
			_ = s.Add(i)
			s.(Namespaced).SetNamespace(nil)
		}
	}
	b.SetCurrentKey("z")
	collect := func(ns any, fn func(k any) error) []string {
		var got []string
		err := b.ForEachKey("l", ns, func(k any) error {
			got = append(got, k.(string))
			return fn(k)
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	if got := collect(w1, func(any) error { return nil }); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("keys in w1 = %v", got)
	}
	// fn may modify the state it walks.
	if got := collect(nil, func(any) error { s.Clear(); return nil }); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("keys in void namespace = %v", got)
	}
	if got := collect(nil, func(any) error { return nil }); len(got) != 0 {
		t.Fatalf("after clearing, keys = %v", got)
	}
	if b.CurrentKey() != "z" {
		t.Fatalf("ForEachKey must restore the current key, got %v", b.CurrentKey())
	}
	boom := errors.New("boom")
	calls := 0
	err := b.ForEachKey("l", w1, func(any) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("ForEachKey error = %v after %d calls, want boom after 1", err, calls)
	}
	if err := b.ForEachKey("nope", nil, func(any) error { return nil }); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown state: %v", err)
	}
}

func TestIntegerAndCustomKeys(t *testing.T) {
	b := fullBackend(t, nil)
	s, _ := GetValueState(b, ValueDescriptor[int]{Name: "v"})
	keys := []any{1, int64(1), "1", struct{ A, B int }{1, 2}}
	for i, k := range keys {
		b.SetCurrentKey(k)
		_ = s.Update(i)
	}
	for i, k := range keys {
		b.SetCurrentKey(k)
		if v, ok, _ := s.Value(); !ok || v != i {
			t.Fatalf("key %#v: got %d, %v; keys of different types must not collide", k, v, ok)
		}
	}
}

func TestSetCurrentKeyRejectsUncomparableKeys(t *testing.T) {
	b := fullBackend(t, nil)
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "[]uint8 is not comparable") {
			t.Fatalf("panic = %q", msg)
		}
	}()
	b.SetCurrentKey([]byte("k"))
}
