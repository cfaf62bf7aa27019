package source

import (
	"fmt"
	"slices"

	"github.com/weirstream/weir/config"
)

// SourceReaderBase implements SourceReader[T, S] for sources whose reading
// blocks (Flink's SourceReaderBase): fetchers of a SplitFetcherManager run
// SplitReaders and fill a bounded queue; PollNext, on the subtask goroutine,
// takes one fetched batch per call, turns its elements into records with the
// RecordEmitter through the split's own SourceOutput, and keeps each split's
// mutable state SS. Sources wrap it (embedding it and overriding
// HandleSourceEvent or NotifyCheckpointComplete, e.g. to commit offsets).
//
// It reports EndOfInput once NotifyNoMoreSplits was called, every assigned
// split finished and the queue is drained.
type SourceReaderBase[E, T any, S Split, SS any] struct {
	// RequestSplitsWhenIdle makes the reader ask the enumerator for a split
	// whenever it has none (at Start and after its last split finished),
	// for pull-based enumerators like the file source's. Push-based ones
	// (Kafka) assign splits on their own and leave it false. Set it before
	// Start.
	RequestSplitsWhenIdle bool

	mgr             *SplitFetcherManager[E, S]
	emitter         RecordEmitter[E, T, SS]
	initSplitState  func(S) SS
	toSplit         func(splitID string, state SS) S
	onSplitFinished func(map[string]SS) error
	ctx             ReaderContext

	states map[string]SS
	// order lists unfinished split IDs in assignment order, so snapshots
	// are deterministic.
	order     []string
	noMore    bool
	requested bool
	// addErr is a failure to hand splits to the fetchers; AddSplits cannot
	// return it, so the next PollNext does.
	addErr error

	// The fetched batch being emitted: PollNext emits at most
	// emitLimit records per call, so the subtask serves its mailbox
	// (checkpoint triggers, timers) between chunks of a large batch.
	cur       RecordsWithSplitIDs[E]
	curSplit  string
	curState  SS
	curOut    SourceOutput[T]
	emitLimit int
}

// NewSourceReaderBase returns a reader fetching with mgr and emitting with
// emitter. initSplitState makes a split's mutable state when it is added,
// toSplit turns the state back into a split for snapshots, and
// onSplitFinished (may be nil) sees the final states of splits that ended.
// ctx is the reader's context (split requests, processing time).
func NewSourceReaderBase[E, T any, S Split, SS any](mgr *SplitFetcherManager[E, S], emitter RecordEmitter[E, T, SS], initSplitState func(S) SS, toSplit func(splitID string, state SS) S, onSplitFinished func(map[string]SS) error, ctx ReaderContext) *SourceReaderBase[E, T, S, SS] {
	return &SourceReaderBase[E, T, S, SS]{
		mgr:             mgr,
		emitter:         emitter,
		initSplitState:  initSplitState,
		toSplit:         toSplit,
		onSplitFinished: onSplitFinished,
		ctx:             ctx,
		states:          map[string]SS{},
		emitLimit:       RecordsPerPoll(ctx),
	}
}

// RecordsPerPoll is how many records a reader should emit at most in one
// PollNext: a subtask's output batch (execution.batch-size), so one poll
// pushes at most one batch per channel and a backpressured subtask still
// serves its mailbox (checkpoint triggers, timers) between polls.
func RecordsPerPoll(ctx ReaderContext) int {
	if ctx != nil {
		if n := config.Get(ctx.Config(), config.BatchSize); n > 0 {
			return n
		}
	}
	return config.BatchSize.Default()
}

// Start implements SourceReader.
func (r *SourceReaderBase[E, T, S, SS]) Start() error {
	r.maybeRequestSplit()
	return nil
}

func (r *SourceReaderBase[E, T, S, SS]) maybeRequestSplit() {
	if r.RequestSplitsWhenIdle && len(r.states) == 0 && !r.noMore && !r.requested {
		r.requested = true
		r.ctx.SendSplitRequest()
	}
}

// PollNext implements SourceReader: it emits at most one fetched batch.
func (r *SourceReaderBase[E, T, S, SS]) PollNext(out ReaderOutput[T]) (InputStatus, error) {
	// Reset before looking at the queue: a batch enqueued from here on fires
	// the fresh channel, so the caller's wait cannot miss it.
	r.mgr.avail.reset()
	if r.addErr != nil {
		return NothingAvailable, r.addErr
	}
	if err := r.mgr.err(); err != nil {
		return NothingAvailable, err
	}
	if r.cur == nil {
		select {
		case batch := <-r.mgr.queue:
			r.cur = batch
		default:
		}
	}
	if r.cur != nil {
		if err := r.emitSome(out); err != nil {
			return NothingAvailable, err
		}
	}
	if r.cur != nil || len(r.mgr.queue) > 0 {
		return MoreAvailable, nil
	}
	if r.noMore && len(r.states) == 0 {
		return EndOfInput, nil
	}
	r.mgr.shutdownIdleFetchers()
	r.maybeRequestSplit()
	return NothingAvailable, nil
}

