package checkpoint

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirstream/weir/snapshot"
)

// TaskID names one subtask: a vertex (operator chain) of the job graph and
// the subtask index within it.
type TaskID struct{ Vertex, Subtask int }

func (t TaskID) String() string { return fmt.Sprintf("%d/%d", t.Vertex, t.Subtask) }

// Event is an input of the Coordinator.
type Event interface{ isEvent() }

// JobRunning starts (or, after a restart, resumes) periodic checkpoints:
// the first is due one interval later. Every task counts as running again.
type JobRunning struct {
	// Restored describes the snapshot the job (re)started from, for the
	// statistics; nil for a fresh start.
	Restored *Restored
}

// Tick tells the coordinator the time has come that NextWakeup asked for:
// it expires overdue checkpoints and triggers a due one.
type Tick struct{}

// TriggerSavepoint asks for a savepoint into Dir (a directory location of
// its own, see Driver.Savepoint for how one is named). Stop makes it a
// stop-with-savepoint: the job ends once it completes; Drain, only with
// Stop, first advances event time to the end so every timer fires. The
// outcome is reported by a SavepointDone decision carrying Request.
type TriggerSavepoint struct {
	Request string
	Dir     string
	Stop    bool
	Drain   bool
}

// CoordinatorsSnapshotted delivers the states of the operator
// coordinators (source enumerators) for checkpoint ID, by operator UID,
// or the error that prevented them.
type CoordinatorsSnapshotted struct {
	ID     int64
	States map[string][]byte
	Err    error
}

// Ack reports that Task snapshotted for checkpoint ID and its state is
// durable. Operators holds one entry per stateful operator of the task's
// chain, each with the task's own SubtaskState as the only subtask.
type Ack struct {
	ID        int64
	Task      TaskID
	Operators []snapshot.OperatorState
}

// Decline reports that Task could not take part in checkpoint ID.
type Decline struct {
	ID   int64
	Task TaskID
	Err  error
}

// MetadataWritten reports the outcome of a WriteMetadata decision.
type MetadataWritten struct {
	ID  int64
	Err error
}

// EndOfData reports that Task processed all its input and emitted its last
// record; it stays running until a checkpoint taken after this completes
// (FLIP-147), so two-phase-commit sinks can commit everything.
type EndOfData struct{ Task TaskID }

// TaskFinished reports that Task ended for good. It no longer takes part
// in checkpoints: pending ones count it as acknowledged with no state.
type TaskFinished struct{ Task TaskID }

// StopCause says why the job stopped running.
type StopCause int

const (
	// StopRestart means the job fails over and will run again (a JobRunning
	// follows). Checkpoints are kept.
	StopRestart StopCause = iota
	// StopFinished means all tasks finished, or a stop-with-savepoint ended the
	// job.
	StopFinished
	// StopCanceled means the user cancelled the job.
	StopCanceled
	// StopFailed means the job failed for good (no more restarts).
	StopFailed
)

var stopNames = [...]string{"restart", "finished", "canceled", "failed"}

func (c StopCause) String() string {
	if int(c) < len(stopNames) {
		return stopNames[c]
	}
	return fmt.Sprintf("StopCause(%d)", int(c))
}

// JobStopped reports that the job's tasks stopped. Pending checkpoints are
// aborted. For a terminal cause (all but StopRestart) the coordinator is
// done, and retained checkpoints are discarded as the retention option
// says.
type JobStopped struct{ Cause StopCause }

func (JobRunning) isEvent()              {}
func (Tick) isEvent()                    {}
func (TriggerSavepoint) isEvent()        {}
func (CoordinatorsSnapshotted) isEvent() {}
func (Ack) isEvent()                     {}
func (Decline) isEvent()                 {}
func (MetadataWritten) isEvent()         {}
func (EndOfData) isEvent()               {}
func (TaskFinished) isEvent()            {}
func (JobStopped) isEvent()              {}

// Decision is an output of the Coordinator: something its driver does.
type Decision interface {
	isDecision()
	String() string
}

// SnapshotCoordinators asks for a snapshot of every operator coordinator
// for checkpoint ID, reported back with CoordinatorsSnapshotted.
type SnapshotCoordinators struct {
	ID        int64
	Kind      Kind
	Timestamp time.Time
}

// Barrier is what a triggered subtask needs to know about a checkpoint;
// it travels with the barrier.
type Barrier struct {
	ID int64
	// Timestamp is when the checkpoint was triggered.
	Timestamp time.Time
	Kind      Kind
	// Dir is where subtasks write their state files.
	Dir  string
	Mode Mode
	// Unaligned: snapshot on the first barrier and store overtaken
	// in-flight data. Never set for savepoints.
	Unaligned bool
	// AlignedTimeout, with Unaligned, is how long to align before
	// switching to unaligned; 0 means unaligned at once.
	AlignedTimeout time.Duration
	// Stop: a stop-with-savepoint; tasks end once it completes.
	Stop bool
	// Drain: with Stop, advance event time to the end first.
	Drain bool
}

// TriggerTasks makes Tasks snapshot and emit the barrier. They are the
// running tasks none of whose inputs is still running: the sources, and
// tasks whose upstream tasks all finished.
type TriggerTasks struct {
	Barrier Barrier
	Tasks   []TaskID
}

// WriteMetadata asks for Metadata to be written to Dir/_metadata, reported
// back with MetadataWritten.
type WriteMetadata struct {
	ID       int64
	Dir      string
	Metadata *Metadata
}

