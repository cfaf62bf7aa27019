package source

import (
	"context"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
)

// Split is a unit of work a reader consumes: a file block, a Kafka
// partition, a range of a generator. Progress lives in the split value the
// reader returns from SnapshotState.
type Split interface {
	SplitID() string
}

// Boundedness says whether a source ends.
type Boundedness int

const (
	// Bounded sources end; the job finishes when all bounded sources have.
	Bounded Boundedness = iota
	// ContinuousUnbounded sources run until cancelled.
	ContinuousUnbounded
)

// InputStatus is what PollNext reports.
type InputStatus int

const (
	// MoreAvailable means: call PollNext again soon.
	MoreAvailable InputStatus = iota
	// NothingAvailable means: wait until IsAvailable fires.
	NothingAvailable
	// EndOfInput means: this reader is done for good.
	EndOfInput
)

func (s InputStatus) String() string {
	switch s {
	case MoreAvailable:
		return "MORE_AVAILABLE"
	case NothingAvailable:
		return "NOTHING_AVAILABLE"
	case EndOfInput:
		return "END_OF_INPUT"
	}
	return "UNKNOWN"
}

// Source is a FLIP-27 source: a factory for the enumerator (runs in the
// source coordinator) and the readers (run in subtasks). E is the
// enumerator's checkpoint type.
type Source[T any, S Split, E any] interface {
	Boundedness() Boundedness
	CreateEnumerator(ctx SplitEnumeratorContext[S]) (SplitEnumerator[S, E], error)
	RestoreEnumerator(ctx SplitEnumeratorContext[S], checkpoint E) (SplitEnumerator[S, E], error)
	CreateReader(ctx ReaderContext) (SourceReader[T, S], error)
	// SplitCodec and CheckpointCodec serialize splits and enumerator state
	// for checkpoints and for transport between JobManager and tasks.
	SplitCodec() codec.Codec[S]
	CheckpointCodec() codec.Codec[E]
}

// SourceEvent is a custom message between an enumerator and its readers.
type SourceEvent any

// ReaderInfo describes a registered reader.
type ReaderInfo struct {
	Subtask  int
	Location string
}

// SplitEnumerator discovers and assigns splits. All methods are called from
// the coordinator goroutine, one at a time.
type SplitEnumerator[S Split, E any] interface {
	Start() error
	// HandleSplitRequest answers a reader's request for work.
	HandleSplitRequest(subtask int, requesterHostname string)
	// AddSplitsBack returns splits of a failed reader since the last
	// successful checkpoint, to be reassigned.
	AddSplitsBack(splits []S, subtask int)
	// AddReader announces a newly registered reader.
	AddReader(subtask int)
	SnapshotState(checkpointID int64) (E, error)
	NotifyCheckpointComplete(checkpointID int64) error
	HandleSourceEvent(subtask int, ev SourceEvent)
	Close() error
}

// SplitEnumeratorContext is the enumerator's view of the coordinator.
type SplitEnumeratorContext[S Split] interface {
	CurrentParallelism() int
	RegisteredReaders() map[int]ReaderInfo
	// AssignSplits hands splits to readers (subtask -> splits).
	AssignSplits(assignment map[int][]S) error
	AssignSplit(split S, subtask int) error
	// SignalNoMoreSplits tells a reader it will get no more splits.
	SignalNoMoreSplits(subtask int) error
	SendEventToSourceReader(subtask int, ev SourceEvent) error
	// CallAsync runs callable off the coordinator goroutine (after
	// initialDelay, then every period if period > 0) and handler with its
	// result on the coordinator goroutine. Used for split discovery.
	CallAsync(callable func() (any, error), handler func(any, error) error, initialDelay, period time.Duration)
	// RunInCoordinatorThread runs fn on the coordinator goroutine.
	RunInCoordinatorThread(fn func() error)
	// Context is cancelled when the coordinator stops. CallAsync callables
	// that block (network calls) pass it on, so stopping the coordinator,
	// which waits for them, is not held up.
	Context() context.Context
	Config() *config.Configuration
}

// SourceReader reads splits in a subtask. All methods are called from the
// subtask goroutine and must not block: blocking I/O belongs in a fetcher
// (see SourceReaderBase).
type SourceReader[T any, S Split] interface {
	Start() error
	// PollNext emits available records (a bounded amount per call) to out.
	PollNext(out ReaderOutput[T]) (InputStatus, error)
	// IsAvailable returns a channel that is closed once PollNext may make
	// progress. A fresh channel is returned after it fired.
	IsAvailable() <-chan struct{}
	AddSplits(splits []S)
	NotifyNoMoreSplits()
	HandleSourceEvent(ev SourceEvent)
	// SnapshotState returns the unfinished splits with their progress.
	SnapshotState(checkpointID int64) ([]S, error)
	NotifyCheckpointComplete(checkpointID int64) error
	Close() error
}

// ReaderContext is the reader's view of its subtask.
type ReaderContext interface {
	SubtaskIndex() int
	Parallelism() int
	// SendSplitRequest asks the enumerator for a split.
	SendSplitRequest()
	SendSourceEventToCoordinator(ev SourceEvent)
	Config() *config.Configuration
	// Now is processing time in ms (injected in tests).
	Now() int64
}

// SourceOutput receives records of one split (or of the whole reader) with
// their timestamps; it runs the watermark generator of that split.
type SourceOutput[T any] interface {
	// Collect emits a record without a source timestamp (the strategy's
	// assigner may still assign one).
	Collect(v T)
	CollectWithTimestamp(v T, ts int64)
	EmitWatermark(wm int64)
	MarkIdle()
	MarkActive()
	// CollectSide emits v to the side output named tag (a stream
	// OutputTag's ID) with timestamp ts, e.g. records a source could not
	// decode. The consumer of the tag must expect v's type; without a
	// consumer the record is dropped. It does not feed the watermark
	// generator.
	CollectSide(tag string, v any, ts int64)
}

// ReaderOutput is the reader-wide output; readers with splits should emit
// through CreateOutputForSplit so each split gets its own watermarks.
type ReaderOutput[T any] interface {
	SourceOutput[T]
	CreateOutputForSplit(splitID string) SourceOutput[T]
	// ReleaseOutputForSplit drops a finished split's watermark so it no
	// longer holds back the reader's watermark.
	ReleaseOutputForSplit(splitID string)
}
