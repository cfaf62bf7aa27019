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
//
// A snapshot references slots as they were (see cow.go): every write goes
// through own, which copies slots first when they may be shared. The index
// belongs to the subtask alone and is never copied.
type group[E any] struct {
	index map[entryKey]int
	slots []slot[E]
	// ver is the cowClock version at which slots was last made private.
	ver uint64
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
	cow *cowClock
	// deep marks entries that reference storage changed in place; their
	// sharing with a snapshot is tracked per entry: shared[g] has bit i set
	// while groups[g].slots[i].e still shares such storage with a snapshot.
	deep   bool
	shared [][]uint64
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

func newTable[E any](groups int, cow *cowClock, deep bool) *table[E] {
	if cow == nil {
		cow = new(cowClock)
	}
	t := &table[E]{
		groups:   make([]group[E], groups),
		nonEmpty: make([]uint64, (groups+63)/64),
		cow:      cow,
		deep:     deep,
		hitGen:   ^uint64(0), // no cached entry
	}
	if deep {
		t.shared = make([][]uint64, groups)
	}
	return t
}

// lookup returns the position of k in group g, or -1.
func (t *table[E]) lookup(g int, k entryKey) int {
	if t.hitGen == t.gen && t.hitG == g && t.hitKey == k {
		return t.hitIdx
	}
	if i, ok := t.groups[g].index[k]; ok {
		t.hitKey, t.hitG, t.hitIdx, t.hitGen = k, g, i, t.gen
		return i
	}
	return -1
}

// get returns a pointer to the entry for reading only, valid until the
// next insert or remove in the table, or nil. Writing through it would write
// into a snapshot: use getOwned.
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

// own makes group g's slots private to the subtask and returns the group.
func (t *table[E]) own(g int) *group[E] {
	grp := &t.groups[g]
	if grp.ver != t.cow.version {
		t.privatize(g)
	}
	return grp
}

func (t *table[E]) privatize(g int) {
	grp := &t.groups[g]
	grp.ver = t.cow.version
	if !t.cow.sharing() {
		if t.deep {
			clear(t.shared[g])
		}
		return
	}
	if len(grp.slots) == 0 {
		// Appending to an empty array writes nothing a snapshot reads.
		return
	}
	n := len(grp.slots)
	s := make([]slot[E], n, n+n/4+1)
	copy(s, grp.slots)
	grp.slots = s
	if t.deep {
		words := (n + 63) / 64
		sh := t.shared[g]
		if cap(sh) < words {
			sh = make([]uint64, words, words+words/4+1)
		}
		sh = sh[:words]
		for w := range sh {
			sh[w] = ^uint64(0)
		}
		if r := n & 63; r != 0 {
			sh[words-1] = 1<<uint(r) - 1
		}
		t.shared[g] = sh
	}
}

// getOwned returns a pointer to the entry that may be written (the slot is
// private) and its position, or nil and -1. For deep tables, storage the
// entry references may still be shared: see sharedAt. It is on the
// per-record path: one call, with the copy out of line.
func (t *table[E]) getOwned(g int, k entryKey) (*E, int) {
	grp := &t.groups[g]
	if grp.ver != t.cow.version {
		t.privatize(g)
	}
	if t.hitGen == t.gen && t.hitG == g && t.hitKey == k {
		return &grp.slots[t.hitIdx].e, t.hitIdx
	}
	if i, ok := grp.index[k]; ok {
		t.hitKey, t.hitG, t.hitIdx, t.hitGen = k, g, i, t.gen
		return &grp.slots[i].e, i
	}
	return nil, -1
}

// sharedAt reports whether the entry at position i of group g references
// storage a snapshot still reads; the caller gives the entry its own copy
// before changing that storage in place, then calls privateAt.
func (t *table[E]) sharedAt(g, i int) bool {
	if !t.deep {
		return false
	}
	sh := t.shared[g]
	return i>>6 < len(sh) && sh[i>>6]&(1<<uint(i&63)) != 0 && t.cow.sharing()
}

// privateAt records that the entry at position i of group g has its own
// storage.
func (t *table[E]) privateAt(g, i int) {
	if !t.deep {
		return
	}
	if sh := t.shared[g]; i>>6 < len(sh) {
		sh[i>>6] &^= 1 << uint(i&63)
	}
}

// insert adds an entry that lookup reported absent. The entry's storage
// must be its own.
func (t *table[E]) insert(g int, k entryKey, e E) {
	grp := t.own(g)
	if grp.index == nil {
		grp.index = make(map[entryKey]int)
	}
	i := len(grp.slots)
	grp.index[k] = i
	grp.slots = append(grp.slots, slot[E]{k: k, e: e})
	t.privateAt(g, i)
	if i == 0 {
		t.nonEmpty[g>>6] |= 1 << uint(g&63)
	}
	t.count++
	t.gen++
	t.hitKey, t.hitG, t.hitIdx, t.hitGen = k, g, i, t.gen
}

// put inserts or replaces an entry; e's storage must be its own.
func (t *table[E]) put(g int, k entryKey, e E) {
	if p, i := t.getOwned(g, k); p != nil {
		*p = e
		t.privateAt(g, i)
		return
	}
	t.insert(g, k, e)
}

// remove deletes the entry if present and returns what it held.
func (t *table[E]) remove(g int, k entryKey) (E, bool) {
	e, _, ok := t.take(g, k)
	return e, ok
}

// take deletes the entry if present and returns what it held and whether
// its storage is shared with a snapshot (see sharedAt).
func (t *table[E]) take(g int, k entryKey) (e E, shared, ok bool) {
	i, ok := t.groups[g].index[k]
	if !ok {
		return e, false, false
	}
	grp := t.own(g) // first: a stale group shares every entry
	shared = t.sharedAt(g, i)
	e = grp.slots[i].e
	t.removeAt(g, i)
	return e, shared, true
}

// removeAt deletes the entry at slot i of group g by moving the last slot
// into its place. The group must be owned.
func (t *table[E]) removeAt(g, i int) {
	grp := &t.groups[g]
	last := len(grp.slots) - 1
	delete(grp.index, grp.slots[i].k)
	if i != last {
		grp.slots[i] = grp.slots[last]
		grp.index[grp.slots[i].k] = i
		if t.deep && last>>6 < len(t.shared[g]) {
			sh := t.shared[g]
			if sh[last>>6]&(1<<uint(last&63)) != 0 {
				sh[i>>6] |= 1 << uint(i&63)
			} else {
				sh[i>>6] &^= 1 << uint(i&63)
			}
		}
	}
	t.privateAt(g, last)
	var zero slot[E]
	grp.slots[last] = zero // let the GC reclaim key and value
	grp.slots = grp.slots[:last]
	switch {
	case last == 0:
		t.nonEmpty[g>>6] &^= 1 << uint(g&63)
		if cap(grp.slots) > 64 {
			grp.slots = nil
			grp.index = nil // a Go map never shrinks; drop it with the slots
			if t.deep {
				t.shared[g] = nil
			}
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
// the key groups. An entry for which expired reports true is handed to
// purgeAt, which drops its expired parts and reports whether it removed the
// entry. Checking first keeps a sweep that finds nothing from copying key
// groups shared with a snapshot. Each entry is examined at most once per
// sweep.
func (t *table[E]) sweep(n int, now int64, expired func(e *E, now int64) bool,
	purgeAt func(g, i int, now int64) (removed bool)) {
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
		// When the entry is removed the last slot moves into this position;
		// examine it next.
		if !expired(&t.groups[g].slots[t.curPos].e, now) || !purgeAt(g, t.curPos, now) {
			t.curPos++
		}
		n--
	}
}

// frozen returns the slots of every group as a snapshot keeps them: later
// writes copy a group before changing it (the caller bumps the cowClock).
func (t *table[E]) frozen() [][]slot[E] {
	out := make([][]slot[E], len(t.groups))
	for g := range t.groups {
		s := t.groups[g].slots
		out[g] = s[:len(s):len(s)]
	}
	return out
}
