// Package checkpoint is the job-level half of weir's checkpoints and
// savepoints: the options, the coordinator that decides when a checkpoint
// starts, completes or fails, the metadata that makes a checkpoint
// durable, and the storage it is written to. The task-level half (barrier
// alignment, snapshots of operators) lives in the runtime, which drives
// this package through a Driver and its Runtime interface.
//
// # The coordinator
//
// Coordinator is a pure state machine: Step(now, event) returns decisions
// and nothing else happens; it reads no clock and does no I/O, so tests
// replay transcripts of events against expected decisions. A checkpoint
// goes through three phases:
//
//  1. trigger: a periodic checkpoint when the interval has passed, the
//     min pause since the last one ended has passed, and fewer than
//     max-concurrent-checkpoints are pending; or a savepoint on request
//     (ignoring interval, min pause and the concurrency limit); or the
//     final checkpoint once every running task reported EndOfData. The
//     checkpoint takes the next ID of one sequence shared by checkpoints
//     and savepoints, which continues after a restore (Config.StartID).
//     Decision: SnapshotCoordinators.
//  2. CoordinatorsSnapshotted: the operator coordinators' states are in;
//     now the tasks that inject barriers are triggered (TriggerTasks):
//     the sources, and any running task whose inputs all finished.
//     Tasks answer with Ack (their state handles) or Decline. A task that
//     finished counts as acknowledged with no state (FLIP-147), and may
//     make its downstream tasks barrier injectors.
//  3. every task acked: WriteMetadata; MetadataWritten completes it:
//     NotifyComplete, older pending checkpoints are subsumed, retained
//     checkpoints beyond state.checkpoints.num-retained are discarded, a
//     savepoint's requester gets SavepointDone.
//
// A checkpoint fails when a task declines, the coordinators fail, the
// metadata write fails, or it expires (execution.checkpointing.timeout,
// checked on Tick; a checkpoint whose metadata is being written no longer
// expires, so a late write cannot resurrect a discarded directory).
// Failed checkpoints are discarded and counted; more consecutive failures
// than execution.checkpointing.tolerable-failed-checkpoints fail the job
// (FailJob). Savepoint failures are not counted. A stop-with-savepoint
// suspends periodic checkpoints (aborting pending ones) until it fails or
// the job ends. JobStopped aborts what is pending; when the job ends for
// good, the retention option decides whether retained checkpoints are
// deleted.
//
// Driver runs a Coordinator on one goroutine: it posts events, keeps a
// timer at Coordinator.NextWakeup, calls the Runtime for decisions that
// concern tasks and runs storage work on goroutines whose results come
// back as events.
//
// # Storage layout
//
// Storage goes through gocloud.dev/blob, so any bucket URL works: file://
// (the default, under the OS temp directory), mem:// (process memory,
// shared by name within the process), s3:// (with gocloud's query
// parameters for endpoint and region). Plain paths are file locations.
//
//	<state.checkpoints.dir>/<job-id>/chk-<n>/<state files>
//	<state.checkpoints.dir>/<job-id>/chk-<n>/_metadata
//	<state.savepoints.dir>/savepoint-<job-id[:6]>-<12 hex>/<state files>, _metadata
//
// Subtasks write their state files first; _metadata is written last, in
// one atomic blob write, and a directory counts as a checkpoint only once
// it has one. Recovery (Storage.Latest) takes the newest chk-<n> whose
// metadata reads back valid and falls back to older ones past incomplete,
// corrupt or too new ones, saying why.
//
// # Metadata format
//
// A _metadata file is the magic "WEIRMETA", a big-endian uint32 format
// version, a big-endian uint64 body length, the body (JSON of Metadata:
// per operator UID the coordinator state and, per subtask, list states
// and a handle to keyed state by key group, see package snapshot), and a
// CRC-32C of all that. Format versions:
//
//	1  the layout above.
//
// A reader rejects a newer version with ErrUnknownVersion ("upgrade
// weir") before checking anything else, and a damaged file (bad magic,
// length, checksum, JSON, or handles that do not add up) with ErrCorrupt.
// A change to the body that an older reader would misread needs a new
// version number.
package checkpoint
