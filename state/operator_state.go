package state

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// OperatorStateMode says how a non-keyed state is redistributed when a job is
// restored, possibly at another parallelism.
type OperatorStateMode int

const (
	// SplitDistribute (Flink's operator list state) splits the union of all
	// subtasks' lists among the new subtasks; each element goes to one.
	SplitDistribute OperatorStateMode = iota
	// UnionDistribute (Flink's union list state) gives every new subtask the
	// union of all subtasks' lists.
	UnionDistribute
	// BroadcastDistribute (broadcast state) gives every new subtask the map;
	// all subtasks hold the same map.
	BroadcastDistribute
)

func (m OperatorStateMode) String() string {
	switch m {
	case SplitDistribute:
		return "split"
	case UnionDistribute:
		return "union"
	case BroadcastDistribute:
		return "broadcast"
	default:
		return fmt.Sprintf("OperatorStateMode(%d)", int(m))
	}
}

// snapshotMode is m as written in snapshots.
func (m OperatorStateMode) snapshotMode() snapshot.Mode {
	switch m {
	case UnionDistribute:
		return snapshot.Union
	case BroadcastDistribute:
		return snapshot.Broadcast
	default:
		return snapshot.Split
	}
}

func modeOf(m snapshot.Mode) (OperatorStateMode, bool) {
	switch m {
	case snapshot.Split:
		return SplitDistribute, true
	case snapshot.Union:
		return UnionDistribute, true
	case snapshot.Broadcast:
		return BroadcastDistribute, true
	default:
		return 0, false
	}
}

// OperatorStore holds one subtask's operator (non-keyed) state: list states,
// union list states and broadcast states, by name. It belongs to the subtask
// goroutine.
type OperatorStore struct {
	states map[string]*operatorEntry
	// restored holds restored states not registered yet; Get* decodes them.
	restored map[string]*snapshot.ListState
}

type operatorEntry struct {
	mode OperatorStateMode
	desc string // e.g. "union ListState[string]", for conflict errors
	inst operatorInstance
}

// operatorInstance is what the store needs from every operator state.
type operatorInstance interface {
	// encode returns the state's elements as written in snapshots.
	encode() ([][]byte, error)
	// decode loads restored elements into the empty state.
	decode(elems [][]byte) error
}

// NewOperatorStore returns an empty store.
func NewOperatorStore() *OperatorStore {
	return &OperatorStore{states: map[string]*operatorEntry{}}
}

// OperatorListOption configures an operator list or union list state.
type OperatorListOption[T any] func(*operatorList[T])

// WithCodec sets the codec that encodes a list state's elements in
// snapshots; the default is codec.For[T]().
func WithCodec[T any](c codec.Codec[T]) OperatorListOption[T] {
	return func(l *operatorList[T]) {
		if c != nil {
			l.codec = c
		}
	}
}

// GetOperatorListState returns the operator list state named name, creating
// it on first use. On restore its elements are split among the subtasks.
func GetOperatorListState[T any](s *OperatorStore, name string, opts ...OperatorListOption[T]) (ListState[T], error) {
	return getOperatorList(s, name, SplitDistribute, opts)
}

// GetUnionListState returns the union list state named name, creating it on
// first use. On restore every subtask receives all subtasks' elements.
func GetUnionListState[T any](s *OperatorStore, name string, opts ...OperatorListOption[T]) (ListState[T], error) {
	return getOperatorList(s, name, UnionDistribute, opts)
}

func getOperatorList[T any](s *OperatorStore, name string, mode OperatorStateMode, opts []OperatorListOption[T]) (ListState[T], error) {
	return getOperatorState(s, name, mode, func() string { return "ListState[" + typeName[T]() + "]" },
		func() *operatorList[T] {
			l := &operatorList[T]{codec: codec.For[T]()}
			for _, o := range opts {
				o(l)
			}
			return l
		})
}

// GetBroadcastState returns the broadcast state named d.Name, creating it on
// first use. Broadcast state has no TTL: every subtask must hold the same
// map, and expiry by each subtask's clock would let them diverge. d's codecs
// encode the entries in snapshots (default codec.For).
func GetBroadcastState[K comparable, V any](s *OperatorStore, d MapDescriptor[K, V]) (MapState[K, V], error) {
	if d.TTL != nil && d.TTL.TTL > 0 {
		return nil, fmt.Errorf("state: broadcast state %q has a TTL; TTL is only supported for keyed state, remove it from the descriptor", d.Name)
	}
	return getOperatorState(s, d.Name, BroadcastDistribute,
		func() string { return "MapState[" + typeName[K]() + ", " + typeName[V]() + "]" },
		func() *broadcastMap[K, V] {
			b := &broadcastMap[K, V]{m: map[K]V{}, keyCodec: d.KeyCodec, valCodec: d.ValueCodec}
			if b.keyCodec == nil {
				b.keyCodec = codec.For[K]()
			}
			if b.valCodec == nil {
				b.valCodec = codec.For[V]()
			}
			return b
		})
}

