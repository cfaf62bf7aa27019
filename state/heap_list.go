package state

import (
	"slices"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// listEntry is a non-empty list; with TTL, exps[i] is the expiry of vals[i]
// (each element expires on its own), without TTL exps is nil.
type listEntry[T any] struct {
	vals []T
	exps []int64
}

func expiredList[T any](e *listEntry[T], now int64) bool {
	for _, exp := range e.exps {
		if exp <= now {
			return true
		}
	}
	return false
}

func liveList[T any](e *listEntry[T], now int64) bool {
	for _, exp := range e.exps {
		if exp > now {
			return true
		}
	}
	return false
}

// purgeList compacts the live elements in place: the entry must be private
// (unshareList).
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

// unshareList copies the arrays a snapshot may read. Appends need no copy:
// they write past the length the snapshot froze.
func unshareList[T any](e *listEntry[T]) {
	e.vals = slices.Clone(e.vals)
	if e.exps != nil {
		e.exps = slices.Clone(e.exps)
	}
}

type listState[T any] struct {
	keyedState[listEntry[T]]
	codec   codec.Codec[T]
	payload func(w *kgWriter, e *listEntry[T]) error
}

func newListState[T any](b *HeapBackend, d ListDescriptor[T], p ttlPolicy) *listState[T] {
	s := &listState[T]{codec: d.Codec}
	if s.codec == nil {
		s.codec = codec.For[T]()
	}
	s.init(b, d.Name, p, kindList, expiredList[T], purgeList[T], unshareList[T], true)
	cd, ttl := s.codec, p.enabled
	s.payload = func(w *kgWriter, e *listEntry[T]) error {
		n := len(e.vals)
		if ttl {
			n = 0
			for _, exp := range e.exps {
				if exp > w.now {
					n++
				}
			}
		}
		w.enc.Uvarint(uint64(n))
		for i, v := range e.vals {
			if ttl && e.exps[i] <= w.now {
				continue
			}
			if err := writeValue(w, cd, "list element", v); err != nil {
				return err
			}
			if ttl {
				w.enc.Varint(e.exps[i])
			}
		}
		return nil
	}
	return s
}

func (s *listState[T]) freeze() frozenState {
	return freezeTable(&s.keyedState, liveList[T], s.payload)
}

func (s *listState[T]) restore(p *pendingState) error {
	now := s.b.now()
	return restoreEntries(&s.keyedState, p, func(g int, k entryKey, d *snapshot.Decoder) error {
		n := d.Uvarint()
		if err := checkCount(d, n, 1); err != nil {
			return err
		}
		var e listEntry[T]
		for range n {
			vb := d.Bytes()
			exp, keep, err := readExpiry(d, p.ttl, s.ttl, now)
			if err != nil {
				return err
			}
			if !keep {
				continue
			}
			v, err := decodeWith(s.codec, "a list element", vb)
			if err != nil {
				return err
			}
			e.vals = append(e.vals, v)
			if s.ttl.enabled {
				e.exps = append(e.exps, exp)
			}
		}
		if len(e.vals) > 0 {
			s.t.insert(g, k, e)
		}
		return nil
	})
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
	if expiredList(e, now) || s.ttl.updateOnRead {
		e = s.mutable(g)
		if purgeList(e, now) {
			s.t.remove(g, k)
			return out, nil
		}
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
	if e, _ := s.t.getOwned(g, k); e != nil {
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
	e, _ := s.t.getOwned(g, k)
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
	// The merged list is appended to and inserted as a private entry, so a
	// list a snapshot still reads is copied first.
	take := func(ns any) (listEntry[T], bool) {
		e, shared, ok := s.t.take(g, entryKey{key: s.b.curKey, ns: ns})
		if ok && shared {
			unshareList(&e)
		}
		return e, ok
	}
	if e, ok := take(target); ok {
		merged = e
	}
	for _, src := range sources {
		src = normNamespace(src)
		if src == target {
			continue
		}
		e, ok := take(src)
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
