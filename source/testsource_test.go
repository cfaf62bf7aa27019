package source

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
)

// rangeSplit is the test sources' split: the numbers [Next, End). An
// unbounded split (End < 0) never ends and never produces records past Next
// in the range reader: it models a partition without new data.
type rangeSplit struct {
	ID   string
	Next int64
	End  int64
}

func (s rangeSplit) SplitID() string { return s.ID }

// rangeState is the mutable per-split state of the SourceReaderBase tests.
type rangeState struct {
	Next, End int64
}

func makeSplits(n int, size int64) []rangeSplit {
	out := make([]rangeSplit, n)
	for i := range out {
		out[i] = rangeSplit{ID: fmt.Sprintf("r%d", i), Next: int64(i) * size, End: int64(i+1) * size}
	}
	return out
}

// rangeRecord is what the range reader fetches: a number and its split.
type rangeRecord struct {
	split string
	n     int64
}

// rangeReader is a SplitReader over in-memory ranges: each Fetch returns up
// to batch numbers of its first split, and reports the split finished in
// the batch that returns its last number. With no splits, or only
// unbounded ones, Fetch blocks until its context is done.
type rangeReader struct {
	batch int
	// failAt makes Fetch fail when it would return this number (-1: never).
	failAt int64
	// delay slows every fetch, so tests see interleavings.
	delay time.Duration

	splits []rangeSplit
	// Optional counters shared with the test.
	closed  *atomic.Int32
	wakes   *atomic.Int32
	fetches *atomic.Int32
}

func (r *rangeReader) HandleSplitsChanges(added []rangeSplit) {
	r.splits = append(r.splits, added...)
}

func (r *rangeReader) Fetch(ctx context.Context) (RecordsWithSplitIDs[rangeRecord], error) {
	if r.fetches != nil {
		r.fetches.Add(1)
	}
	if r.delay > 0 {
		t := time.NewTimer(r.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	i := slices.IndexFunc(r.splits, func(s rangeSplit) bool { return s.End >= 0 })
	if i < 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	sp := &r.splits[i]
	var recs RecordsBySplits[rangeRecord]
	for k := 0; k < r.batch && sp.Next < sp.End; k++ {
		if sp.Next == r.failAt {
			return nil, fmt.Errorf("disk on fire at %d", sp.Next)
		}
		recs.Add(sp.ID, rangeRecord{sp.ID, sp.Next})
		sp.Next++
	}
	if sp.Next >= sp.End {
		recs.AddFinishedSplit(sp.ID)
		r.splits = slices.Delete(r.splits, i, i+1)
	}
	return &recs, nil
}

func (r *rangeReader) WakeUp() {
	if r.wakes != nil {
		r.wakes.Add(1)
	}
}

func (r *rangeReader) Close() error {
	if r.closed != nil {
		r.closed.Add(1)
	}
	return nil
}

// rangeEmitter emits a number with itself as timestamp and advances the
// split state past it.
var rangeEmitter = RecordEmitterFunc[rangeRecord, int64, *rangeState](func(e rangeRecord, out SourceOutput[int64], st *rangeState) error {
	if e.n != st.Next {
		return fmt.Errorf("split %s: got %d, want %d", e.split, e.n, st.Next)
	}
	out.CollectWithTimestamp(e.n, e.n)
	st.Next = e.n + 1
	return nil
})

func initRangeState(s rangeSplit) *rangeState { return &rangeState{Next: s.Next, End: s.End} }

func rangeToSplit(id string, st *rangeState) rangeSplit {
	return rangeSplit{ID: id, Next: st.Next, End: st.End}
}

// enumState is the test enumerator's checkpoint.
type enumState struct {
	Remaining []rangeSplit
}

// memSource is the in-memory test source: a pull-based enumerator over a
// fixed list of range splits and readers built on SourceReaderBase with the
// range reader. Fields configure it; zero values give sensible defaults.
type memSource struct {
	splits   []rangeSplit
	perSplit bool
	batch    int
	delay    time.Duration
	queueCap int

	mu    sync.Mutex
	enums []*memEnumerator
}

func (s *memSource) Boundedness() Boundedness { return Bounded }

func (s *memSource) CreateEnumerator(ctx SplitEnumeratorContext[rangeSplit]) (SplitEnumerator[rangeSplit, enumState], error) {
	return s.RestoreEnumerator(ctx, enumState{Remaining: slices.Clone(s.splits)})
}

func (s *memSource) RestoreEnumerator(ctx SplitEnumeratorContext[rangeSplit], cp enumState) (SplitEnumerator[rangeSplit, enumState], error) {
	e := &memEnumerator{ctx: ctx, remaining: slices.Clone(cp.Remaining)}
	s.mu.Lock()
	s.enums = append(s.enums, e)
	s.mu.Unlock()
	return e, nil
}

// enumerator returns the last enumerator created, for coordinator barriers.
func (s *memSource) enumerator() *memEnumerator {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.enums) == 0 {
		return nil
	}
	return s.enums[len(s.enums)-1]
}

func (s *memSource) CreateReader(ctx ReaderContext) (SourceReader[int64, rangeSplit], error) {
	newReader := func() SplitReader[rangeRecord, rangeSplit] {
		return &rangeReader{batch: max(s.batch, 1), failAt: -1, delay: s.delay}
	}
	var mgr *SplitFetcherManager[rangeRecord, rangeSplit]
	if s.perSplit {
		mgr = NewPerSplitFetcherManager(newReader, max(s.queueCap, 1))
	} else {
		mgr = NewSingleThreadFetcherManager(newReader, max(s.queueCap, 1))
	}
	r := NewSourceReaderBase(mgr, rangeEmitter, initRangeState, rangeToSplit, nil, ctx)
	r.RequestSplitsWhenIdle = true
	return r, nil
}

func (s *memSource) SplitCodec() codec.Codec[rangeSplit]     { return codec.JSON[rangeSplit]{} }
func (s *memSource) CheckpointCodec() codec.Codec[enumState] { return codec.JSON[enumState]{} }

// memEnumerator hands out one split per request, and no-more-splits when
// it has none left. A split it fails to assign stays for the next request.
type memEnumerator struct {
	ctx       SplitEnumeratorContext[rangeSplit]
	remaining []rangeSplit
	addedBack []rangeSplit // every split AddSplitsBack returned, for tests
}

func (e *memEnumerator) Start() error { return nil }

func (e *memEnumerator) HandleSplitRequest(subtask int, _ string) {
	if len(e.remaining) == 0 {
		_ = e.ctx.SignalNoMoreSplits(subtask)
		return
	}
	if err := e.ctx.AssignSplit(e.remaining[0], subtask); err != nil {
		return
	}
	e.remaining = e.remaining[1:]
}

func (e *memEnumerator) AddSplitsBack(splits []rangeSplit, _ int) {
	e.remaining = append(e.remaining, splits...)
	e.addedBack = append(e.addedBack, splits...)
}

func (e *memEnumerator) AddReader(int) {}

func (e *memEnumerator) SnapshotState(int64) (enumState, error) {
	return enumState{Remaining: slices.Clone(e.remaining)}, nil
}

func (e *memEnumerator) NotifyCheckpointComplete(int64) error { return nil }

func (e *memEnumerator) HandleSourceEvent(int, SourceEvent) {}

func (e *memEnumerator) Close() error { return nil }

// barrier waits until the coordinator processed everything queued before
// it, by running a no-op on the coordinator goroutine.
func (e *memEnumerator) barrier(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	e.ctx.RunInCoordinatorThread(func() error { close(done); return nil })
	waitFor(t, done, "coordinator barrier")
}

// waitFor fails the test if ch does not fire within 5 s.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		t.Fatalf("timed out waiting for %s", what)
	}
}