// emitSome emits up to emitLimit records of the current batch; once the
// batch is exhausted it finishes its splits and clears it.
func (r *SourceReaderBase[E, T, S, SS]) emitSome(out ReaderOutput[T]) error {
	batch := r.cur
	for n := 0; n < r.emitLimit; {
		if r.curOut == nil {
			id, ok := batch.NextSplit()
			if !ok {
				break
			}
			st, ok := r.states[id]
			if !ok {
				return fmt.Errorf("source: fetched records for split %q, which is not assigned to this reader (or already finished)", id)
			}
			r.curSplit, r.curState, r.curOut = id, st, out.CreateOutputForSplit(id)
		}
		e, ok := batch.NextRecord()
		if !ok {
			r.curOut = nil
			continue
		}
		if err := r.emitter.Emit(e, r.curOut, r.curState); err != nil {
			return fmt.Errorf("source: emit record of split %q: %w", r.curSplit, err)
		}
		n++
	}
	if r.curOut != nil {
		return nil // the limit was reached: the batch goes on next time
	}
	r.cur = nil
	finished := batch.FinishedSplits()
	if len(finished) == 0 {
		return nil
	}
	done := make(map[string]SS, len(finished))
	for _, id := range finished {
		st, ok := r.states[id]
		if !ok {
			continue
		}
		done[id] = st
		delete(r.states, id)
		r.order = slices.DeleteFunc(r.order, func(x string) bool { return x == id })
		out.ReleaseOutputForSplit(id)
	}
	if r.onSplitFinished != nil && len(done) > 0 {
		if err := r.onSplitFinished(done); err != nil {
			return fmt.Errorf("source: on split finished: %w", err)
		}
	}
	return nil
}

// IsAvailable implements SourceReader: the channel fires when a fetcher
// enqueues a batch or fails, or when the reader's splits change.
func (r *SourceReaderBase[E, T, S, SS]) IsAvailable() <-chan struct{} {
	return r.mgr.avail.channel()
}

// AddSplits implements SourceReader. A split whose ID the reader already
// holds is ignored: it is being read.
func (r *SourceReaderBase[E, T, S, SS]) AddSplits(splits []S) {
	fresh := make([]S, 0, len(splits))
	for _, s := range splits {
		id := s.SplitID()
		if _, dup := r.states[id]; dup {
			continue
		}
		r.states[id] = r.initSplitState(s)
		r.order = append(r.order, id)
		fresh = append(fresh, s)
	}
	if len(fresh) == 0 {
		return
	}
	r.requested = false
	if err := r.mgr.addSplits(fresh); err != nil && r.addErr == nil {
		r.addErr = err
	}
	r.mgr.avail.signal()
}

// NotifyNoMoreSplits implements SourceReader.
func (r *SourceReaderBase[E, T, S, SS]) NotifyNoMoreSplits() {
	r.noMore = true
	r.mgr.avail.signal()
}

// HandleSourceEvent implements SourceReader; the base has no events of its
// own and ignores them.
func (r *SourceReaderBase[E, T, S, SS]) HandleSourceEvent(SourceEvent) {}

// SnapshotState implements SourceReader: the unfinished splits in
// assignment order, with the progress their states hold.
func (r *SourceReaderBase[E, T, S, SS]) SnapshotState(int64) ([]S, error) {
	out := make([]S, len(r.order))
	for i, id := range r.order {
		out[i] = r.toSplit(id, r.states[id])
	}
	return out, nil
}

// NotifyCheckpointComplete implements SourceReader; the base keeps nothing
// per checkpoint.
func (r *SourceReaderBase[E, T, S, SS]) NotifyCheckpointComplete(int64) error { return nil }

// NumSplits is the number of assigned, unfinished splits.
func (r *SourceReaderBase[E, T, S, SS]) NumSplits() int { return len(r.states) }

// Close implements SourceReader: it stops the fetchers, waking blocked
// fetches, and waits for them.
func (r *SourceReaderBase[E, T, S, SS]) Close() error {
	return r.mgr.Close()
}