func getOperatorState[S operatorInstance](s *OperatorStore, name string, mode OperatorStateMode, desc func() string,
	create func() S) (S, error) {
	var zero S
	if s == nil {
		return zero, errors.New("state: OperatorStore is nil")
	}
	if name == "" {
		return zero, fmt.Errorf("state: %s %s has an empty name; give every state a name unique within the operator", mode, desc())
	}
	if e, ok := s.states[name]; ok {
		inst, ok := e.inst.(S)
		if !ok || e.mode != mode {
			return zero, fmt.Errorf("state: operator state %q is already registered as %s %s; it cannot also be %s %s (use another name)",
				name, e.mode, e.desc, mode, desc())
		}
		return inst, nil
	}
	inst := create()
	if r, ok := s.restored[name]; ok {
		if r.Mode != mode.snapshotMode() {
			return zero, fmt.Errorf("state: operator state %q was snapshotted as %s state and is now requested as %s %s; "+
				"restore it with its original kind or give the new state another name", name, r.Mode, mode, desc())
		}
		if err := inst.decode(r.Elements); err != nil {
			return zero, fmt.Errorf("state: restoring operator state %q: %w", name, err)
		}
		delete(s.restored, name)
	}
	s.states[name] = &operatorEntry{mode: mode, desc: desc(), inst: inst}
	return inst, nil
}

