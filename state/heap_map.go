package state

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// mapElem is one user map entry with its expiry (unused without TTL).
type mapElem[V any] struct {
	v   V
	exp int64
}

func expiredMap[K comparable, V any](e *map[K]mapElem[V], now int64) bool {
	for _, el := range *e {
		if el.exp <= now {
			return true
		}
	}
	return false
}

func liveMap[K comparable, V any](e *map[K]mapElem[V], now int64) bool {
	for _, el := range *e {
		if el.exp > now {
			return true
		}
	}
	return false
}

// purgeMap deletes expired elements in place: the entry must be private.
func purgeMap[K comparable, V any](e *map[K]mapElem[V], now int64) bool {
	for k, el := range *e {
		if el.exp <= now {
			delete(*e, k)
		}
	}
	return len(*e) == 0
}

func unshareMap[K comparable, V any](e *map[K]mapElem[V]) { *e = maps.Clone(*e) }

// mapState stores a non-empty Go map per key and namespace; an entry whose
// map becomes empty is removed. A map a snapshot still reads is cloned
// before it changes (keyedState.mutable).
type mapState[K comparable, V any] struct {
	keyedState[map[K]mapElem[V]]
	keyCodec codec.Codec[K]
	valCodec codec.Codec[V]
	payload  func(w *kgWriter, e *map[K]mapElem[V]) error
}

func newMapState[K comparable, V any](b *HeapBackend, d MapDescriptor[K, V], p ttlPolicy) *mapState[K, V] {
	s := &mapState[K, V]{keyCodec: d.KeyCodec, valCodec: d.ValueCodec}
	if s.keyCodec == nil {
		s.keyCodec = codec.For[K]()
	}
	if s.valCodec == nil {
		s.valCodec = codec.For[V]()
	}
	s.init(b, d.Name, p, kindMap, expiredMap[K, V], purgeMap[K, V], unshareMap[K, V], true)
	kc, vc, ttl := s.keyCodec, s.valCodec, p.enabled
	s.payload = func(w *kgWriter, e *map[K]mapElem[V]) error {
		// Sorted by key bytes, so equal state writes equal bytes.
		w.pairs = w.pairs[:0]
		for k, el := range *e {
			if ttl && el.exp <= w.now {
				continue
			}
			kb, err := encodeWith(w, kc, "map key", k)
			if err != nil {
				return err
			}
			vb, err := encodeWith(w, vc, "map value", el.v)
			if err != nil {
				return err
			}
			w.pairs = append(w.pairs, mapPair{k: kb, v: vb, exp: el.exp})
		}
		slices.SortFunc(w.pairs, func(a, b mapPair) int { return bytes.Compare(a.k, b.k) })
		w.enc.Uvarint(uint64(len(w.pairs)))
		for _, p := range w.pairs {
			w.enc.Bytes(p.k)
			w.enc.Bytes(p.v)
			if ttl {
				w.enc.Varint(p.exp)
			}
		}
		clear(w.pairs)
		return nil
	}
	return s
}

func (s *mapState[K, V]) freeze() frozenState {
	return freezeTable(&s.keyedState, liveMap[K, V], s.payload)
}

func (s *mapState[K, V]) restore(p *pendingState) error {
	now := s.b.now()
	return restoreEntries(&s.keyedState, p, func(g int, k entryKey, d *snapshot.Decoder) error {
		n := d.Uvarint()
		if err := checkCount(d, n, 2); err != nil {
			return err
		}
		m := make(map[K]mapElem[V], n)
		for range n {
			kb, vb := d.Bytes(), d.Bytes()
			exp, keep, err := readExpiry(d, p.ttl, s.ttl, now)
			if err != nil {
				return err
			}
			if !keep {
				continue
			}
			mk, err := decodeWith(s.keyCodec, "a map key", kb)
			if err != nil {
				return err
			}
			v, err := decodeWith(s.valCodec, "a map value", vb)
			if err != nil {
				return err
			}
			m[mk] = mapElem[V]{v: v, exp: exp}
		}
		if len(m) > 0 {
			s.t.insert(g, k, m)
		}
		return nil
	})
}

// current returns the current key's map for reading, or nil.
func (s *mapState[K, V]) current(g int) map[K]mapElem[V] {
	if e := s.t.get(g, s.key()); e != nil {
		return *e
	}
	return nil
}

// currentMut returns the current key's map ready to change, or nil.
func (s *mapState[K, V]) currentMut(g int) map[K]mapElem[V] {
	if e := s.mutable(g); e != nil {
		return *e
	}
	return nil
}

