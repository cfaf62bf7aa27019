package state

import "fmt"

// mapElem is one user map entry with its expiry (unused without TTL).
type mapElem[V any] struct {
	v   V
	exp int64
}

func purgeMap[K comparable, V any](e *map[K]mapElem[V], now int64) bool {
	for k, el := range *e {
		if el.exp <= now {
			delete(*e, k)
		}
	}
	return len(*e) == 0
}

// mapState stores a non-empty Go map per key and namespace; an entry whose
// map becomes empty is removed.
type mapState[K comparable, V any] struct {
	keyedState[map[K]mapElem[V]]
}

func newMapState[K comparable, V any](b *HeapBackend, name string, p ttlPolicy) *mapState[K, V] {
	s := &mapState[K, V]{}
	s.init(b, name, p, purgeMap[K, V])
	return s
}

// current returns the current key's map, or nil.
func (s *mapState[K, V]) current(g int) map[K]mapElem[V] {
	if e := s.t.get(g, s.key()); e != nil {
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

// read applies TTL to one element on read: expired elements are deleted and
// visible only with ReturnExpiredIfNotCleanedUp; live ones are refreshed with
// OnReadAndWrite. It reports whether the caller may see the element.
func (s *mapState[K, V]) read(m map[K]mapElem[V], k K, el mapElem[V], now int64) bool {
	if !s.ttl.enabled {
		return true
	}
	if el.exp <= now {
		delete(m, k)
		return s.ttl.returnExpired
	}
	if s.ttl.updateOnRead {
		m[k] = mapElem[V]{v: el.v, exp: s.expiry(now)}
	}
	return true
}

func (s *mapState[K, V]) Get(k K) (V, bool, error) {
	var zero V
	g, now, err := s.begin()
	if err != nil {
		return zero, false, err
	}
	m := s.current(g)
	el, ok := m[k]
	if !ok {
		return zero, false, nil
	}
	visible := s.read(m, k, el, now)
	s.dropIfEmpty(g, m)
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
	if m := s.current(g); m != nil {
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
	m := s.current(g)
	if m == nil {
		return nil
	}
	delete(m, k)
	s.dropIfEmpty(g, m)
	return nil
}

func (s *mapState[K, V]) Contains(k K) (bool, error) {
	g, now, err := s.begin()
	if err != nil {
		return false, err
	}
	m := s.current(g)
	el, ok := m[k]
	if !ok {
		return false, nil
	}
	visible := s.read(m, k, el, now)
	s.dropIfEmpty(g, m)
	return visible, nil
}

// Range visits the entries in unspecified order.
func (s *mapState[K, V]) Range(fn func(k K, v V) bool) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	m := s.current(g)
	for k, el := range m {
		if s.read(m, k, el, now) && !fn(k, el.v) {
			break
		}
	}
	if m != nil {
		s.dropIfEmpty(g, m)
	}
	return nil
}

// Len counts the visible entries (see Range).
func (s *mapState[K, V]) Len() (int, error) {
	g, now, err := s.begin()
	if err != nil {
		return 0, err
	}
	m := s.current(g)
	if !s.ttl.enabled {
		return len(m), nil
	}
	n := 0
	for k, el := range m {
		if s.read(m, k, el, now) {
			n++
		}
	}
	if m != nil {
		s.dropIfEmpty(g, m)
	}
	return n, nil
}

func (s *mapState[K, V]) IsEmpty() (bool, error) {
	n, err := s.Len()
	return n == 0, err
}

func (s *mapState[K, V]) MergeNamespaces(any, []any) error {
	return fmt.Errorf("state: MapState %q cannot merge namespaces; use Reducing, Aggregating or List state for merging windows", s.name)
}
