package sink

import (
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
)

// Sink writes a stream to an external system (FLIP-143 unified sink).
type Sink[T any] interface {
	CreateWriter(ctx InitContext) (Writer[T], error)
}

// InitContext describes the subtask a writer runs in.
type InitContext interface {
	SubtaskIndex() int
	Parallelism() int
	// AttemptNumber counts restarts of this subtask (0 first).
	AttemptNumber() int
	Config() *config.Configuration
	// Now is processing time in ms (injected in tests).
	Now() int64
}

// RestoredContext is an InitContext that knows which checkpoint its
// subtask was restored from; the runtime's InitContext implements it. It
// is separate from InitContext so that test contexts need not implement
// it.
type RestoredContext interface {
	InitContext
	// RestoredCheckpointID is the checkpoint or savepoint the subtask's
	// state was restored from. ok is false on a fresh start, and after a
	// restore from a checkpoint that holds no state of the sink (a sink
	// added since, or one that is not two-phase: only those keep state).
	RestoredCheckpointID() (id int64, ok bool)
}

// RestoredCheckpointID returns what ctx says about the restored
// checkpoint, or false when ctx does not say (a fresh start or a context
// that is not a RestoredContext). Writers that name external resources by
// a counter (Kafka transactional ids) start it after this id, so that
// nothing a restored checkpoint refers to is reused.
func RestoredCheckpointID(ctx InitContext) (id int64, ok bool) {
	if rc, is := ctx.(RestoredContext); is {
		return rc.RestoredCheckpointID()
	}
	return 0, false
}

// Context is per-record information for Write.
type Context struct {
	// Timestamp is the record's event timestamp or eventtime.NoTimestamp.
	Timestamp int64
	// Watermark is the subtask's current watermark.
	Watermark int64
}

// Writer writes records. Called from one goroutine.
type Writer[T any] interface {
	Write(v T, ctx Context) error
	// Flush makes buffered records durable or visible as the writer's
	// guarantee allows; endOfInput is true at the end of a bounded stream.
	Flush(endOfInput bool) error
	Close() error
}

// CommittingWriter is the writer of a two-phase-commit sink: PrepareCommit
// returns what was pre-committed since the last call (e.g. finished files, a
// Kafka transaction), to be committed once the checkpoint holding it
// completes (or, without checkpointing, right away).
type CommittingWriter[T, C any] interface {
	Writer[T]
	PrepareCommit() ([]C, error)
}

// Committer makes pre-committed data visible. Commit must be idempotent: it
// is retried after failures and repeated after restores.
type Committer[C any] interface {
	Commit(committables []C) error
	Close() error
}

// TwoPhaseCommittingSink is a Sink with exactly-once output.
type TwoPhaseCommittingSink[T, C any] interface {
	Sink[T]
	CreateCommitter() (Committer[C], error)
	CommittableCodec() codec.Codec[C]
}
