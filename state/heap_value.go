package state

import (
	"fmt"
	"reflect"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// valueEntry is one stored value with its expiry (unused without TTL).
type valueEntry[T any] struct {
	v   T
	exp int64
}

func expiredValue[T any](e *valueEntry[T], now int64) bool { return e.exp <= now }

func liveValue[T any](e *valueEntry[T], now int64) bool { return e.exp > now }

// purgeValue: an expired value leaves nothing.
func purgeValue[T any](*valueEntry[T], int64) bool { return true }

// valueCore is what Value, Reducing and Aggregating state share: one value
// per key and namespace, and its codec.
type valueCore[T any] struct {
	keyedState[valueEntry[T]]
	codec codec.Codec[T]
	// refs is set when user functions receive the stored value to update
	// it (reduce, aggregate) and T references memory they could change in
	// place: a value shared with a snapshot is then copied through the
	// codec first.
	refs    bool
	payload func(w *kgWriter, e *valueEntry[T]) error
}

func (c *valueCore[T]) initValue(b *HeapBackend, name string, p ttlPolicy, kind stateKind, cd codec.Codec[T], userUpdates bool) {
	if cd == nil {
		cd = codec.For[T]()
	}
	c.codec = cd
	c.refs = userUpdates && hasRefs(reflect.TypeFor[T]())
	c.init(b, name, p, kind, expiredValue[T], purgeValue[T], nil, c.refs)
	ttl := p.enabled
	c.payload = func(w *kgWriter, e *valueEntry[T]) error {
		if err := writeValue(w, cd, "value", e.v); err != nil {
			return err
		}
		if ttl {
			w.enc.Varint(e.exp)
		}
		return nil
	}
}

func (c *valueCore[T]) freeze() frozenState {
	return freezeTable(&c.keyedState, liveValue[T], c.payload)
}

func (c *valueCore[T]) restore(p *pendingState) error {
	now := c.b.now()
	return restoreEntries(&c.keyedState, p, func(g int, k entryKey, d *snapshot.Decoder) error {
		vb := d.Bytes()
		exp, keep, err := readExpiry(d, p.ttl, c.ttl, now)
		if err != nil {
			return err
		}
		if !keep {
			return nil
		}
		v, err := decodeWith(c.codec, "a value", vb)
		if err != nil {
			return err
		}
		c.t.insert(g, k, valueEntry[T]{v: v, exp: exp})
		return nil
	})
}

// copyValue copies v through the codec, so a user function may change the
// copy in place while a snapshot reads the original.
func (c *valueCore[T]) copyValue(v T) (T, error) {
	b, err := c.codec.Encode(v)
	if err == nil {
		var cp T
		if cp, err = c.codec.Decode(b); err == nil {
			return cp, nil
		}
	}
	return v, fmt.Errorf("state: %s %q: copying a value a running snapshot still reads, through the state's codec: %w",
		c.kind, c.name, err)
}

// readCurrent begins an access and reads the current key's value, for the
// Get of value-like states.
func (c *valueCore[T]) readCurrent() (T, bool, error) {
	g, now, err := c.begin()
	if err != nil {
		var zero T
		return zero, false, err
	}
	v, ok := c.read(g, now)
	return v, ok, nil
}

// read looks up the current entry applying TTL on read: an expired entry is
// purged and returned only with ReturnExpiredIfNotCleanedUp; a live one is
// refreshed with OnReadAndWrite.
func (c *valueCore[T]) read(g int, now int64) (T, bool) {
	k := c.key()
	e := c.t.get(g, k)
	if e == nil {
		var zero T
		return zero, false
	}
	v := e.v
	if c.ttl.enabled {
		if e.exp <= now {
			c.t.remove(g, k)
			if c.ttl.returnExpired {
				return v, true
			}
			var zero T
			return zero, false
		}
		if c.ttl.updateOnRead {
			e, _ = c.t.getOwned(g, k)
			e.exp = c.expiry(now)
		}
	}
	return v, true
}

// liveForWrite returns the current entry, ready for its value to be passed
// to a user function that updates it, unless it is absent or expired:
// writes never build on expired data, whatever the visibility (as Flink).
func (c *valueCore[T]) liveForWrite(g int, k entryKey, now int64) (*valueEntry[T], error) {
	e, i := c.t.getOwned(g, k)
	if e == nil || (c.ttl.enabled && e.exp <= now) {
		return nil, nil
	}
	if c.refs && c.t.sharedAt(g, i) {
		v, err := c.copyValue(e.v)
		if err != nil {
			return nil, err
		}
		e.v = v
		c.t.privateAt(g, i)
	}
	return e, nil
}

type valueState[T any] struct {
	valueCore[T]
}

func newValueState[T any](b *HeapBackend, d ValueDescriptor[T], p ttlPolicy) *valueState[T] {
	s := &valueState[T]{}
	s.initValue(b, d.Name, p, kindValue, d.Codec, false)
	return s
}

func (s *valueState[T]) Value() (T, bool, error) {
	return s.readCurrent()
}

func (s *valueState[T]) Update(v T) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	if e, _ := s.t.getOwned(g, k); e != nil {
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
	valueCore[T]
	reduce func(a, b T) (T, error)
}

func newReducingState[T any](b *HeapBackend, d ReducingDescriptor[T], p ttlPolicy) *reducingState[T] {
	s := &reducingState[T]{reduce: d.Reduce}
	s.initValue(b, d.Name, p, kindReducing, d.Codec, true)
	return s
}

func (s *reducingState[T]) Get() (T, bool, error) {
	return s.readCurrent()
}

func (s *reducingState[T]) Add(v T) error {
	g, now, err := s.begin()
	if err != nil {
		return err
	}
	k := s.key()
	e, err := s.liveForWrite(g, k, now)
	if err != nil {
		return err
	}
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
	return s.mergeValues(g, now, target, sources, func(a, b T) (T, error) {
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
func (c *valueCore[T]) mergeValues(g int, now int64, target any, sources []any,
	merge func(a, b T) (T, error)) error {
	target = normNamespace(target)
	var acc T
	have := false
	for _, src := range sources {
		src = normNamespace(src)
		if src == target {
			continue
		}
		e, shared, ok := c.t.take(g, entryKey{key: c.b.curKey, ns: src})
		if !ok || (c.ttl.enabled && e.exp <= now) {
			continue
		}
		if !have {
			acc, have = e.v, true
			if c.refs && shared { // merge may change acc in place
				var err error
				if acc, err = c.copyValue(acc); err != nil {
					return err
				}
			}
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
	tk := entryKey{key: c.b.curKey, ns: target}
	e, err := c.liveForWrite(g, tk, now)
	if err != nil {
		return err
	}
	if e != nil {
		if acc, err = merge(e.v, acc); err != nil {
			return err
		}
	}
	c.t.put(g, tk, valueEntry[T]{v: acc, exp: c.expiry(now)})
	return nil
}

type aggregatingState[IN, ACC, OUT any] struct {
	valueCore[ACC]
	agg AggregateFunction[IN, ACC, OUT]
}

func newAggregatingState[IN, ACC, OUT any](b *HeapBackend, d AggregatingDescriptor[IN, ACC, OUT], p ttlPolicy) *aggregatingState[IN, ACC, OUT] {
	s := &aggregatingState[IN, ACC, OUT]{agg: d.Aggregate}
	s.initValue(b, d.Name, p, kindAggregating, d.AccCodec, true)
	return s
}

func (s *aggregatingState[IN, ACC, OUT]) Get() (OUT, bool, error) {
	g, now, err := s.begin()
	if err != nil {
		var zero OUT
		return zero, false, err
	}
	acc, ok := s.read(g, now)
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
	e, err := s.liveForWrite(g, k, now)
	if err != nil {
		return err
	}
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
	return s.mergeValues(g, now, target, sources, func(a, b ACC) (ACC, error) {
		return s.agg.Merge(a, b), nil
	})
}
