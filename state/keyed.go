package state

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
)

// KeyedBackend holds the keyed state of one subtask: the key groups in
// KeyGroupRange, each key's entries per state and namespace.
//
// The operator sets the current key before processing each record or timer;
// every state handle obtained from the backend then reads and writes that
// key's entries. A backend belongs to one goroutine.
type KeyedBackend interface {
	// SetCurrentKey makes key the current key and computes its key group
	// with keygroup.Of(key, MaxParallelism()). It panics when the key group
	// lies outside KeyGroupRange: records reached a subtask that does not
	// own their key, which is a partitioning bug, not a data error.
	SetCurrentKey(key any)
	// CurrentKey is the key last set, or nil before the first SetCurrentKey.
	CurrentKey() any
	// CurrentKeyGroup is the current key's key group, or -1 before the first
	// SetCurrentKey.
	CurrentKeyGroup() int
	// KeyGroupRange is the key groups this backend owns.
	KeyGroupRange() keygroup.Range
	// MaxParallelism is the number of key groups of the operator.
	MaxParallelism() int
}

// VoidNamespace is the namespace of state that is not scoped further than
// its key; it is every state's namespace until SetNamespace.
type VoidNamespace struct{}

// Namespaced is implemented by every keyed state handle. The namespace is a
// property of the handle: it stays until changed and applies to all keys.
type Namespaced interface {
	// SetNamespace scopes the handle to ns, which must be comparable (a
	// window struct, say). nil means VoidNamespace{}.
	SetNamespace(ns any)
	// MergeNamespaces folds the state of the current key in each source
	// namespace into target and clears the sources: lists are concatenated,
	// Reducing state reduced, Aggregating state merged with
	// AggregateFunction.Merge. Value and Map state cannot be merged and
	// return an error.
	MergeNamespaces(target any, sources []any) error
	// HasState reports whether the current key has live state in the
	// current namespace (false without a current key).
	HasState() bool
}

// HeapOptions configures a HeapBackend.
type HeapOptions struct {
	// MaxParallelism is the operator's number of key groups, 1..32768.
	MaxParallelism int
	// KeyGroups is the key groups this subtask owns; it must lie within
	// [0, MaxParallelism).
	KeyGroups keygroup.Range
	// Now returns processing time in ms since the epoch; TTL is measured with
	// it. nil means the wall clock.
	Now func() int64
	// KeyCodec encodes the keys (the values given to SetCurrentKey) in
	// snapshots and decodes them on restore, e.g. codec.Any(codec.For[K]()).
	// It is required to snapshot or restore any keyed state or timer.
	KeyCodec codec.Codec[any]
	// NamespaceCodec encodes namespaces other than VoidNamespace (windows).
	// nil allows only VoidNamespace in snapshots: snapshotting state or
	// timers in another namespace fails with an error saying so.
	NamespaceCodec codec.Codec[any]
}

// HeapBackend is the "hashmap" keyed state backend: state lives on the Go
// heap, organised per key group. Values are stored as given, not copied, so a
// caller must not mutate a value after storing it (ListState.Get returns a
// copy of the list, but not of its elements): a running snapshot may still
// be reading it. Reduce and aggregate functions are the exception, see
// AggregateFunction.
//
// Snapshot, Restore and RestoreKeyGroup take and load checkpoints and
// savepoints (see the package documentation for the format).
type HeapBackend struct {
	maxPar  int
	kgr     keygroup.Range
	nGroups int // 0 once closed, which makes SetCurrentKey take its panic path
	now     func() int64

	curKey any
	curKG  int
	curIdx int // curKG - kgr.Start, or -1 when no key is set
	// keyType is the last key type found comparable; checking a new type
	// once turns an unhashable key into a clear panic instead of a runtime
	// error deep in a map.
	keyType reflect.Type

	states map[string]*registration
	// timerServices are the timer services created on this backend, by
	// name; their timers are keyed state and snapshotted with it.
	timerServices map[string]*TimerService
	// sweepers run incremental TTL cleanup for each state that asks for it
	// once per record (SetCurrentKey), as TTLConfig promises.
	sweepers []func(now int64)
	closed   bool

	keyCodec, nsCodec codec.Codec[any]
	cow               cowClock
	// Restored data not claimed yet (restore.go), and the key groups
	// restored so far.
	pending       map[string]*pendingState
	pendingTimers map[string]*pendingTimers
	restored      []bool
}