// eventually polls cond until it holds or 5 s passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkGoroutines returns a check that fails the test when goroutines
// started after the call are still running (given 2 s to exit). Tests using
// it must not run in parallel.
func checkGoroutines(t *testing.T) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("%d goroutines leaked:\n%s", runtime.NumGoroutine()-before, buf[:n])
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// mailbox is a test subtask's queue of work, in the order posted.
type mailbox struct {
	mu     sync.Mutex
	items  []func() error
	signal chan struct{}
}

func newMailbox() *mailbox { return &mailbox{signal: make(chan struct{}, 1)} }

func (m *mailbox) post(fn func() error) {
	m.mu.Lock()
	m.items = append(m.items, fn)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

func (m *mailbox) take() []func() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.items
	m.items = nil
	return out
}

var errStopSubtask = errors.New("test: stop subtask")

// runSubtask is a miniature task loop: mail first, then one EmitNext,
// waiting on availability or mail when nothing is available. It returns
// nil at end of input (after Finish), errStopSubtask when mail asked it to
// stop, or the first error. It always closes op.
func runSubtask(op *Operator[int64], mb *mailbox) (err error) {
	defer func() {
		if cerr := op.Close(); err == nil {
			err = cerr
		}
	}()
	for {
		for _, fn := range mb.take() {
			if err := fn(); err != nil {
				return err
			}
		}
		st, err := op.EmitNext()
		if err != nil {
			return err
		}
		switch st {
		case NothingAvailable:
			select {
			case <-op.Available():
			case <-mb.signal:
			}
		case EndOfInput:
			return op.Finish()
		}
	}
}

func testConfig(t *testing.T, kv ...string) *config.Configuration {
	t.Helper()
	c := config.New()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := c.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
