package operator

import (
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
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
	// Restored is the state to start from, or nil for a fresh start. Read
	// it in Open.
	Restored() *Restored
	// AttemptNumber counts the restarts of the job this subtask runs in (0
	// for the first attempt).
	AttemptNumber() int
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

// SnapshotContext describes the checkpoint or savepoint an operator
// snapshots for.
type SnapshotContext struct {
	CheckpointID int64
	// Timestamp is when the checkpoint was triggered (ms since the epoch).
	Timestamp int64
	// Savepoint is true for savepoints (user-triggered, canonical,
	// possibly followed by a stop).
	Savepoint bool
}

// KeyedSnapshot is the frozen keyed state of one subtask, taken in the
// subtask goroutine by a copy-on-write freeze whose cost does not grow
// with the state size. WriteKeyGroup and Release run on the checkpoint's
// writer goroutine, concurrently with further processing.
type KeyedSnapshot interface {
	KeyGroups() keygroup.Range
	// WriteKeyGroup appends key group kg's entries (every state and timer)
	// to e in the canonical format.
	WriteKeyGroup(kg int, e *snapshot.Encoder) error
	// Release frees the frozen view; called once writing ended.
	Release()
}

// StateSnapshot is what an operator snapshotted at a barrier.
type StateSnapshot struct {
	// Lists is operator (non-keyed) state, encoded in the subtask goroutine.
	Lists []snapshot.ListState
	// Keyed is nil for operators without keyed state.
	Keyed KeyedSnapshot
}

// Snapshotter is implemented by operators that have state. The task calls
// SnapshotState in its goroutine when the checkpoint barrier has reached
// the operator (before forwarding the barrier downstream), so the result
// reflects exactly the records before the barrier.
type Snapshotter interface {
	SnapshotState(ctx SnapshotContext) (StateSnapshot, error)
}

// CheckpointListener is told when a checkpoint the operator took part in
// completed (every subtask's state and the metadata are durable) or was
// aborted. Two-phase-commit sinks commit on completion.
type CheckpointListener interface {
	NotifyCheckpointComplete(checkpointID int64) error
	NotifyCheckpointAborted(checkpointID int64) error
}

// Restored is the state one operator subtask starts from, already
// redistributed for its index and parallelism.
type Restored struct {
	// CheckpointID is the checkpoint or savepoint restored from.
	CheckpointID int64
	// Lists is the operator state assigned to this subtask.
	Lists []snapshot.ListState
	// KeyGroups calls fn with the bytes of every key group of this
	// subtask's range that has state, in key group order. nil without keyed
	// state.
	KeyGroups func(fn func(kg int, data []byte) error) error
}

// List returns the restored operator state named name, or nil.
func (r *Restored) List(name string) *snapshot.ListState {
	if r == nil {
		return nil
	}
	for i := range r.Lists {
		if r.Lists[i].Name == name {
			return &r.Lists[i]
		}
	}
	return nil
}
