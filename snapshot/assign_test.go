package snapshot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/keygroup"
)

// oldState builds an operator snapshotted at parallelism p with 128 key
// groups: every subtask holds keyed state and three list states.
func oldState(p int) *OperatorState {
	o := &OperatorState{UID: "op", Name: "Op", Parallelism: p, MaxParallelism: 128}
	for i := range p {
		r := keygroup.RangeFor(128, p, i)
		offs := make([]int64, r.Len()+1)
		for k := range offs {
			offs[k] = int64(k * 10)
		}
		o.Subtasks = append(o.Subtasks, SubtaskState{
			Index: i,
			Keyed: &KeyedHandle{File: fmt.Sprintf("f%d", i), KeyGroups: r, Offsets: offs},
			Lists: []ListState{
				{Name: "split", Mode: Split, Elements: [][]byte{[]byte(fmt.Sprintf("s%d-a", i)), []byte(fmt.Sprintf("s%d-b", i))}},
				{Name: "union", Mode: Union, Elements: [][]byte{[]byte(fmt.Sprintf("u%d", i))}},
				{Name: "bcast", Mode: Broadcast, Elements: [][]byte{[]byte("b")}},
			},
		})
	}
	return o
}

func list(a Assignment, name string) []string {
	for _, l := range a.Lists {
		if l.Name == name {
			var out []string
			for _, e := range l.Elements {
				out = append(out, string(e))
			}
			return out
		}
	}
	return nil
}

func TestAssignRedistributes(t *testing.T) {
	for _, tc := range []struct{ from, to int }{{1, 1}, {1, 3}, {4, 2}, {2, 4}, {3, 7}, {7, 1}} {
		t.Run(fmt.Sprintf("%d->%d", tc.from, tc.to), func(t *testing.T) {
			o := oldState(tc.from)
			var splits, unions []string
			covered := make([]int, 128)
			for i := range tc.to {
				a, err := o.Assign(tc.to, 128, i)
				if err != nil {
					t.Fatal(err)
				}
				if a.KeyGroups != keygroup.RangeFor(128, tc.to, i) {
					t.Fatalf("subtask %d range %v", i, a.KeyGroups)
				}
				for _, h := range a.Keyed {
					for kg := max(h.KeyGroups.Start, a.KeyGroups.Start); kg <= min(h.KeyGroups.End, a.KeyGroups.End); kg++ {
						covered[kg]++
					}
				}
				splits = append(splits, list(a, "split")...)
				if got := list(a, "union"); len(got) != tc.from {
					t.Fatalf("subtask %d union state %v, want every old subtask's element", i, got)
				}
				unions = append(unions, list(a, "union")...)
				if got := list(a, "bcast"); !slices.Equal(got, []string{"b"}) {
					t.Fatalf("subtask %d broadcast state %v", i, got)
				}
			}
			for kg, n := range covered {
				if n != 1 {
					t.Fatalf("key group %d restored by %d subtasks, want exactly 1", kg, n)
				}
			}
			if len(splits) != 2*tc.from {
				t.Fatalf("split state elements %v: want each of the %d exactly once", splits, 2*tc.from)
			}
			seen := map[string]bool{}
			for _, s := range splits {
				if seen[s] {
					t.Fatalf("split element %s assigned twice", s)
				}
				seen[s] = true
			}
			if len(unions) != tc.from*tc.to {
				t.Fatalf("%d union elements in all, want %d", len(unions), tc.from*tc.to)
			}
		})
	}
}

func TestAssignRejectsChangedMaxParallelism(t *testing.T) {
	_, err := oldState(2).Assign(2, 256, 0)
	if err == nil || !strings.Contains(err.Error(), "pipeline.max-parallelism") {
		t.Fatalf("err = %v, want advice on max parallelism", err)
	}
}

func TestAssignRejectsCorruptHandles(t *testing.T) {
	o := oldState(1)
	o.Subtasks[0].Keyed.Offsets = o.Subtasks[0].Keyed.Offsets[:3]
	if _, err := o.Assign(1, 128, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if _, err := oldState(1).Assign(2, 128, 2); err == nil {
		t.Fatal("subtask 2 of 2 accepted")
	}
}

func FuzzDecoder(f *testing.F) {
	var e Encoder
	e.Uvarint(7)
	e.Varint(-3)
	e.String("key")
	e.Bytes([]byte{1, 2})
	f.Add(e.Data())
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		for d.Len() > 0 && d.Err() == nil {
			_ = d.Uvarint()
			_ = d.Varint()
			_ = d.Bytes()
		}
		if d.Err() != nil && !errors.Is(d.Err(), ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", d.Err())
		}
	})
}

func TestEncoderRoundTrip(t *testing.T) {
	var e Encoder
	e.Uvarint(1 << 40)
	e.Varint(-12345)
	e.String("héllo")
	e.Bytes(nil)
	e.Raw([]byte{9})
	d := NewDecoder(e.Data())
	if d.Uvarint() != 1<<40 || d.Varint() != -12345 || d.String() != "héllo" || len(d.Bytes()) != 0 || d.Len() != 1 || d.Err() != nil {
		t.Fatalf("round trip failed: %v", d.Err())
	}
	if d := NewDecoder([]byte{5, 'a'}); d.Bytes() != nil || !errors.Is(d.Err(), ErrCorrupt) {
		t.Fatalf("a length beyond the end was accepted: %v", d.Err())
	}
}