var _ KeyedBackend = (*HeapBackend)(nil)

// NewHeapBackend creates an empty heap backend. Invalid options are a
// programming error and panic.
func NewHeapBackend(opts HeapOptions) *HeapBackend {
	if opts.MaxParallelism < 1 || opts.MaxParallelism > keygroup.UpperBoundMaxParallelism {
		panic(fmt.Sprintf("state: HeapOptions.MaxParallelism %d is outside [1, %d]",
			opts.MaxParallelism, keygroup.UpperBoundMaxParallelism))
	}
	r := opts.KeyGroups
	if r.Start < 0 || r.End < r.Start || r.End >= opts.MaxParallelism {
		panic(fmt.Sprintf("state: HeapOptions.KeyGroups [%d, %d] is not a non-empty range within [0, %d]",
			r.Start, r.End, opts.MaxParallelism-1))
	}
	now := opts.Now
	if now == nil {
		now = func() int64 { return time.Now().UnixMilli() }
	}
	return &HeapBackend{
		maxPar:   opts.MaxParallelism,
		kgr:      r,
		nGroups:  r.Len(),
		now:      now,
		curKG:    -1,
		curIdx:   -1,
		states:   map[string]*registration{},
		keyCodec: opts.KeyCodec,
		nsCodec:  opts.NamespaceCodec,
	}
}

// SetCurrentKey implements KeyedBackend. It also runs the per-record
// incremental TTL cleanup of states configured with it.
func (b *HeapBackend) SetCurrentKey(key any) {
	if key == nil {
		panic("state: SetCurrentKey(nil): keyed state needs a non-nil key; check the key selector")
	}
	if t := reflect.TypeOf(key); t != b.keyType {
		if !t.Comparable() {
			panic(fmt.Sprintf("state: key type %v is not comparable; keys must be comparable (use a string instead of a []byte)", t))
		}
		b.keyType = t
	}
	kg := keygroup.Of(key, b.maxPar)
	idx := kg - b.kgr.Start
	if uint(idx) >= uint(b.nGroups) {
		panic(b.outOfRange(key, kg))
	}
	b.curKey, b.curKG, b.curIdx = key, kg, idx
	if len(b.sweepers) > 0 {
		now := b.now()
		for _, sw := range b.sweepers {
			sw(now)
		}
	}
}

func (b *HeapBackend) outOfRange(key any, kg int) string {
	if b.closed {
		return "state: SetCurrentKey on a closed backend"
	}
	return fmt.Sprintf("state: key %v (%T) is in key group %d, outside this backend's key groups [%d, %d] "+
		"(max parallelism %d): the record was sent to a subtask that does not own its key, "+
		"which is a partitioning bug (keys must be partitioned with keygroup.Of and the same max parallelism)",
		key, key, kg, b.kgr.Start, b.kgr.End, b.maxPar)
}

// CurrentKey implements KeyedBackend.
func (b *HeapBackend) CurrentKey() any { return b.curKey }

// CurrentKeyGroup implements KeyedBackend.
func (b *HeapBackend) CurrentKeyGroup() int { return b.curKG }

// KeyGroupRange implements KeyedBackend.
func (b *HeapBackend) KeyGroupRange() keygroup.Range { return b.kgr }

// MaxParallelism implements KeyedBackend.
func (b *HeapBackend) MaxParallelism() int { return b.maxPar }

