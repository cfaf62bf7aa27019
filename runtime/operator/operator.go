package operator

import (
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/keygroup"
)

// Batch is the unit records travel in between subtasks: a typed slice plus
// one event timestamp per record (eventtime.NoTimestamp when absent).
type Batch[T any] struct {
	Values     []T
	Timestamps []int64
}

// Len is the number of records in b.
func (b *Batch[T]) Len() int { return len(b.Values) }

// Append adds one record.
func (b *Batch[T]) Append(v T, ts int64) {
	b.Values = append(b.Values, v)
	b.Timestamps = append(b.Timestamps, ts)
}

// Reset empties b, keeping its capacity, and zeroes values so they can be
// garbage collected.
func (b *Batch[T]) Reset() {
	clear(b.Values)
	b.Values = b.Values[:0]
	b.Timestamps = b.Timestamps[:0]
}

// Output receives an operator's results. Within a chain it is the next
// operator; at the end of a chain it partitions records into batches for
// downstream subtasks.
type Output[T any] interface {
	// Collect emits one record with its event timestamp.
	Collect(v T, ts int64)
	// EmitWatermark forwards event-time progress. Records collected before
	// it are delivered before it.
	EmitWatermark(wm int64)
	// EmitWatermarkStatus forwards that this output became idle (true) or
	// active again (false).
	EmitWatermarkStatus(idle bool)
	// CollectSide emits a record to a side output named by tag id; records for
	// tags without consumers are dropped, as in Flink.
	CollectSide(tag string, v any, ts int64)
}

// Operator is the lifecycle every operator implements.
//
// Order: SetOutput, Open, then any number of records, watermarks and timers,
// then Finish (input exhausted: emit what is still buffered), then Close.
// Close is also called, without Finish, when the job fails or is cancelled.
type Operator interface {
	// SetOutput wires the output; out is an Output[R] for the operator's
	// output type R. Called once before Open.
	SetOutput(out any)
	Open(ctx Context) error
	// ProcessWatermark handles combined event-time progress of all inputs.
	// Operators with event-time timers fire them here, then forward it.
	ProcessWatermark(wm int64) error
	// ProcessWatermarkStatus handles the whole input becoming idle or active.
	ProcessWatermarkStatus(idle bool) error
	Finish() error
	Close() error
}

// OneInput is an operator with one typed input.
type OneInput[T any] interface {
	Operator
	ProcessElement(v T, ts int64) error
}

// TwoInput is an operator with two typed inputs (Connect, broadcast connect).
type TwoInput[A, B any] interface {
	Operator
	ProcessElement1(v A, ts int64) error
	ProcessElement2(v B, ts int64) error
}

// InputEnder is implemented by multi-input operators that must know when one
// input is exhausted (input numbered from 1).
type InputEnder interface {
	EndInput(input int) error
}

// Context gives an operator its subtask's services. It is valid from Open to
// Close and must only be used from the subtask goroutine.
type Context interface {
	// OperatorName and UID identify the operator (error messages, state).
	OperatorName() string
	UID() string
	// SubtaskIndex is 0-based; Parallelism and MaxParallelism are the operator's.
	SubtaskIndex() int
	Parallelism() int
	MaxParallelism() int
	// KeyGroupRange is the key groups this subtask owns.
	KeyGroupRange() keygroup.Range
	// Config is the job's configuration.
	Config() *config.Configuration
	// ProcessingTime gives the processing-time clock and timers.
	ProcessingTime() ProcessingTimeService
	// Execute runs fn later in the subtask goroutine; safe to call from any
	// goroutine (async I/O, fetchers). An error from fn fails the task.
	Execute(name string, fn func() error)
}

// ProcessingTimeService is the subtask's clock and one-shot timers. Timer
// callbacks run in the subtask goroutine, in timestamp order.
type ProcessingTimeService interface {
	// Now returns processing time in ms since the epoch.
	Now() int64
	// RegisterTimer calls fn at or after ts; the returned func cancels it.
	RegisterTimer(ts int64, fn func(ts int64) error) (cancel func())
}

// Collector receives the results of a user function.
type Collector[T any] interface {
	Collect(v T)
}

// Abort carries an error out of a user callback that has no error result
// (e.g. an AggregateFunction); the task reports Err as the failure of the
// operator that was running.
type Abort struct{ Err error }

// Fail aborts the running operator with err.
func Fail(err error) { panic(Abort{Err: err}) }
