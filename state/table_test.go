package state

import (
	"maps"
	"math/rand/v2"
	"testing"
)

// checkTable verifies the table's invariants: every slot is indexed at its
// position, counts agree, and nonEmpty marks exactly the non-empty groups.
func checkTable[E any](t *testing.T, tb *table[E]) {
	t.Helper()
	n := 0
	for g := range tb.groups {
		grp := &tb.groups[g]
		if len(grp.index) != len(grp.slots) {
			t.Fatalf("group %d: %d indexed, %d slots", g, len(grp.index), len(grp.slots))
		}
		for i, sl := range grp.slots {
			if grp.index[sl.k] != i {
				t.Fatalf("group %d: slot %d indexed at %d", g, i, grp.index[sl.k])
			}
		}
		if bit := tb.nonEmpty[g>>6]&(1<<uint(g&63)) != 0; bit != (len(grp.slots) > 0) {
			t.Fatalf("group %d: nonEmpty bit %v with %d slots", g, bit, len(grp.slots))
		}
		n += len(grp.slots)
	}
	if n != tb.count {
		t.Fatalf("count %d, slots %d", tb.count, n)
	}
}

func TestTableMatchesModel(t *testing.T) {
	for _, groups := range []int{1, 3, 64, 130} {
		rng := rand.New(rand.NewPCG(uint64(groups), 7))
		cow := new(cowClock)
		tb := newTable[int](groups, cow, false)
		type mk struct {
			g int
			k int
		}
		model := map[mk]int{}
		// Frozen views taken along the way must keep the model of their
		// time, whatever the table does afterwards.
		type view struct {
			slots [][]slot[int]
			model map[mk]int
		}
		var views []view
		checkViews := func(op int) {
			for vi, v := range views {
				got := map[mk]int{}
				for g, slots := range v.slots {
					for _, sl := range slots {
						got[mk{g, sl.k.key.(int)}] = sl.e
					}
				}
				if !maps.Equal(got, v.model) {
					t.Fatalf("groups %d op %d: frozen view %d changed: %d entries, want %d", groups, op, vi, len(got), len(v.model))
				}
			}
		}
		purgeOdd := func(g, i int, _ int64) bool {
			tb.own(g)
			tb.removeAt(g, i)
			return true
		}
		for i := range 20000 {
			g, k := rng.IntN(groups), rng.IntN(200)
			ek := entryKey{key: k, ns: VoidNamespace{}}
			switch r := rng.IntN(10); {
			case r < 4:
				tb.put(g, ek, i)
				model[mk{g, k}] = i
			case r < 7:
				tb.remove(g, ek)
				delete(model, mk{g, k})
			case r < 9:
				p := tb.get(g, ek)
				want, ok := model[mk{g, k}]
				if (p != nil) != ok || (ok && *p != want) {
					t.Fatalf("groups %d op %d: get(%d,%d) = %v, want %d %v", groups, i, g, k, p, want, ok)
				}
				if p != nil && rng.IntN(2) == 0 {
					p, _ = tb.getOwned(g, ek)
					*p = i // writes through the (possibly cached) pointer
					model[mk{g, k}] = i
				}
			case r == 9 && rng.IntN(8) == 0:
				// Snapshot, or release the oldest view.
				if len(views) > 0 && rng.IntN(2) == 0 {
					checkViews(i)
					views = views[1:]
					cow.live.Add(-1)
					break
				}
				views = append(views, view{slots: tb.frozen(), model: maps.Clone(model)})
				cow.version++
				cow.live.Add(1)
			default:
				// Sweep removes entries holding an odd value.
				tb.sweep(1+rng.IntN(10), 0, func(e *int, _ int64) bool { return *e%2 == 1 }, purgeOdd)
				for key, v := range model {
					if v%2 == 1 && tb.get(key.g, entryKey{key: key.k, ns: VoidNamespace{}}) == nil {
						delete(model, key)
					}
				}
			}
			if len(model) != tb.count {
				t.Fatalf("groups %d op %d: count %d, model %d", groups, i, tb.count, len(model))
			}
		}
		checkTable(t, tb)
		checkViews(-1)
		// A full sweep reaches every entry exactly once per round.
		visited := map[int]int{}
		tb.sweep(tb.count, 0, func(e *int, _ int64) bool { visited[*e]++; return false }, purgeOdd)
		if len(visited) != tb.count {
			t.Fatalf("groups %d: a sweep of count entries visited %d of %d", groups, len(visited), tb.count)
		}
	}
}

func TestTableShrinksAfterBurst(t *testing.T) {
	tb := newTable[int](2, nil, false)
	for i := range 1000 {
		tb.put(1, entryKey{key: i, ns: VoidNamespace{}}, i)
	}
	for i := range 990 {
		tb.remove(1, entryKey{key: i, ns: VoidNamespace{}})
	}
	checkTable(t, tb)
	if c := cap(tb.groups[1].slots); c > 64 {
		t.Fatalf("capacity after shrinking to 10 entries = %d", c)
	}
	for i := 990; i < 1000; i++ {
		if p := tb.get(1, entryKey{key: i, ns: VoidNamespace{}}); p == nil || *p != i {
			t.Fatalf("entry %d lost when shrinking", i)
		}
	}
	if tb.nextNonEmpty(0) != 1 || tb.nextNonEmpty(2) != 1 {
		t.Fatalf("nextNonEmpty = %d, %d", tb.nextNonEmpty(0), tb.nextNonEmpty(2))
	}
}
