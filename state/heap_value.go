package state

import "fmt"

// valueEntry is one stored value with its expiry (unused without TTL).
type valueEntry[T any] struct {
	v   T
	exp int64
}

func purgeValue[T any](e *valueEntry[T], now int64) bool { return e.exp <= now }

// readCurrent begins an access and reads the current key's value, for the
// Get of value-like states.
func readCurrent[T any](s *keyedState[valueEntry[T]]) (T, bool, error) {
	g, now, err := s.begin()
	if err != nil {
		var zero T
		return zero, false, err
	}
	v, ok := readValue(s, g, now)
	return v, ok, nil
}

// readValue looks up the current entry applying TTL on read: an expired
// entry is purged and returned only with ReturnExpiredIfNotCleanedUp; a live
// one is refreshed with OnReadAndWrite.
func readValue[T any](s *keyedState[valueEntry[T]], g int, now int64) (T, bool) {
	k := s.key()
	e := s.t.get(g, k)
	if e == nil {
		var zero T
		return zero, false
	}
	if s.ttl.enabled {
		if e.exp <= now {
			v := e.v
			s.t.remove(g, k)
			if s.ttl.returnExpired {
				return v, true
			}
			var zero T
			return zero, false
		}
		if s.ttl.updateOnRead {
			e.exp = s.expiry(now)
		}
	}
	return e.v, true
}

// liveForWrite returns the current entry unless it is absent or expired;
// writes never build on expired data, whatever the visibility (as Flink).
func liveForWrite[T any](s *keyedState[valueEntry[T]], g int, k entryKey, now int64) *valueEntry[T] {
	e := s.t.get(g, k)
	if e != nil && s.ttl.enabled && e.exp <= now {
		return nil
	}
	return e
}

type valueState[T any] struct {
	keyedState[valueEntry[T]]
}

func newValueState[T any](b *HeapBackend, name string, p ttlPolicy) *valueState[T] {
	s := &valueState[T]{}
	s.init(b, name, p, purgeValue[T])
	return s
}

func (s *valueState[T]) Value() (T, bool, error) {
	return readCurrent(&s.keyedState)
}

func (s *valueState[T]) Update(v T) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	if e := s.t.get(g, k); e != nil {
		e.v, e.exp = v, s.expiry(now)
		return nil
	}
	s.t.insert(g, k, valueEntry[T]{v: v, exp: s.expiry(now)})
	return nil
}

func (s *valueState[T]) MergeNamespaces(any, []any) error {
	return fmt.Errorf("state: ValueState %q cannot merge namespaces; use Reducing, Aggregating or List state for merging windows", s.name)
}

type reducingState[T any] struct {
	keyedState[valueEntry[T]]
	reduce func(a, b T) (T, error)
}

func newReducingState[T any](b *HeapBackend, name string, p ttlPolicy, reduce func(a, b T) (T, error)) *reducingState[T] {
	s := &reducingState[T]{reduce: reduce}
	s.init(b, name, p, purgeValue[T])
	return s
}

func (s *reducingState[T]) Get() (T, bool, error) {
	return readCurrent(&s.keyedState)
}

func (s *reducingState[T]) Add(v T) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	e := liveForWrite(&s.keyedState, g, k, now)
	if e == nil {
		s.t.put(g, k, valueEntry[T]{v: v, exp: s.expiry(now)})
		return nil
	}
	gen := s.t.gen
	r, err := s.reduce(e.v, v)
	if err != nil {
		return fmt.Errorf("state: ReducingState %q: reduce: %w", s.name, err)
	}
	if gen != s.t.gen { // the reduce function touched this state
		s.t.put(g, k, valueEntry[T]{v: r, exp: s.expiry(now)})
		return nil
	}
	e.v, e.exp = r, s.expiry(now)
	return nil
}

func (s *reducingState[T]) MergeNamespaces(target any, sources []any) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	return mergeValues(&s.keyedState, g, now, target, sources, func(a, b T) (T, error) {
		r, err := s.reduce(a, b)
		if err != nil {
			return r, fmt.Errorf("state: ReducingState %q: reduce while merging namespaces: %w", s.name, err)
		}
		return r, nil
	})
}

// mergeValues folds the live values of the sources into target's in the
// order target, sources..., removing the sources. The result counts as a
// write for TTL.
func mergeValues[T any](s *keyedState[valueEntry[T]], g int, now int64, target any, sources []any,
	merge func(a, b T) (T, error)) error {
	target = normNamespace(target)
	var acc T
	have := false
	for _, src := range sources {
		src = normNamespace(src)
		if src == target {
			continue
		}
		e, ok := s.t.remove(g, entryKey{key: s.b.curKey, ns: src})
		if !ok || (s.ttl.enabled && e.exp <= now) {
			continue
		}
		if !have {
			acc, have = e.v, true
			continue
		}
		var err error
		if acc, err = merge(acc, e.v); err != nil {
			return err
		}
	}
	if !have {
		return nil
	}
	tk := entryKey{key: s.b.curKey, ns: target}
	if e := liveForWrite(s, g, tk, now); e != nil {
		var err error
		if acc, err = merge(e.v, acc); err != nil {
			return err
		}
	}
	s.t.put(g, tk, valueEntry[T]{v: acc, exp: s.expiry(now)})
	return nil
}

type aggregatingState[IN, ACC, OUT any] struct {
	keyedState[valueEntry[ACC]]
	agg AggregateFunction[IN, ACC, OUT]
}

func newAggregatingState[IN, ACC, OUT any](b *HeapBackend, name string, p ttlPolicy,
	agg AggregateFunction[IN, ACC, OUT]) *aggregatingState[IN, ACC, OUT] {
	s := &aggregatingState[IN, ACC, OUT]{agg: agg}
	s.init(b, name, p, purgeValue[ACC])
	return s
}

func (s *aggregatingState[IN, ACC, OUT]) Get() (OUT, bool, error) {
	g, now, err := s.begin()
	if err != nil {
		var zero OUT
		return zero, false, err
	}
	acc, ok := readValue(&s.keyedState, g, now)
	if !ok {
		var zero OUT
		return zero, false, nil
	}
	return s.agg.GetResult(acc), true, nil
}

func (s *aggregatingState[IN, ACC, OUT]) Add(v IN) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	e := liveForWrite(&s.keyedState, g, k, now)
	gen := s.t.gen
	var acc ACC
	if e == nil {
		acc = s.agg.CreateAccumulator()
	} else {
		acc = e.v
	}
	acc = s.agg.Add(v, acc)
	if e == nil || gen != s.t.gen { // new, or the aggregate function touched this state
		s.t.put(g, k, valueEntry[ACC]{v: acc, exp: s.expiry(now)})
		return nil
	}
	e.v, e.exp = acc, s.expiry(now)
	return nil
}

func (s *aggregatingState[IN, ACC, OUT]) MergeNamespaces(target any, sources []any) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	return mergeValues(&s.keyedState, g, now, target, sources, func(a, b ACC) (ACC, error) {
		return s.agg.Merge(a, b), nil
	})
}
