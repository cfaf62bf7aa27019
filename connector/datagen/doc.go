// Package datagen is weir's data generator source, the counterpart of
// Flink's DataGeneratorSource and NumberSequenceSource: records are computed
// from their index by a user function, so the source is deterministic,
// replayable and needs no external system. It feeds demos, benchmarks and
// tests.
//
// The index space is cut into splits. A bounded source of count records
// cuts [0, count) at enumerator creation into one contiguous range per
// subtask (sizes differ by at most one; empty ranges are dropped). An
// unbounded source (count < 0) creates one endless split per subtask: the
// split of subtask k generates indexes k, k+p, k+2p, ... where p is the
// parallelism at creation, so together the subtasks cover every index once.
// A split's progress is the next index it will generate; a restored split
// continues from there, which makes the source exactly-once.
//
// WithRateLimit bounds the rate of the whole source; every reader gets an
// equal share. A throttled reader does not spin: PollNext reports
// NothingAvailable and a timer fires its IsAvailable channel when the next
// record is due.
package datagen