// ForEachKey calls fn for every key that has state named stateName in
// namespace ns (nil means VoidNamespace{}), key group by key group, making
// each the current key first. Expired entries met on the way are purged and
// their keys skipped. fn may read and write state, including this one; keys
// it adds are not visited. The current key is restored afterwards. The first
// error from fn stops the walk and is returned.
func (b *HeapBackend) ForEachKey(stateName string, ns any, fn func(key any) error) error {
	if b.closed {
		return errClosed
	}
	r, ok := b.states[stateName]
	if !ok {
		return fmt.Errorf("state: ForEachKey: no keyed state named %q is registered", stateName)
	}
	ns = normNamespace(ns)
	prevKey, prevKG, prevIdx := b.curKey, b.curKG, b.curIdx
	defer func() {
		if !b.closed {
			b.curKey, b.curKG, b.curIdx = prevKey, prevKG, prevIdx
		}
	}()
	var keys []any
	for g := range b.nGroups {
		// Collect first: fn may insert or remove entries of this group.
		keys = r.state.collectKeys(g, ns, keys[:0])
		for i, k := range keys {
			keys[i] = nil
			b.curKey, b.curKG, b.curIdx = k, g+b.kgr.Start, g
			if err := fn(k); err != nil {
				return err
			}
			if b.closed {
				return errClosed
			}
		}
	}
	return nil
}

// Close drops all state. Handles obtained before return errors afterwards,
// and SetCurrentKey panics.
func (b *HeapBackend) Close() {
	if b.closed {
		return
	}
	for _, r := range b.states {
		r.state.drop()
	}
	b.closed = true
	b.states = nil
	b.timerServices = nil
	b.pending, b.pendingTimers = nil, nil
	b.sweepers = nil
	b.nGroups = 0
	b.curKey, b.curKG, b.curIdx = nil, -1, -1
}

var errClosed = errors.New("state: the keyed state backend is closed (the operator was closed)")

// errNoKey explains why a state handle has nothing to address.
func (b *HeapBackend) errNoKey(name string) error {
	if b.closed {
		return errClosed
	}
	return fmt.Errorf("state: keyed state %q used without a current key; keyed state is only "+
		"available on a keyed stream while a record or timer is processed", name)
}

func normNamespace(ns any) any {
	if ns == nil {
		return VoidNamespace{}
	}
	return ns
}

// heapState is what the backend needs from every registered state.
type heapState interface {
	// collectKeys appends the keys of group g with an entry in ns, purging
	// expired entries.
	collectKeys(g int, ns any, dst []any) []any
	sweep(now int64)
	drop()
	stateName() string
	stateKind() stateKind
	empty() bool
	// freeze returns the state as a snapshot keeps it (cow.go).
	freeze() frozenState
	// restore loads restored entries into the empty state.
	restore(p *pendingState) error
}

type registration struct {
	desc  string // e.g. "ValueState[int]", for conflict errors
	ttl   *TTLConfig
	state heapState
}

// register returns the state registered under name when it is of type S,
// or creates it.
func register[S heapState](b *HeapBackend, name string, ttl *TTLConfig, desc func() string,
	create func(p ttlPolicy) S) (S, error) {
	var zero S
	if b.closed {
		return zero, errClosed
	}
	if name == "" {
		return zero, fmt.Errorf("state: %s descriptor has an empty name; give every state a name unique within the operator", desc())
	}
	p := newTTLPolicy(ttl)
	if r, ok := b.states[name]; ok {
		s, ok := r.state.(S)
		if !ok {
			return zero, fmt.Errorf("state: state %q is already registered as %s; it cannot also be %s (use another name)",
				name, r.desc, desc())
		}
		if newTTLPolicy(r.ttl) != p {
			return zero, fmt.Errorf("state: state %q is already registered with TTL %s; it was requested again with TTL %s",
				name, describeTTL(r.ttl), describeTTL(ttl))
		}
		return s, nil
	}
	s := create(p)
	if pend, ok := b.pending[name]; ok {
		if err := s.restore(pend); err != nil {
			s.drop()
			return zero, err
		}
		delete(b.pending, name)
	}
	if p.enabled && p.cleanupN > 0 {
		b.sweepers = append(b.sweepers, s.sweep)
	}
	var ttlCopy *TTLConfig
	if ttl != nil {
		c := *ttl
		ttlCopy = &c
	}
	b.states[name] = &registration{desc: desc(), ttl: ttlCopy, state: s}
	return s, nil
}

