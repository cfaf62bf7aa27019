// Package sink defines how a job writes its results (the unified sink of
// Flink's FLIP-143): a Writer per subtask and, for exactly-once output, a
// two-phase commit where writers pre-commit and a Committer publishes once
// the checkpoint that holds the pre-commit has completed.
package sink
