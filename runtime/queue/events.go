package queue

// Event is an in-band element that is not a record batch. Events keep their
// position relative to the data around them.
type Event interface{ isEvent() }

// Watermark carries event-time progress of one channel.
type Watermark struct{ Timestamp int64 }

// WatermarkStatus says the channel became idle (excluded from the minimum)
// or active again.
type WatermarkStatus struct{ Idle bool }

// EndOfPartition is the last element a producer sends on a channel.
type EndOfPartition struct{}

func (Watermark) isEvent()       {}
func (WatermarkStatus) isEvent() {}
func (EndOfPartition) isEvent()  {}
