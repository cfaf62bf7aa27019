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
