// Package print is Flink's PrintSink: a sink for debugging and examples that
// writes every record as one line, fmt.Sprint(v), to standard output (or
// standard error).
//
// Lines carry Flink's PrintSinkOutputWriter prefix, so output of a parallel
// job says which subtask printed it:
//
//	parallelism 1, no identifier:   value
//	parallelism 2+, no identifier:  3> value        (subtask index + 1)
//	parallelism 1, identifier id:   id> value
//	parallelism 2+, identifier id:  id:3> value
//
// Every line is written with one write under a lock shared by all print
// sinks of the process that target the same stream, so lines of concurrent
// subtasks never interleave. Lines are written as records arrive, not held
// back until a checkpoint, since the point of the sink is to watch a job.
package print
