package state

import "slices"

// listEntry is a non-empty list; with TTL, exps[i] is the expiry of vals[i]
// (each element expires on its own), without TTL exps is nil.
type listEntry[T any] struct {
	vals []T
	exps []int64
}

func purgeList[T any](e *listEntry[T], now int64) bool {
	n := 0
	for i, exp := range e.exps {
		if exp > now {
			e.vals[n], e.exps[n] = e.vals[i], exp
			n++
		}
	}
	if n == len(e.vals) {
		return false
	}
	clear(e.vals[n:])
	e.vals, e.exps = e.vals[:n], e.exps[:n]
	return n == 0
}

type listState[T any] struct {
	keyedState[listEntry[T]]
}

func newListState[T any](b *HeapBackend, name string, p ttlPolicy) *listState[T] {
	s := &listState[T]{}
	s.init(b, name, p, purgeList[T])
	return s
}

// Get returns a copy of the list, nil when empty. With TTL, expired elements
// are purged and returned only with ReturnExpiredIfNotCleanedUp.
func (s *listState[T]) Get() ([]T, error) {
	g, now, err := s.begin()
	if err != nil {
		return nil, err
	}
	k := s.key()
	e := s.t.get(g, k)
	if e == nil {
		return nil, nil
	}
	if !s.ttl.enabled {
		return slices.Clone(e.vals), nil
	}
	var out []T
	if s.ttl.returnExpired {
		out = slices.Clone(e.vals)
	}
	if purgeList(e, now) {
		s.t.remove(g, k)
		return out, nil
	}
	if s.ttl.updateOnRead {
		exp := s.expiry(now)
		for i := range e.exps {
			e.exps[i] = exp
		}
	}
	if out == nil {
		out = slices.Clone(e.vals)
	}
	return out, nil
}

func (s *listState[T]) Add(v T) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	if e := s.t.get(g, k); e != nil {
		e.vals = append(e.vals, v)
		if s.ttl.enabled {
			e.exps = append(e.exps, s.expiry(now))
		}
		return nil
	}
	ne := listEntry[T]{vals: []T{v}}
	if s.ttl.enabled {
		ne.exps = []int64{s.expiry(now)}
	}
	s.t.insert(g, k, ne)
	return nil
}

// AddAll appends vs; an empty vs changes nothing.
func (s *listState[T]) AddAll(vs []T) error {
	g, now, err := s.begin()
	if err != nil || len(vs) == 0 {
		return err
	}
	k := s.key()
	e := s.t.get(g, k)
	if e == nil {
		s.t.insert(g, k, s.newEntry(vs, now))
		return nil
	}
	e.vals = append(e.vals, vs...)
	if s.ttl.enabled {
		exp := s.expiry(now)
		for range vs {
			e.exps = append(e.exps, exp)
		}
	}
	return nil
}

// Update replaces the list with a copy of vs; an empty vs clears it.
func (s *listState[T]) Update(vs []T) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	if len(vs) == 0 {
		s.t.remove(g, k)
		return nil
	}
	s.t.put(g, k, s.newEntry(vs, now))
	return nil
}

// newEntry copies vs so that later appends never write into the caller's
// backing array.
func (s *listState[T]) newEntry(vs []T, now int64) listEntry[T] {
	e := listEntry[T]{vals: slices.Clone(vs)}
	if s.ttl.enabled {
		e.exps = make([]int64, len(vs))
		exp := s.expiry(now)
		for i := range e.exps {
			e.exps[i] = exp
		}
	}
	return e
}

// MergeNamespaces appends the sources' elements to target's, in the order
// target, sources..., keeping each element's expiry.
func (s *listState[T]) MergeNamespaces(target any, sources []any) error {
	g, _, err := s.begin()
	if err != nil {
		return err
	}
	target = normNamespace(target)
	tk := entryKey{key: s.b.curKey, ns: target}
	var merged listEntry[T]
	if e, ok := s.t.remove(g, tk); ok {
		merged = e
	}
	for _, src := range sources {
		src = normNamespace(src)
		if src == target {
			continue
		}
		e, ok := s.t.remove(g, entryKey{key: s.b.curKey, ns: src})
		if !ok {
			continue
		}
		if merged.vals == nil {
			merged = e
			continue
		}
		merged.vals = append(merged.vals, e.vals...)
		merged.exps = append(merged.exps, e.exps...)
	}
	if len(merged.vals) > 0 {
		s.t.insert(g, tk, merged)
	}
	return nil
}
