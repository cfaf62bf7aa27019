package state

import (
	"errors"
	"fmt"
	"slices"
	"sort"
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

// OperatorStore holds one subtask's operator (non-keyed) state: list states,
// union list states and broadcast states, by name. It belongs to the subtask
// goroutine.
type OperatorStore struct {
	states map[string]*operatorEntry
}

type operatorEntry struct {
	mode OperatorStateMode
	desc string // e.g. "union ListState[string]", for conflict errors
	inst any
}

// NewOperatorStore returns an empty store.
func NewOperatorStore() *OperatorStore {
	return &OperatorStore{states: map[string]*operatorEntry{}}
}

// GetOperatorListState returns the operator list state named name, creating
// it on first use. On restore its elements are split among the subtasks.
func GetOperatorListState[T any](s *OperatorStore, name string) (ListState[T], error) {
	return getOperatorState(s, name, SplitDistribute, func() string { return "ListState[" + typeName[T]() + "]" },
		func() *operatorList[T] { return &operatorList[T]{} })
}

// GetUnionListState returns the union list state named name, creating it on
// first use. On restore every subtask receives all subtasks' elements.
func GetUnionListState[T any](s *OperatorStore, name string) (ListState[T], error) {
	return getOperatorState(s, name, UnionDistribute, func() string { return "ListState[" + typeName[T]() + "]" },
		func() *operatorList[T] { return &operatorList[T]{} })
}

// GetBroadcastState returns the broadcast state named d.Name, creating it on
// first use. Broadcast state has no TTL: every subtask must hold the same
// map, and expiry by each subtask's clock would let them diverge.
func GetBroadcastState[K comparable, V any](s *OperatorStore, d MapDescriptor[K, V]) (MapState[K, V], error) {
	if d.TTL != nil && d.TTL.TTL > 0 {
		return nil, fmt.Errorf("state: broadcast state %q has a TTL; TTL is only supported for keyed state, remove it from the descriptor", d.Name)
	}
	return getOperatorState(s, d.Name, BroadcastDistribute,
		func() string { return "MapState[" + typeName[K]() + ", " + typeName[V]() + "]" },
		func() *broadcastMap[K, V] { return &broadcastMap[K, V]{m: map[K]V{}} })
}

func getOperatorState[S any](s *OperatorStore, name string, mode OperatorStateMode, desc func() string,
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
	s.states[name] = &operatorEntry{mode: mode, desc: desc(), inst: inst}
	return inst, nil
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
type operatorList[T any] struct{ vals []T }

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
type broadcastMap[K comparable, V any] struct{ m map[K]V }

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