func describeTTL(c *TTLConfig) string {
	if c == nil || c.TTL <= 0 {
		return "off"
	}
	return fmt.Sprintf("%+v", *c)
}

func typeName[T any]() string { return reflect.TypeFor[T]().String() }

// heapOf resolves the backend implementation behind the interface.
func heapOf(b KeyedBackend) (*HeapBackend, error) {
	switch hb := b.(type) {
	case *HeapBackend:
		if hb == nil {
			return nil, errors.New("state: keyed backend is a nil *HeapBackend")
		}
		return hb, nil
	case nil:
		return nil, errors.New("state: keyed backend is nil; keyed state is only available on a keyed stream")
	default:
		return nil, fmt.Errorf("state: keyed backend %T is not supported by this package's state functions", b)
	}
}

// GetValueState returns the ValueState named d.Name, creating it on first
// use. The handle also implements Namespaced.
func GetValueState[T any](b KeyedBackend, d ValueDescriptor[T]) (ValueState[T], error) {
	hb, err := heapOf(b)
	if err != nil {
		return nil, err
	}
	return register(hb, d.Name, d.TTL,
		func() string { return "ValueState[" + typeName[T]() + "]" },
		func(p ttlPolicy) *valueState[T] { return newValueState(hb, d, p) })
}

// GetListState returns the ListState named d.Name, creating it on first use.
// The handle also implements Namespaced.
func GetListState[T any](b KeyedBackend, d ListDescriptor[T]) (ListState[T], error) {
	hb, err := heapOf(b)
	if err != nil {
		return nil, err
	}
	return register(hb, d.Name, d.TTL,
		func() string { return "ListState[" + typeName[T]() + "]" },
		func(p ttlPolicy) *listState[T] { return newListState(hb, d, p) })
}

// GetMapState returns the MapState named d.Name, creating it on first use.
// The handle also implements Namespaced.
func GetMapState[K comparable, V any](b KeyedBackend, d MapDescriptor[K, V]) (MapState[K, V], error) {
	hb, err := heapOf(b)
	if err != nil {
		return nil, err
	}
	return register(hb, d.Name, d.TTL,
		func() string { return "MapState[" + typeName[K]() + ", " + typeName[V]() + "]" },
		func(p ttlPolicy) *mapState[K, V] { return newMapState(hb, d, p) })
}

// GetReducingState returns the ReducingState named d.Name, creating it on
// first use. The handle also implements Namespaced.
func GetReducingState[T any](b KeyedBackend, d ReducingDescriptor[T]) (ReducingState[T], error) {
	hb, err := heapOf(b)
	if err != nil {
		return nil, err
	}
	if d.Reduce == nil {
		return nil, fmt.Errorf("state: ReducingDescriptor %q has no Reduce function", d.Name)
	}
	return register(hb, d.Name, d.TTL,
		func() string { return "ReducingState[" + typeName[T]() + "]" },
		func(p ttlPolicy) *reducingState[T] { return newReducingState(hb, d, p) })
}

// GetAggregatingState returns the AggregatingState named d.Name, creating it
// on first use. The handle also implements Namespaced.
func GetAggregatingState[IN, ACC, OUT any](b KeyedBackend, d AggregatingDescriptor[IN, ACC, OUT]) (AggregatingState[IN, OUT], error) {
	hb, err := heapOf(b)
	if err != nil {
		return nil, err
	}
	if d.Aggregate == nil {
		return nil, fmt.Errorf("state: AggregatingDescriptor %q has no Aggregate function", d.Name)
	}
	return register(hb, d.Name, d.TTL,
		func() string {
			return "AggregatingState[IN=" + typeName[IN]() + ", ACC=" + typeName[ACC]() + ", OUT=" + typeName[OUT]() + "]"
		},
		func(p ttlPolicy) *aggregatingState[IN, ACC, OUT] {
			return newAggregatingState(hb, d, p)
		})
}
