package state

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOperatorListStates(t *testing.T) {
	cases := []struct {
		name     string
		get      func(s *OperatorStore, name string) (ListState[int], error)
		wantMode OperatorStateMode
	}{
		{"split", func(s *OperatorStore, name string) (ListState[int], error) { return GetOperatorListState[int](s, name) }, SplitDistribute},
		{"union", func(s *OperatorStore, name string) (ListState[int], error) { return GetUnionListState[int](s, name) }, UnionDistribute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewOperatorStore()
			l, err := tc.get(s, "offsets")
			if err != nil {
				t.Fatal(err)
			}
			check := func(want []int) {
				t.Helper()
				got, err := l.Get()
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("Get = %#v, %v; want %#v", got, err, want)
				}
			}
			check(nil)
			_ = l.Add(1)
			_ = l.AddAll([]int{2, 3})
			check([]int{1, 2, 3})
			got, _ := l.Get()
			got[0] = 100 // a copy
			check([]int{1, 2, 3})
			in := []int{7, 8}
			_ = l.Update(in)
			in[0] = 0
			check([]int{7, 8})
			_ = l.Update(nil)
			check(nil)
			_ = l.Add(4)
			l.Clear()
			check(nil)
			again, _ := tc.get(s, "offsets")
			_ = again.Add(9)
			check([]int{9})
			if m, ok := s.Mode("offsets"); !ok || m != tc.wantMode {
				t.Fatalf("Mode = %v, %v; want %v", m, ok, tc.wantMode)
			}
		})
	}
}

func TestBroadcastState(t *testing.T) {
	s := NewOperatorStore()
	d := MapDescriptor[string, int]{Name: "rules"}
	m, err := GetBroadcastState(s, d)
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Put("a", 1)
	_ = m.PutAll(map[string]int{"b": 2, "c": 3})
	_ = m.Remove("c")
	if v, ok, _ := m.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	if ok, _ := m.Contains("c"); ok {
		t.Fatal("c was removed")
	}
	got := map[string]int{}
	_ = m.Range(func(k string, v int) bool { got[k] = v; return true })
	if n, _ := m.Len(); n != 2 || !reflect.DeepEqual(got, map[string]int{"a": 1, "b": 2}) {
		t.Fatalf("Len %d, entries %v", n, got)
	}
	m2, _ := GetBroadcastState(s, d)
	m2.Clear()
	if empty, _ := m.IsEmpty(); !empty {
		t.Fatal("the same name must return the same broadcast state")
	}
	if mode, _ := s.Mode("rules"); mode != BroadcastDistribute {
		t.Fatalf("Mode = %v", mode)
	}
}

func TestOperatorStoreErrors(t *testing.T) {
	s := NewOperatorStore()
	if _, err := GetOperatorListState[int](s, "list"); err != nil {
		t.Fatal(err)
	}
	if _, err := GetBroadcastState(s, MapDescriptor[string, int]{Name: "bc"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		get  func() error
		want []string
	}{
		{"split then union", func() error { _, err := GetUnionListState[int](s, "list"); return err },
			[]string{`"list"`, "split ListState[int]", "union ListState[int]"}},
		{"other element type", func() error { _, err := GetOperatorListState[string](s, "list"); return err },
			[]string{"ListState[int]", "ListState[string]"}},
		{"list name as broadcast", func() error {
			_, err := GetBroadcastState(s, MapDescriptor[string, int]{Name: "list"})
			return err
		}, []string{"split ListState[int]", "broadcast MapState[string, int]"}},
		{"broadcast name as list", func() error { _, err := GetUnionListState[int](s, "bc"); return err },
			[]string{"broadcast MapState[string, int]"}},
		{"empty name", func() error { _, err := GetOperatorListState[int](s, ""); return err }, []string{"empty name"}},
		{"broadcast TTL", func() error {
			_, err := GetBroadcastState(s, MapDescriptor[string, int]{Name: "t", TTL: &TTLConfig{TTL: time.Second}})
			return err
		}, []string{"TTL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.get()
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.HasPrefix(err.Error(), "state: ") || !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q should mention %q", err, w)
				}
			}
		})
	}
	if got := s.StateNames(); !slices.Equal(got, []string{"bc", "list"}) {
		t.Fatalf("StateNames = %v", got)
	}
	if _, ok := s.Mode("t"); ok {
		t.Fatal("a rejected state must not be registered")
	}
}