// NotifyComplete tells every task and operator coordinator that
// checkpoint ID completed (two-phase-commit sinks commit).
type NotifyComplete struct {
	ID   int64
	Kind Kind
}

// NotifyAborted tells every task and operator coordinator that checkpoint
// ID was aborted.
type NotifyAborted struct {
	ID     int64
	Reason error
}

// Discard deletes the checkpoint or savepoint directory Dir.
type Discard struct {
	ID  int64
	Dir string
}

// SavepointDone reports the outcome of TriggerSavepoint Request: the
// savepoint's location, or why it failed.
type SavepointDone struct {
	Request string
	ID      int64 // 0 if the savepoint was never triggered
	Path    string
	Err     error
}

// FailJob fails the job over (too many failed checkpoints).
type FailJob struct{ Err error }

func (SnapshotCoordinators) isDecision() {}
func (TriggerTasks) isDecision()         {}
func (WriteMetadata) isDecision()        {}
func (NotifyComplete) isDecision()       {}
func (NotifyAborted) isDecision()        {}
func (Discard) isDecision()              {}
func (SavepointDone) isDecision()        {}
func (FailJob) isDecision()              {}

// The String forms are compact and stable: logs and the transcript tests
// use them.

func (d SnapshotCoordinators) String() string {
	return fmt.Sprintf("snapshot-coordinators %d %s", d.ID, d.Kind)
}

func (d TriggerTasks) String() string {
	b := d.Barrier
	var flags []string
	if b.Mode == AtLeastOnce {
		flags = append(flags, "at-least-once")
	}
	if b.Unaligned {
		flags = append(flags, "unaligned")
		if b.AlignedTimeout > 0 {
			flags = append(flags, "aligned-timeout="+b.AlignedTimeout.String())
		}
	}
	if b.Stop {
		flags = append(flags, "stop")
	}
	if b.Drain {
		flags = append(flags, "drain")
	}
	s := fmt.Sprintf("trigger %d %s %s %v", b.ID, b.Kind, b.Dir, d.Tasks)
	if len(flags) > 0 {
		s += " " + strings.Join(flags, " ")
	}
	return s
}

func (d WriteMetadata) String() string {
	var ops []string
	for _, op := range d.Metadata.Operators {
		idx := make([]int, 0, len(op.Subtasks))
		for _, st := range op.Subtasks {
			idx = append(idx, st.Index)
		}
		s := fmt.Sprintf("%s%v", op.UID, idx)
		if op.Coordinator != nil {
			s += "+coord"
		}
		ops = append(ops, s)
	}
	s := fmt.Sprintf("write-metadata %d %s %s ops=[%s]", d.ID, d.Metadata.Kind, d.Dir, strings.Join(ops, " "))
	if len(d.Metadata.FinishedOperators) > 0 {
		s += fmt.Sprintf(" finished=%v", d.Metadata.FinishedOperators)
	}
	return s
}

func (d NotifyComplete) String() string { return fmt.Sprintf("notify-complete %d", d.ID) }

func (d NotifyAborted) String() string {
	return fmt.Sprintf("notify-aborted %d: %v", d.ID, d.Reason)
}

func (d Discard) String() string { return fmt.Sprintf("discard %d %s", d.ID, d.Dir) }

func (d SavepointDone) String() string {
	if d.Err != nil {
		return fmt.Sprintf("savepoint-done %s %d error: %v", d.Request, d.ID, d.Err)
	}
	return fmt.Sprintf("savepoint-done %s %d %s", d.Request, d.ID, d.Path)
}

func (d FailJob) String() string { return fmt.Sprintf("fail-job: %v", d.Err) }

// Errors the coordinator reports (as abort reasons, savepoint errors and
// job failures).
var (
	ErrExpired          = errors.New("checkpoint: expired before completing (execution.checkpointing.timeout)")
	ErrDeclined         = errors.New("checkpoint: declined by a task")
	ErrSubsumed         = errors.New("checkpoint: subsumed by a newer completed checkpoint")
	ErrJobStopped       = errors.New("checkpoint: job stopped")
	ErrJobFinished      = errors.New("checkpoint: all tasks finished")
	ErrStopping         = errors.New("checkpoint: periodic checkpoints suspended for stop-with-savepoint")
	ErrCoordinators     = errors.New("checkpoint: operator coordinators failed to snapshot")
	ErrPersist          = errors.New("checkpoint: writing metadata failed")
	ErrTooManyFailures  = errors.New("checkpoint: exceeded the tolerable number of failed checkpoints")
	ErrNoSavepointDir   = errors.New("checkpoint: no savepoint directory; give one with the request or set state.savepoints.dir")
	ErrNotRunning       = errors.New("checkpoint: job is not running")
	ErrStopInProgress   = errors.New("checkpoint: the job is already stopping with a savepoint")
	ErrTasksFinished    = errors.New("checkpoint: tasks have finished")
	ErrDrainWithoutStop = errors.New("checkpoint: drain applies only to stop-with-savepoint")
)

// sortTasks orders task IDs by vertex, then subtask.
func sortTasks(ts []TaskID) {
	slices.SortFunc(ts, func(a, b TaskID) int {
		if a.Vertex != b.Vertex {
			return a.Vertex - b.Vertex
		}
		return a.Subtask - b.Subtask
	})
}
