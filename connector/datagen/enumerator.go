package datagen

import (
	"slices"

	"github.com/weirstream/weir/source"
)

// enumerator hands the fixed set of splits out on request. Splits never
// appear after creation, so a request it cannot serve is answered with
// no-more-splits.
type enumerator struct {
	ctx source.SplitEnumeratorContext[Split]
	// remaining are the unassigned splits, in creation order.
	remaining []Split
	// preferred maps a split ID to the subtask it is meant for; a request
	// from that subtask takes it before any other split.
	preferred map[string]int
}

func newEnumerator(ctx source.SplitEnumeratorContext[Split], splits []Split) *enumerator {
	return &enumerator{ctx: ctx, remaining: slices.Clone(splits), preferred: map[string]int{}}
}

// Start implements source.SplitEnumerator; the splits exist already.
func (e *enumerator) Start() error { return nil }

// HandleSplitRequest implements source.SplitEnumerator.
func (e *enumerator) HandleSplitRequest(subtask int, _ string) {
	if len(e.remaining) == 0 {
		// An error means the reader is gone; its successor asks again.
		_ = e.ctx.SignalNoMoreSplits(subtask)
		return
	}
	i := e.pick(subtask)
	sp := e.remaining[i]
	e.remaining = slices.Delete(e.remaining, i, i+1)
	if err := e.ctx.AssignSplit(sp, subtask); err != nil {
		// The reader went away between its request and the answer; keep the
		// split for its next attempt rather than lose it.
		e.remaining = append(e.remaining, sp)
		e.preferred[sp.ID] = subtask
		return
	}
	delete(e.preferred, sp.ID)
}

// pick prefers the split meant for subtask, then one meant for nobody
// registered, then the first.
func (e *enumerator) pick(subtask int) int {
	for i, sp := range e.remaining {
		if p, ok := e.preferred[sp.ID]; ok && p == subtask {
			return i
		}
	}
	registered := e.ctx.RegisteredReaders()
	for i, sp := range e.remaining {
		p, ok := e.preferred[sp.ID]
		if !ok {
			return i
		}
		if _, reg := registered[p]; !reg {
			return i
		}
	}
	return 0
}

// AddSplitsBack implements source.SplitEnumerator: the splits of a failed
// reader go back to the pool, meant again for the same subtask.
func (e *enumerator) AddSplitsBack(splits []Split, subtask int) {
	for _, sp := range splits {
		e.remaining = append(e.remaining, sp)
		e.preferred[sp.ID] = subtask
	}
}

// AddReader implements source.SplitEnumerator; readers ask for splits
// themselves.
func (e *enumerator) AddReader(int) {}

// SnapshotState implements source.SplitEnumerator.
func (e *enumerator) SnapshotState(int64) (EnumeratorState, error) {
	return EnumeratorState{Remaining: slices.Clone(e.remaining)}, nil
}

// NotifyCheckpointComplete implements source.SplitEnumerator.
func (e *enumerator) NotifyCheckpointComplete(int64) error { return nil }

// HandleSourceEvent implements source.SplitEnumerator; datagen readers
// send no events.
func (e *enumerator) HandleSourceEvent(int, source.SourceEvent) {}

// Close implements source.SplitEnumerator.
func (e *enumerator) Close() error { return nil }
