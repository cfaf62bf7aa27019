package socket

import (
	"slices"

	"github.com/weirstream/weir/source"
)

// enumerator gives the one split to subtask 0 and tells every reader,
// subtask 0 included once it has the split, that no more will come.
type enumerator struct {
	ctx source.SplitEnumeratorContext[Split]
	// remaining holds the split until subtask 0 takes it.
	remaining []Split
	// signaled are the registered readers already told no more splits.
	signaled map[int]bool
}

func newEnumerator(ctx source.SplitEnumeratorContext[Split], remaining []Split) *enumerator {
	return &enumerator{ctx: ctx, remaining: slices.Clone(remaining), signaled: map[int]bool{}}
}

// Start implements source.SplitEnumerator.
func (e *enumerator) Start() error { return nil }

// AddReader implements source.SplitEnumerator: a reader gets its answer as
// soon as it registers, so readers other than 0 end at once.
func (e *enumerator) AddReader(subtask int) {
	// A registering reader is a new one (after a failure too), which
	// has not been told anything yet.
	delete(e.signaled, subtask)
	e.offer(subtask)
}

// HandleSplitRequest implements source.SplitEnumerator.
func (e *enumerator) HandleSplitRequest(subtask int, _ string) { e.offer(subtask) }

func (e *enumerator) offer(subtask int) {
	if subtask == 0 && len(e.remaining) > 0 {
		if err := e.ctx.AssignSplit(e.remaining[0], 0); err != nil {
			// Reader 0 is gone; its successor registers and gets the split.
			return
		}
		e.remaining = nil
	}
	if e.signaled[subtask] {
		return
	}
	if err := e.ctx.SignalNoMoreSplits(subtask); err == nil {
		e.signaled[subtask] = true
	}
}

// AddSplitsBack implements source.SplitEnumerator: the split of a failed
// reader 0 waits for its successor.
func (e *enumerator) AddSplitsBack(splits []Split, _ int) {
	e.remaining = append(e.remaining, splits...)
	if len(e.remaining) > 1 {
		e.remaining = e.remaining[:1]
	}
	if _, ok := e.ctx.RegisteredReaders()[0]; ok {
		delete(e.signaled, 0)
		e.offer(0)
	}
}

// SnapshotState implements source.SplitEnumerator.
func (e *enumerator) SnapshotState(int64) (EnumeratorState, error) {
	return EnumeratorState{Remaining: slices.Clone(e.remaining)}, nil
}

// NotifyCheckpointComplete implements source.SplitEnumerator.
func (e *enumerator) NotifyCheckpointComplete(int64) error { return nil }

// HandleSourceEvent implements source.SplitEnumerator; socket readers send
// no events.
func (e *enumerator) HandleSourceEvent(int, source.SourceEvent) {}

// Close implements source.SplitEnumerator.
func (e *enumerator) Close() error { return nil }
