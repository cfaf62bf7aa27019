package state

// keyedState is the part every heap state kind shares: the backend, the
// handle's namespace, the TTL policy and the table of entries of type E.
type keyedState[E any] struct {
	b    *HeapBackend
	name string
	ns   any
	ttl  ttlPolicy
	t    *table[E]
	kind stateKind
	// expired reports whether an entry holds expired data, without
	// changing it. Only called when TTL is enabled.
	expired func(e *E, now int64) bool
	// purge drops the expired parts of a private entry and reports whether
	// nothing is left. Only called when TTL is enabled.
	purge func(e *E, now int64) (empty bool)
	// unshare gives an entry its own copy of the storage it changes in
	// place; nil when entries have none (the table is then not deep).
	unshare func(e *E)
	// purgeAtFn is s.purgeAt, bound once for the per-access sweep.
	purgeAtFn func(g, i int, now int64) bool
}

func (s *keyedState[E]) init(b *HeapBackend, name string, p ttlPolicy, kind stateKind,
	expired func(e *E, now int64) bool, purge func(e *E, now int64) bool, unshare func(e *E), deep bool) {
	s.b, s.name, s.ns, s.ttl, s.kind = b, name, VoidNamespace{}, p, kind
	s.expired, s.purge, s.unshare = expired, purge, unshare
	s.purgeAtFn = s.purgeAt
	s.t = newTable[E](b.nGroups, &b.cow, deep || unshare != nil)
}

// begin starts an access: it returns the current key's group and, with TTL,
// the current time after running the incremental cleanup.
func (s *keyedState[E]) begin() (g int, now int64, err error) {
	g = s.b.curIdx
	if g < 0 { // also after Close, which unsets the key
		return 0, 0, s.b.errNoKey(s.name)
	}
	if s.ttl.enabled {
		now = s.b.now()
		if s.ttl.cleanupN > 0 {
			s.t.sweep(s.ttl.cleanupN, now, s.expired, s.purgeAtFn)
		}
	}
	return g, now, nil
}

func (s *keyedState[E]) sweep(now int64) {
	if s.t != nil && s.ttl.cleanupN > 0 {
		s.t.sweep(s.ttl.cleanupN, now, s.expired, s.purgeAtFn)
	}
}

// purgeAt purges the entry at position i of group g and reports whether it
// removed it.
func (s *keyedState[E]) purgeAt(g, i int, now int64) bool {
	e := &s.t.own(g).slots[i].e
	s.unshareAt(g, i, e)
	if s.purge(e, now) {
		s.t.removeAt(g, i)
		return true
	}
	return false
}

// unshareAt gives the owned entry e at position i of group g its own
// storage if a snapshot still reads it.
func (s *keyedState[E]) unshareAt(g, i int, e *E) {
	if s.unshare != nil && s.t.sharedAt(g, i) {
		s.unshare(e)
		s.t.privateAt(g, i)
	}
}

// mutable returns the current key's entry ready to be changed in place, or
// nil.
func (s *keyedState[E]) mutable(g int) *E {
	e, i := s.t.getOwned(g, s.key())
	if e != nil {
		s.unshareAt(g, i, e)
	}
	return e
}

// key is the current key in the handle's namespace.
func (s *keyedState[E]) key() entryKey { return entryKey{key: s.b.curKey, ns: s.ns} }

// expiry is the expiry timestamp of something written at now.
func (s *keyedState[E]) expiry(now int64) int64 { return now + s.ttl.ttl }

// SetNamespace implements Namespaced.
func (s *keyedState[E]) SetNamespace(ns any) { s.ns = normNamespace(ns) }

// HasState implements Namespaced. It leaves the entry in the table's lookup
// cache, so a write that follows costs no second probe.
func (s *keyedState[E]) HasState() bool {
	g, now, err := s.begin()
	if err != nil {
		return false
	}
	e := s.t.get(g, s.key())
	return e != nil && (!s.ttl.enabled || !s.expired(e, now))
}

// Clear removes the current key's entry in the current namespace. Without a
// current key (or after Close) there is nothing to clear and it does nothing.
func (s *keyedState[E]) Clear() {
	g, _, err := s.begin()
	if err != nil {
		return
	}
	s.t.remove(g, s.key())
}

func (s *keyedState[E]) collectKeys(g int, ns any, dst []any) []any {
	if s.t == nil {
		return dst
	}
	var now int64
	if s.ttl.enabled {
		now = s.b.now()
	}
	for i := 0; i < len(s.t.groups[g].slots); {
		sl := &s.t.groups[g].slots[i]
		if sl.k.ns != ns {
			i++
			continue
		}
		if s.ttl.enabled && s.expired(&sl.e, now) && s.purgeAt(g, i, now) {
			continue
		}
		dst = append(dst, s.t.groups[g].slots[i].k.key)
		i++
	}
	return dst
}

func (s *keyedState[E]) drop() { s.t = nil }

func (s *keyedState[E]) stateName() string { return s.name }

func (s *keyedState[E]) stateKind() stateKind { return s.kind }

func (s *keyedState[E]) empty() bool { return s.t == nil || s.t.count == 0 }