// Snapshot encodes every operator state, sorted by name, including restored
// states not registered since (unchanged). It runs in the subtask goroutine;
// operator state is expected to be small.
func (s *OperatorStore) Snapshot() ([]snapshot.ListState, error) {
	out := make([]snapshot.ListState, 0, len(s.states)+len(s.restored))
	for name, e := range s.states {
		elems, err := e.inst.encode()
		if err != nil {
			return nil, fmt.Errorf("state: snapshot of operator state %q: %w", name, err)
		}
		out = append(out, snapshot.ListState{Name: name, Mode: e.mode.snapshotMode(), Elements: elems})
	}
	for _, r := range s.restored {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b snapshot.ListState) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Restore hands the store its restored operator state, already
// redistributed for this subtask; each state is decoded when Get* first
// asks for it. Lists with the same name are concatenated (split and union
// state) or the first is kept (broadcast state, equal on every subtask).
// It must be called before any state is registered.
func (s *OperatorStore) Restore(lists []snapshot.ListState) error {
	if len(s.states) > 0 {
		return errors.New("state: OperatorStore.Restore after state was registered; restore before the operator registers state")
	}
	for _, l := range lists {
		if _, ok := modeOf(l.Mode); !ok {
			return fmt.Errorf("state: restoring operator state %q: %w: unknown mode %d", l.Name, snapshot.ErrCorrupt, int(l.Mode))
		}
		if s.restored == nil {
			s.restored = map[string]*snapshot.ListState{}
		}
		r, ok := s.restored[l.Name]
		if !ok {
			c := l
			c.Elements = slices.Clone(l.Elements)
			s.restored[l.Name] = &c
			continue
		}
		if r.Mode != l.Mode {
			return fmt.Errorf("state: restoring operator state %q: it is %s state in one list and %s in another", l.Name, r.Mode, l.Mode)
		}
		if r.Mode != snapshot.Broadcast {
			r.Elements = append(r.Elements, l.Elements...)
		}
	}
	return nil
}

// UnclaimedStates lists, sorted, the restored operator states no Get* call
// has registered yet. They are kept and written into later snapshots.
func (s *OperatorStore) UnclaimedStates() []string {
	names := make([]string, 0, len(s.restored))
	for n := range s.restored {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// StateNames lists the registered states, sorted.
func (s *OperatorStore) StateNames() []string {
	names := make([]string, 0, len(s.states))
	for n := range s.states {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Mode reports how the state named name is redistributed on restore.
func (s *OperatorStore) Mode(name string) (OperatorStateMode, bool) {
	e, ok := s.states[name]
	if !ok {
		return 0, false
	}
	return e.mode, true
}

// operatorList is a ListState without keys or TTL.
type operatorList[T any] struct {
	vals  []T
	codec codec.Codec[T]
}

func (l *operatorList[T]) encode() ([][]byte, error) {
	out := make([][]byte, len(l.vals))
	for i, v := range l.vals {
		b, err := l.codec.Encode(v)
		if err != nil {
			return nil, fmt.Errorf("encoding element %d (%T): %w", i, v, err)
		}
		out[i] = b
	}
	return out, nil
}

func (l *operatorList[T]) decode(elems [][]byte) error {
	for i, b := range elems {
		v, err := decodeWith(l.codec, fmt.Sprintf("element %d, a", i), b)
		if err != nil {
			return err
		}
		l.vals = append(l.vals, v)
	}
	return nil
}

func (l *operatorList[T]) Get() ([]T, error) {
	if len(l.vals) == 0 {
		return nil, nil
	}
	return slices.Clone(l.vals), nil
}

func (l *operatorList[T]) Add(v T) error {
	l.vals = append(l.vals, v)
	return nil
}

func (l *operatorList[T]) AddAll(vs []T) error {
	l.vals = append(l.vals, vs...)
	return nil
}

func (l *operatorList[T]) Update(vs []T) error {
	if len(vs) == 0 {
		l.vals = nil
		return nil
	}
	l.vals = slices.Clone(vs)
	return nil
}

func (l *operatorList[T]) Clear() { l.vals = nil }

// broadcastMap is a MapState over a plain map.
type broadcastMap[K comparable, V any] struct {
	m        map[K]V
	keyCodec codec.Codec[K]
	valCodec codec.Codec[V]
}

// encode writes each entry as one element: the key's and the value's bytes,
// each with its length. Elements are sorted so equal maps write equal bytes.
func (b *broadcastMap[K, V]) encode() ([][]byte, error) {
	out := make([][]byte, 0, len(b.m))
	for k, v := range b.m {
		kb, err := b.keyCodec.Encode(k)
		if err != nil {
			return nil, fmt.Errorf("encoding key %v (%T): %w", k, k, err)
		}
		vb, err := b.valCodec.Encode(v)
		if err != nil {
			return nil, fmt.Errorf("encoding the value of key %v (%T): %w", k, v, err)
		}
		var e snapshot.Encoder
		e.Bytes(kb)
		e.Bytes(vb)
		out = append(out, e.Data())
	}
	slices.SortFunc(out, bytes.Compare)
	return out, nil
}

func (b *broadcastMap[K, V]) decode(elems [][]byte) error {
	for i, el := range elems {
		d := snapshot.NewDecoder(el)
		kb, vb := d.Bytes(), d.Bytes()
		if d.Err() != nil {
			return fmt.Errorf("entry %d: %w", i, d.Err())
		}
		if d.Len() != 0 {
			return fmt.Errorf("entry %d: %w: %d bytes after the value", i, snapshot.ErrCorrupt, d.Len())
		}
		k, err := decodeWith(b.keyCodec, fmt.Sprintf("entry %d: a key", i), kb)
		if err != nil {
			return err
		}
		v, err := decodeWith(b.valCodec, fmt.Sprintf("entry %d: a value", i), vb)
		if err != nil {
			return err
		}
		b.m[k] = v
	}
	return nil
}

func (b *broadcastMap[K, V]) Get(k K) (V, bool, error) {
	v, ok := b.m[k]
	return v, ok, nil
}

func (b *broadcastMap[K, V]) Put(k K, v V) error {
	b.m[k] = v
	return nil
}

func (b *broadcastMap[K, V]) PutAll(m map[K]V) error {
	for k, v := range m {
		b.m[k] = v
	}
	return nil
}

func (b *broadcastMap[K, V]) Remove(k K) error {
	delete(b.m, k)
	return nil
}

func (b *broadcastMap[K, V]) Contains(k K) (bool, error) {
	_, ok := b.m[k]
	return ok, nil
}

func (b *broadcastMap[K, V]) Range(fn func(k K, v V) bool) error {
	for k, v := range b.m {
		if !fn(k, v) {
			break
		}
	}
	return nil
}

func (b *broadcastMap[K, V]) Len() (int, error) { return len(b.m), nil }

func (b *broadcastMap[K, V]) IsEmpty() (bool, error) { return len(b.m) == 0, nil }

func (b *broadcastMap[K, V]) Clear() { clear(b.m) }
