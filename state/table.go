package state

import "math/bits"

// entryKey addresses one entry of a keyed state inside a key group: the key
// and the namespace. Both are interface values so that one table type serves
// every key and namespace type without boxing on lookup (the backend holds the
// current key already boxed).
type entryKey struct {
	key any
	ns  any
}

type slot[E any] struct {
	k entryKey
	e E
}

// group is one key group's entries. Entries live densely in slots and the
// index maps an entry key to its position. The dense layout lets incremental
// TTL cleanup resume where it stopped (a Go map cannot resume an iteration)
// and keeps a key group's entries contiguous for snapshots; removal swaps the
// last slot into the hole, so it stays O(1).
type group[E any] struct {
	index map[entryKey]int
	slots []slot[E]
}

// table is one keyed state's storage: one group per key group of the
// backend's range, addressed by key group minus the range start.
type table[E any] struct {
	groups []group[E]
	// nonEmpty has a bit set for each group holding at least one entry, so
	// the cleanup cursor skips empty key groups 64 at a time.
	nonEmpty []uint64
	count    int
	// gen changes whenever an entry is inserted or removed; a caller that
	// holds a pointer into slots across a call into user code re-fetches it
	// when gen moved.
	gen uint64
	// The incremental cleanup cursor: group and slot position.
	curG, curPos int
	// A one-entry lookup cache: a record usually reads and then writes the
	// same entry, and comparing one key is much cheaper than hashing two
	// interfaces for a map probe. Valid while hitGen == gen.
	hitKey entryKey
	hitG   int
	hitIdx int
	hitGen uint64
}

func newTable[E any](groups int) *table[E] {
	return &table[E]{
		groups:   make([]group[E], groups),
		nonEmpty: make([]uint64, (groups+63)/64),
		hitGen:   ^uint64(0), // no cached entry
	}
}

// get returns a pointer to the entry, valid until the next insert or remove
// in the table, or nil.
func (t *table[E]) get(g int, k entryKey) *E {
	grp := &t.groups[g]
	if t.hitGen == t.gen && t.hitG == g && t.hitKey == k {
		return &grp.slots[t.hitIdx].e
	}
	if i, ok := grp.index[k]; ok {
		t.hitKey, t.hitG, t.hitIdx, t.hitGen = k, g, i, t.gen
		return &grp.slots[i].e
	}
	return nil
}

// insert adds an entry that get reported absent.
func (t *table[E]) insert(g int, k entryKey, e E) {
	grp := &t.groups[g]
	if grp.index == nil {
		grp.index = make(map[entryKey]int)
	}
	grp.index[k] = len(grp.slots)
	grp.slots = append(grp.slots, slot[E]{k: k, e: e})
	if len(grp.slots) == 1 {
		t.nonEmpty[g>>6] |= 1 << uint(g&63)
	}
	t.count++
	t.gen++
	t.hitKey, t.hitG, t.hitIdx, t.hitGen = k, g, len(grp.slots)-1, t.gen
}

// put inserts or replaces an entry.
func (t *table[E]) put(g int, k entryKey, e E) {
	if p := t.get(g, k); p != nil {
		*p = e
		return
	}
	t.insert(g, k, e)
}

// remove deletes the entry if present and returns what it held.
func (t *table[E]) remove(g int, k entryKey) (E, bool) {
	grp := &t.groups[g]
	i, ok := grp.index[k]
	if !ok {
		var zero E
		return zero, false
	}
	e := grp.slots[i].e
	t.removeAt(g, i)
	return e, true
}

// removeAt deletes the entry at slot i of group g by moving the last slot
// into its place.
func (t *table[E]) removeAt(g, i int) {
	grp := &t.groups[g]
	last := len(grp.slots) - 1
	delete(grp.index, grp.slots[i].k)
	if i != last {
		grp.slots[i] = grp.slots[last]
		grp.index[grp.slots[i].k] = i
	}
	var zero slot[E]
	grp.slots[last] = zero // let the GC reclaim key and value
	grp.slots = grp.slots[:last]
	switch {
	case last == 0:
		t.nonEmpty[g>>6] &^= 1 << uint(g&63)
		if cap(grp.slots) > 64 {
			grp.slots = nil
			grp.index = nil // a Go map never shrinks; drop it with the slots
		}
	case cap(grp.slots) > 64 && last < cap(grp.slots)/4:
		// Release the memory of a key group that shrank after a burst.
		grp.slots = append([]slot[E](nil), grp.slots...)
	}
	t.count--
	t.gen++
}

// nextNonEmpty returns the first non-empty group at or after from, wrapping
// around, or -1 when the table is empty.
func (t *table[E]) nextNonEmpty(from int) int {
	n := len(t.groups)
	if t.count == 0 || n == 0 {
		return -1
	}
	if from >= n {
		from = 0
	}
	w := from >> 6
	word := t.nonEmpty[w] &^ (1<<uint(from&63) - 1)
	for range len(t.nonEmpty) + 1 {
		if word != 0 {
			return w<<6 + bits.TrailingZeros64(word)
		}
		w++
		if w == len(t.nonEmpty) {
			w = 0
		}
		word = t.nonEmpty[w]
	}
	return -1
}

// sweep examines up to n entries from the cleanup cursor, round-robin over
// the key groups, calling purge on each; purge drops the expired parts of an
// entry and reports whether nothing is left, in which case the entry is
// removed. Each entry is examined at most once per sweep.
func (t *table[E]) sweep(n int, now int64, purge func(e *E, now int64) (empty bool)) {
	n = min(n, t.count)
	for n > 0 {
		g := t.curG
		if g >= len(t.groups) || t.curPos >= len(t.groups[g].slots) {
			g = t.nextNonEmpty(g + 1)
			if g < 0 {
				return
			}
			t.curG, t.curPos = g, 0
		}
		if purge(&t.groups[g].slots[t.curPos].e, now) {
			// The last slot moved into this position; examine it next.
			t.removeAt(g, t.curPos)
		} else {
			t.curPos++
		}
		n--
	}
}
