package state

import (
	"time"

	"github.com/weirstream/weir/codec"
)

// ValueState holds one value per key (and namespace).
type ValueState[T any] interface {
	// Value returns the value and whether one is set (and not expired).
	Value() (T, bool, error)
	// Update stores v for the current key and namespace (a write for TTL).
	Update(v T) error
	// Clear removes the value.
	Clear()
}

// ListState holds a list per key.
type ListState[T any] interface {
	// Get returns the elements; a nil slice when empty. The slice is a copy.
	Get() ([]T, error)
	// Add appends v; with TTL, v expires on its own.
	Add(v T) error
	// AddAll appends vs; an empty vs changes nothing.
	AddAll(vs []T) error
	// Update replaces the list (an empty list clears it).
	Update(vs []T) error
	// Clear removes the list.
	Clear()
}

// MapState holds a map per key.
type MapState[K comparable, V any] interface {
	// Get returns the value under k and whether it is present.
	Get(k K) (V, bool, error)
	// Put stores v under k; with TTL each entry expires on its own.
	Put(k K, v V) error
	PutAll(m map[K]V) error
	// Remove deletes k; removing the last entry removes the map.
	Remove(k K) error
	Contains(k K) (bool, error)
	// Range calls fn for each entry until it returns false. fn must not
	// modify the state.
	Range(fn func(k K, v V) bool) error
	Len() (int, error)
	IsEmpty() (bool, error)
	// Clear removes every entry.
	Clear()
}

// ReducingState folds added values with a reduce function.
type ReducingState[T any] interface {
	// Get returns the reduced value and whether there is one.
	Get() (T, bool, error)
	// Add stores v if there is no value yet, else replaces the value with
	// reduce(value, v); an error from reduce is returned and changes nothing.
	Add(v T) error
	Clear()
}

// AggregatingState folds added values with an AggregateFunction.
type AggregatingState[IN, OUT any] interface {
	// Get returns GetResult of the accumulator and whether there is one.
	Get() (OUT, bool, error)
	// Add folds v into the accumulator, creating it on the first Add.
	Add(v IN) error
	Clear()
}

// AggregateFunction is Flink's incremental aggregation: an accumulator
// created once per key/window, inputs added, partial accumulators merged
// (session windows), and a result read out.
//
// Add and Merge may change the accumulator in place and return it; while a
// snapshot still reads an accumulator that references memory (a pointer, a
// map, a slice), the backend hands them a copy made with the accumulator's
// codec.
type AggregateFunction[IN, ACC, OUT any] interface {
	CreateAccumulator() ACC
	Add(v IN, acc ACC) ACC
	GetResult(acc ACC) OUT
	Merge(a, b ACC) ACC
}

// Codecs in descriptors turn state into bytes for checkpoints and
// savepoints; nil means codec.For of the type. A restore must use codecs
// that read what the snapshot's codecs wrote.

// ValueDescriptor names a ValueState.
type ValueDescriptor[T any] struct {
	Name  string
	TTL   *TTLConfig
	Codec codec.Codec[T]
}

// ListDescriptor names a ListState.
type ListDescriptor[T any] struct {
	Name string
	TTL  *TTLConfig
	// Codec encodes one element.
	Codec codec.Codec[T]
}

// MapDescriptor names a MapState.
type MapDescriptor[K comparable, V any] struct {
	Name       string
	TTL        *TTLConfig
	KeyCodec   codec.Codec[K]
	ValueCodec codec.Codec[V]
}

// ReducingDescriptor names a ReducingState and its reduce function.
type ReducingDescriptor[T any] struct {
	Name string
	// Reduce may change a in place and return it (see AggregateFunction
	// for how this stays safe while a snapshot is written).
	Reduce func(a, b T) (T, error)
	TTL    *TTLConfig
	Codec  codec.Codec[T]
}

// AggregatingDescriptor names an AggregatingState and its function.
type AggregatingDescriptor[IN, ACC, OUT any] struct {
	Name      string
	Aggregate AggregateFunction[IN, ACC, OUT]
	TTL       *TTLConfig
	// AccCodec encodes the accumulator, which is what is stored.
	AccCodec codec.Codec[ACC]
}

// TTLUpdateType says which accesses refresh an entry's time to live.
type TTLUpdateType int

const (
	// OnCreateAndWrite refreshes on writes only (Flink's default).
	OnCreateAndWrite TTLUpdateType = iota
	// OnReadAndWrite refreshes on reads as well.
	OnReadAndWrite
)

// TTLVisibility says whether an expired, not yet purged value may be read.
type TTLVisibility int

const (
	// NeverReturnExpired hides expired values (Flink's default).
	NeverReturnExpired TTLVisibility = iota
	// ReturnExpiredIfNotCleanedUp returns expired values until purged.
	ReturnExpiredIfNotCleanedUp
)

// TTLConfig expires state entries a time after their last update (processing
// time). For List and Map state, each element expires on its own.
type TTLConfig struct {
	TTL        time.Duration
	UpdateType TTLUpdateType
	Visibility TTLVisibility
	// CleanupIncrementally checks this many entries per state access (and
	// per record processed) and purges expired ones; 0 disables it. Expired
	// entries are always purged when read.
	CleanupIncrementally int
}
