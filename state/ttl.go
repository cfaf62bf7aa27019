package state

import "time"

// Why TTL runs on processing time (as Flink's does): TTL bounds how long state
// occupies memory, which is a wall-clock concern. Event time only advances
// with watermarks, so state of an idle or stalled stream would never expire,
// and replaying old data would expire state at a speed unrelated to its cost.
// Expiry driven by event time is what event-time timers are for.
//
// Each value, list element and map entry carries an expiry timestamp
// (lastUpdate + TTL, in ms). An entry is expired when its expiry is <= now.
// As in Flink, a read that meets expired data purges it; with
// ReturnExpiredIfNotCleanedUp that read still returns it, later ones do not.
// Writes (Add of Reducing and Aggregating state, merges) never build on
// expired data, whatever the visibility. Expired data is also purged by
// ForEachKey and by incremental cleanup, which walks each state's entries
// round-robin over the key groups with a persistent cursor.

// ttlPolicy is a TTLConfig resolved for the hot path. It is comparable so two
// registrations of the same state can be checked for the same TTL.
type ttlPolicy struct {
	enabled       bool
	ttl           int64 // ms
	updateOnRead  bool
	returnExpired bool
	cleanupN      int
}

func newTTLPolicy(c *TTLConfig) ttlPolicy {
	if c == nil || c.TTL <= 0 {
		return ttlPolicy{}
	}
	// Round up so a sub-millisecond TTL does not expire entries at once.
	ms := int64((c.TTL + time.Millisecond - 1) / time.Millisecond)
	return ttlPolicy{
		enabled:       true,
		ttl:           ms,
		updateOnRead:  c.UpdateType == OnReadAndWrite,
		returnExpired: c.Visibility == ReturnExpiredIfNotCleanedUp,
		cleanupN:      max(c.CleanupIncrementally, 0),
	}
}

// keyedState is the part every heap state kind shares: the backend, the
// handle's namespace, the TTL policy and the table of entries of type E.
type keyedState[E any] struct {
	b    *HeapBackend
	name string
	ns   any
	ttl  ttlPolicy
	t    *table[E]
	// purge drops the expired parts of an entry and reports whether
	// nothing is left. Only called when TTL is enabled.
	purge func(e *E, now int64) (empty bool)
}

func (s *keyedState[E]) init(b *HeapBackend, name string, p ttlPolicy, purge func(e *E, now int64) bool) {
	s.b, s.name, s.ns, s.ttl, s.purge = b, name, VoidNamespace{}, p, purge
	s.t = newTable[E](b.nGroups)
	if p.enabled && p.cleanupN > 0 {
		b.sweepers = append(b.sweepers, s.sweep)
	}
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
			s.t.sweep(s.ttl.cleanupN, now, s.purge)
		}
	}
	return g, now, nil
}

func (s *keyedState[E]) sweep(now int64) {
	if s.t != nil {
		s.t.sweep(s.ttl.cleanupN, now, s.purge)
	}
}

// key is the current key in the handle's namespace.
func (s *keyedState[E]) key() entryKey { return entryKey{key: s.b.curKey, ns: s.ns} }

// expiry is the expiry timestamp of something written at now.
func (s *keyedState[E]) expiry(now int64) int64 { return now + s.ttl.ttl }

// SetNamespace implements Namespaced.
func (s *keyedState[E]) SetNamespace(ns any) { s.ns = normNamespace(ns) }

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
	grp := &s.t.groups[g]
	for i := 0; i < len(grp.slots); {
		sl := &grp.slots[i]
		if sl.k.ns != ns {
			i++
			continue
		}
		if s.ttl.enabled && s.purge(&sl.e, now) {
			s.t.removeAt(g, i)
			continue
		}
		dst = append(dst, sl.k.key)
		i++
	}
	return dst
}

func (s *keyedState[E]) drop() { s.t = nil }
