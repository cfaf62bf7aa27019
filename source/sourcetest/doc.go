// Package sourcetest holds test helpers for FLIP-27 sources: run a source's
// coordinator and readers in-process, check exactly-once, checkpoint and
// restore.
//
// Two levels are offered:
//
//   - Job runs a whole source the way the runtime does: one
//     source.Coordinator hosting the enumerator and one source.Operator per
//     subtask, each subtask on its own goroutine with a mailbox for
//     coordinator events and Execute calls, and a wall-clock
//     processing-time service. Job.Checkpoint takes a consistent checkpoint
//     and Options.Restore starts a new job from it, so a test can prove that
//     records before the checkpoint plus records after the restore are the
//     input exactly once (CheckExactlyOnce).
//   - EnumContext, ReaderContext and ReaderOutput stand in for the
//     coordinator and the operator when a test drives an enumerator or a
//     reader by hand and inspects every assignment, request and record.
//
// The package imports source, so the source package's own in-package tests
// cannot use it (that would be an import cycle); connectors and external
// tests can.
package sourcetest
