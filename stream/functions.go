package stream

import (
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
)

// Collector receives a function's output records.
type Collector[T any] = operator.Collector[T]

// RuntimeContext describes the subtask a function runs in and gives access
// to its state.
type RuntimeContext interface {
	OperatorName() string
	IndexOfThisSubtask() int
	NumberOfParallelSubtasks() int
	MaxParallelism() int
	Config() *config.Configuration
	// KeyedState is the keyed state of this operator (nil on non-keyed
	// streams): get states with state.GetValueState(rc.KeyedState(), ...).
	KeyedState() state.KeyedBackend
	// OperatorState holds non-keyed list, union and broadcast state.
	OperatorState() *state.OperatorStore
}

// Opener is implemented by functions that prepare in Open (create state,
// connections) before the first record.
type Opener interface {
	Open(ctx RuntimeContext) error
}

// Closer is implemented by functions that release resources at the end.
type Closer interface {
	Close() error
}

// Context is given to process functions with each record.
type Context interface {
	// Timestamp is the record's event timestamp, or eventtime.NoTimestamp.
	Timestamp() int64
	CurrentWatermark() int64
	CurrentProcessingTime() int64
	// Output emits v to a side output; its type must match the tag's.
	Output(tag Tag, v any)
}

// TimeDomain says which clock fired a timer.
type TimeDomain int

const (
	// EventTime timers fire when the watermark passes them.
	EventTime TimeDomain = iota
	// ProcessingTime timers fire by the wall clock.
	ProcessingTime
)

// TimerService registers per-key timers (keyed streams only).
type TimerService interface {
	CurrentProcessingTime() int64
	CurrentWatermark() int64
	RegisterEventTimeTimer(ts int64)
	RegisterProcessingTimeTimer(ts int64)
	DeleteEventTimeTimer(ts int64)
	DeleteProcessingTimeTimer(ts int64)
}

// KeyedContext is a Context on a keyed stream.
type KeyedContext[K comparable] interface {
	Context
	CurrentKey() K
	TimerService() TimerService
}

// OnTimerContext is given to OnTimer.
type OnTimerContext[K comparable] interface {
	KeyedContext[K]
	TimeDomain() TimeDomain
}

// ProcessFunction handles each record of a (non-keyed) stream.
type ProcessFunction[T, R any] interface {
	ProcessElement(ctx Context, v T, out Collector[R]) error
}

// ProcessFunc adapts a function to ProcessFunction.
type ProcessFunc[T, R any] func(ctx Context, v T, out Collector[R]) error

// ProcessElement implements ProcessFunction.
func (f ProcessFunc[T, R]) ProcessElement(ctx Context, v T, out Collector[R]) error {
	return f(ctx, v, out)
}

// KeyedProcessFunction handles each record of a keyed stream, with keyed
// state and timers. Implement TimerHandler to receive timers.
type KeyedProcessFunction[K comparable, T, R any] interface {
	ProcessElement(ctx KeyedContext[K], v T, out Collector[R]) error
}

// TimerHandler is implemented by keyed functions that register timers.
type TimerHandler[K comparable, R any] interface {
	OnTimer(ctx OnTimerContext[K], ts int64, out Collector[R]) error
}

// KeyedProcessFunc adapts a function to KeyedProcessFunction.
type KeyedProcessFunc[K comparable, T, R any] func(ctx KeyedContext[K], v T, out Collector[R]) error

// ProcessElement implements KeyedProcessFunction.
func (f KeyedProcessFunc[K, T, R]) ProcessElement(ctx KeyedContext[K], v T, out Collector[R]) error {
	return f(ctx, v, out)
}
