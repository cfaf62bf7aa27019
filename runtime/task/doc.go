// Package task runs one parallel subtask of a job: a chain of operators
// driven by a single goroutine with a mailbox.
//
// The goroutine alternates between mailbox actions (processing-time timers,
// calls from the coordinators) and input: batches from the subtask's input
// gate, or, for a source chain, the next poll of its reader. Chained
// operators call each other directly; a RecordWriter at the chain's end
// partitions records into batches (forward, rebalance, rescale, broadcast,
// shuffle, global, or by key group) and pushes them into the consumers'
// bounded queues, blocking when they are full, which is how backpressure
// reaches the sources. The valve combines the watermarks and idleness of
// the input channels, as Flink's StatusWatermarkValve does.
//
// A failing operator ends the subtask with an OperatorError that names the
// operator and subtask; panics in user code become ErrPanic errors with the
// stack.
package task
