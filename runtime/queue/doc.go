// Package queue holds weir's channels between subtasks: bounded queues of
// record batches and in-band events, and the input gate a subtask reads
// them through.
//
// They are not bare Go channels because a checkpoint barrier must be able to
// overtake queued data (unaligned checkpoints) and the overtaken data must
// be readable as channel state; a full queue blocks its producer, which is
// how backpressure travels upstream.
package queue
