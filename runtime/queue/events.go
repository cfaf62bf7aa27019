package queue

// Event is an in-band element that is not a record batch. Events keep their
// position relative to the data around them.
type Event interface{ isEvent() }

// Watermark carries event-time progress of one channel.
type Watermark struct{ Timestamp int64 }

// WatermarkStatus says the channel became idle (excluded from the minimum)
// or active again.
type WatermarkStatus struct{ Idle bool }

// EndOfData says the producer emitted its last record on the channel.
// The channel stays open for checkpoint barriers until EndOfPartition, so
// a final checkpoint can commit what the last records produced.
type EndOfData struct{}

// EndOfPartition is the last element a producer sends on a channel.
type EndOfPartition struct{}

// Barrier is a checkpoint barrier: everything before it on a channel
// belongs to checkpoint ID, everything after it to later ones.
type Barrier struct {
	ID int64
	// Timestamp is when the checkpoint was triggered (ms since the epoch).
	Timestamp int64
	// Savepoint marks a savepoint barrier.
	Savepoint bool
	// Stop marks a stop-with-savepoint: after their snapshot, sources emit
	// nothing more, and every task ends once the savepoint completes (or
	// resumes if it is aborted).
	Stop bool
	// Drain, with Stop, ends the input first: sources finish, emitting the
	// final watermark, so every window and timer fires before the savepoint.
	Drain bool
	// Unaligned: the barrier overtakes queued data (Queue.PushBarrier), and
	// consumers snapshot on its first arrival, recording the data it
	// overtook and the data of channels whose barrier is still on its way
	// as part of the checkpoint.
	Unaligned bool
	// AlignedTimeout, for an aligned barrier, is how long (ms from
	// Timestamp) a consumer aligns before it turns the checkpoint
	// unaligned; 0 never.
	AlignedTimeout int64
	// Overtaken is set by Queue.PushBarrier: how many elements were queued
	// ahead of the barrier when it overtook them.
	Overtaken int
}

// CancelBarrier tells the consumer that checkpoint ID was aborted, so it
// stops aligning for it (Flink's CancelCheckpointMarker).
type CancelBarrier struct{ ID int64 }

func (Watermark) isEvent()       {}
func (WatermarkStatus) isEvent() {}
func (EndOfData) isEvent()       {}
func (EndOfPartition) isEvent()  {}
func (Barrier) isEvent()         {}
func (CancelBarrier) isEvent()   {}