// dropIfEmpty removes the entry once its map is empty.
func (s *mapState[K, V]) dropIfEmpty(g int, m map[K]mapElem[V]) {
	if len(m) == 0 {
		s.t.remove(g, s.key())
	}
}

// reader applies TTL on read to the elements of the current key's map. It
// reads the stored map and switches to a private one (mut) at the first
// element it must change.
type mapReader[K comparable, V any] struct {
	s   *mapState[K, V]
	g   int
	now int64
	m   map[K]mapElem[V] // the map read
	mut map[K]mapElem[V] // the map changed, once one was
}

func (s *mapState[K, V]) reader(g int, now int64) mapReader[K, V] {
	return mapReader[K, V]{s: s, g: g, now: now, m: s.current(g)}
}

// visible applies TTL on read to one element: expired elements are deleted
// and visible only with ReturnExpiredIfNotCleanedUp; live ones are refreshed
// with OnReadAndWrite.
func (r *mapReader[K, V]) visible(k K, el mapElem[V]) bool {
	s := r.s
	if !s.ttl.enabled {
		return true
	}
	if el.exp <= r.now {
		delete(r.writable(), k)
		return s.ttl.returnExpired
	}
	if s.ttl.updateOnRead {
		r.writable()[k] = mapElem[V]{v: el.v, exp: s.expiry(r.now)}
	}
	return true
}

func (r *mapReader[K, V]) writable() map[K]mapElem[V] {
	if r.mut == nil {
		r.mut = r.s.currentMut(r.g)
	}
	return r.mut
}

// done removes the entry if reading emptied it.
func (r *mapReader[K, V]) done() {
	if r.mut != nil {
		r.s.dropIfEmpty(r.g, r.mut)
	}
}

func (s *mapState[K, V]) Get(k K) (V, bool, error) {
	var zero V
	g, now, err := s.begin()
	if err != nil {
		return zero, false, err
	}
	r := s.reader(g, now)
	el, ok := r.m[k]
	if !ok {
		return zero, false, nil
	}
	visible := r.visible(k, el)
	r.done()
	if !visible {
		return zero, false, nil
	}
	return el.v, true, nil
}

func (s *mapState[K, V]) Put(k K, v V) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	s.putOne(g, now, k, v)
	return nil
}

// putOne stores one element for the current key; begin has run.
func (s *mapState[K, V]) putOne(g int, now int64, k K, v V) {
	el := mapElem[V]{v: v, exp: s.expiry(now)}
	if m := s.currentMut(g); m != nil {
		m[k] = el
		return
	}
	s.t.insert(g, s.key(), map[K]mapElem[V]{k: el})
}

func (s *mapState[K, V]) PutAll(m map[K]V) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	for k, v := range m {
		s.putOne(g, now, k, v)
	}
	return nil
}

func (s *mapState[K, V]) Remove(k K) error {
	g, _, err := s.begin()
	if err != nil {
		return err
	}
	if _, ok := s.current(g)[k]; !ok {
		return nil
	}
	m := s.currentMut(g)
	delete(m, k)
	s.dropIfEmpty(g, m)
	return nil
}

func (s *mapState[K, V]) Contains(k K) (bool, error) {
	g, now, err := s.begin()
	if err != nil {
		return false, err
	}
	r := s.reader(g, now)
	el, ok := r.m[k]
	if !ok {
		return false, nil
	}
	visible := r.visible(k, el)
	r.done()
	return visible, nil
}

// Range visits the entries in unspecified order.
func (s *mapState[K, V]) Range(fn func(k K, v V) bool) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	r := s.reader(g, now)
	for k, el := range r.m {
		if r.visible(k, el) && !fn(k, el.v) {
			break
		}
	}
	r.done()
	return nil
}

// Len counts the visible entries (see Range).
func (s *mapState[K, V]) Len() (int, error) {
	g, now, err := s.begin()
	if err != nil {
		return 0, err
	}
	r := s.reader(g, now)
	if !s.ttl.enabled {
		return len(r.m), nil
	}
	n := 0
	for k, el := range r.m {
		if r.visible(k, el) {
			n++
		}
	}
	r.done()
	return n, nil
}

func (s *mapState[K, V]) IsEmpty() (bool, error) {
	n, err := s.Len()
	return n == 0, err
}

func (s *mapState[K, V]) MergeNamespaces(any, []any) error {
	return fmt.Errorf("state: MapState %q cannot merge namespaces; use Reducing, Aggregating or List state for merging windows", s.name)
}
