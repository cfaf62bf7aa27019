package source

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/weirstream/weir/internal/stopctx"
)

// RecordsWithSplitIDs is one batch a SplitReader fetched: records grouped by
// split, plus the splits that ended. The reader goroutine iterates it:
// NextSplit moves to the next split with records, NextRecord returns that
// split's records in order until it reports false. FinishedSplits lists the
// splits that have no records after this batch; it must return the same IDs
// however far the batch was iterated (the fetcher reads it too, before the
// reader). A batch is handed from the fetcher to the reader goroutine and
// then used only there.
type RecordsWithSplitIDs[E any] interface {
	NextSplit() (splitID string, ok bool)
	NextRecord() (E, bool)
	FinishedSplits() []string
}

// SplitReader does the blocking I/O of a source on a fetcher goroutine
// (Flink's SplitReader). Fetch and HandleSplitsChanges are called from that
// goroutine only.
type SplitReader[E any, S Split] interface {
	// Fetch blocks until it has records or finished splits, and returns them.
	// It must return promptly once ctx is done, which is how the fetcher
	// interrupts it to hand over new splits or to shut down; it then returns
	// what it has, or (nil, nil), or (nil, ctx.Err()). A woken Fetch must not
	// drop records it already consumed from its splits. Any other error fails
	// the source reader.
	Fetch(ctx context.Context) (RecordsWithSplitIDs[E], error)
	// HandleSplitsChanges adds splits to read.
	HandleSplitsChanges(added []S)
	// WakeUp is called, in addition to cancelling Fetch's ctx, while a Fetch
	// runs, from another goroutine. Readers that block in calls that take no
	// context use it to unblock them; others leave it empty. It must not
	// block.
	WakeUp()
	// Close releases the reader's resources; it is called once, on the
	// fetcher goroutine, after the last Fetch.
	Close() error
}

// RecordEmitter turns a fetched element into output records (Flink's
// RecordEmitter) and advances the split's state, e.g. to the offset after e,
// so a snapshot taken after Emit resumes after e. SS is usually a pointer so
// the update is visible to the reader. Emit runs on the subtask goroutine.
type RecordEmitter[E any, T any, SS any] interface {
	Emit(e E, out SourceOutput[T], splitState SS) error
}

// RecordEmitterFunc adapts a function to RecordEmitter.
type RecordEmitterFunc[E any, T any, SS any] func(e E, out SourceOutput[T], splitState SS) error

// Emit implements RecordEmitter.
func (f RecordEmitterFunc[E, T, SS]) Emit(e E, out SourceOutput[T], splitState SS) error {
	return f(e, out, splitState)
}

// RecordsBySplits is a RecordsWithSplitIDs a SplitReader fills: records are
// kept per split, splits iterate in the order they first got a record.
type RecordsBySplits[E any] struct {
	ids      []string
	recs     map[string][]E
	finished []string
	cur      []E // records of the current split not yet returned
	next     int // index into ids of the split after the current one
}

// Add appends a record of splitID.
func (r *RecordsBySplits[E]) Add(splitID string, e E) {
	if r.recs == nil {
		r.recs = map[string][]E{}
	}
	if _, ok := r.recs[splitID]; !ok {
		r.ids = append(r.ids, splitID)
	}
	r.recs[splitID] = append(r.recs[splitID], e)
}

// AddFinishedSplit marks splitID as ended after this batch's records.
func (r *RecordsBySplits[E]) AddFinishedSplit(splitID string) {
	r.finished = append(r.finished, splitID)
}

// Empty reports whether the batch has neither records nor finished splits.
func (r *RecordsBySplits[E]) Empty() bool { return len(r.ids) == 0 && len(r.finished) == 0 }

// NextSplit implements RecordsWithSplitIDs.
func (r *RecordsBySplits[E]) NextSplit() (string, bool) {
	if r.next >= len(r.ids) {
		r.cur = nil
		return "", false
	}
	id := r.ids[r.next]
	r.next++
	r.cur = r.recs[id]
	return id, true
}

// NextRecord implements RecordsWithSplitIDs.
func (r *RecordsBySplits[E]) NextRecord() (E, bool) {
	if len(r.cur) == 0 {
		var zero E
		return zero, false
	}
	e := r.cur[0]
	r.cur = r.cur[1:]
	return e, true
}

// FinishedSplits implements RecordsWithSplitIDs.
func (r *RecordsBySplits[E]) FinishedSplits() []string { return r.finished }

// SplitFetcherManager runs the fetchers of one source reader and the
// bounded queue they fill (Flink's SplitFetcherManager). The single-thread
// manager multiplexes all splits over one fetcher and SplitReader; the
// per-split manager gives every split its own. Fetchers with no splits left
// are shut down while the reader idles and started again on demand. A
// manager belongs to the one SourceReaderBase it is passed to, which adds
// the splits and closes it.
type SplitFetcherManager[E any, S Split] struct {
	newReader func() SplitReader[E, S]
	perSplit  bool

	// queue holds fetched batches, bounded so slow emission pushes back on
	// fetching.
	queue chan RecordsWithSplitIDs[E]
	avail *availability
	// wg counts fetcher goroutines; Close waits for them.
	wg sync.WaitGroup

	// mu guards the fetcher set and the errors fetchers report.
	mu struct {
		sync.Mutex
		fetchers  map[int]*SplitFetcher[E, S]
		nextID    int
		fetchErr  error
		closeErrs []error
		closed    bool
	}
}

// NewSingleThreadFetcherManager returns a manager that reads all splits with
// one SplitReader on one goroutine; queueCapacity bounds the batches waiting
// for the reader (at least 1).
func NewSingleThreadFetcherManager[E any, S Split](newReader func() SplitReader[E, S], queueCapacity int) *SplitFetcherManager[E, S] {
	return newFetcherManager(newReader, queueCapacity, false)
}

// NewPerSplitFetcherManager returns a manager that reads every split with
// its own SplitReader on its own goroutine.
func NewPerSplitFetcherManager[E any, S Split](newReader func() SplitReader[E, S], queueCapacity int) *SplitFetcherManager[E, S] {
	return newFetcherManager(newReader, queueCapacity, true)
}

func newFetcherManager[E any, S Split](newReader func() SplitReader[E, S], queueCapacity int, perSplit bool) *SplitFetcherManager[E, S] {
	m := &SplitFetcherManager[E, S]{
		newReader: newReader,
		perSplit:  perSplit,
		queue:     make(chan RecordsWithSplitIDs[E], max(queueCapacity, 1)),
		avail:     newAvailability(),
	}
	m.mu.fetchers = map[int]*SplitFetcher[E, S]{}
	return m
}

// ErrFetcherManagerClosed is returned when splits are added after Close.
var ErrFetcherManagerClosed = errors.New("source: split fetcher manager is closed")

// addSplits hands splits to a fetcher, starting one if needed. It does not
// block on fetching. Only the SourceReaderBase that owns the manager adds
// splits, since it must know their states before their records arrive.
func (m *SplitFetcherManager[E, S]) addSplits(splits []S) error {
	if len(splits) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return ErrFetcherManagerClosed
	}
	if m.perSplit {
		for _, s := range splits {
			m.startFetcherLocked([]S{s})
		}
		return nil
	}
	for _, f := range m.mu.fetchers {
		if f.addSplits(splits) {
			return nil
		}
	}
	m.startFetcherLocked(splits)
	return nil
}

func (m *SplitFetcherManager[E, S]) startFetcherLocked(splits []S) {
	f := &SplitFetcher[E, S]{id: m.mu.nextID, reader: m.newReader(), m: m, stop: stopctx.New(), wake: make(chan struct{}, 1)}
	f.mu.assigned = map[string]struct{}{}
	m.mu.nextID++
	m.mu.fetchers[f.id] = f
	f.addSplits(splits)
	m.wg.Add(1)
	go f.run()
}

// NumFetchers is the number of running fetchers.
func (m *SplitFetcherManager[E, S]) NumFetchers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mu.fetchers)
}

// err returns the first fetch error, which fails the reader.
func (m *SplitFetcherManager[E, S]) err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.fetchErr
}

// fetcherExited records how a fetcher ended and forgets it.
func (m *SplitFetcherManager[E, S]) fetcherExited(f *SplitFetcher[E, S], fetchErr, closeErr error) {
	m.mu.Lock()
	if m.mu.fetchers[f.id] == f {
		delete(m.mu.fetchers, f.id)
	}
	if fetchErr != nil && m.mu.fetchErr == nil {
		m.mu.fetchErr = fetchErr
	}
	if closeErr != nil {
		m.mu.closeErrs = append(m.mu.closeErrs, fmt.Errorf("source: close split reader of fetcher %d: %w", f.id, closeErr))
	}
	m.mu.Unlock()
	if fetchErr != nil {
		m.avail.signal()
	}
}

// shutdownIdleFetchers stops fetchers that have no splits and no work, so
// finished splits free their goroutine and SplitReader. It does not wait.
func (m *SplitFetcherManager[E, S]) shutdownIdleFetchers() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, f := range m.mu.fetchers {
		if f.shutdownIfIdle() {
			delete(m.mu.fetchers, id)
		}
	}
}

// Close shuts every fetcher down, waking any blocked Fetch, waits for their
// goroutines and returns the errors of closing their SplitReaders.
func (m *SplitFetcherManager[E, S]) Close() error {
	m.mu.Lock()
	m.mu.closed = true
	fetchers := make([]*SplitFetcher[E, S], 0, len(m.mu.fetchers))
	for _, f := range m.mu.fetchers {
		fetchers = append(fetchers, f)
	}
	clear(m.mu.fetchers)
	m.mu.Unlock()
	for _, f := range fetchers {
		f.shutdown()
	}
	m.wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	return errors.Join(m.mu.closeErrs...)
}

// SplitFetcher runs one SplitReader on its own goroutine (Flink's
// SplitFetcher): it applies queued split additions, fetches, and hands
// batches to its manager's queue. Split additions and shutdown interrupt a
// running Fetch.
type SplitFetcher[E any, S Split] struct {
	id     int
	reader SplitReader[E, S]
	m      *SplitFetcherManager[E, S]
	// stop ends the fetcher: it unblocks parking and queue hand-off.
	stop *stopctx.Context
	// wake has a token when tasks or shutdown may need the parked loop.
	wake chan struct{}

	// mu guards the task queue and the fetcher's state.
	mu struct {
		sync.Mutex
		tasks [][]S
		// assigned are the IDs of splits added and not reported finished.
		assigned map[string]struct{}
		// fetch is the running Fetch's context, nil between fetches.
		fetch    *stopctx.Context
		parked   bool
		shutdown bool
	}
}

// addSplits queues splits for the reader and interrupts a running Fetch so
// they are picked up promptly. It reports false if the fetcher is shut down.
func (f *SplitFetcher[E, S]) addSplits(splits []S) bool {
	f.mu.Lock()
	if f.mu.shutdown {
		f.mu.Unlock()
		return false
	}
	f.mu.tasks = append(f.mu.tasks, splits)
	for _, s := range splits {
		f.mu.assigned[s.SplitID()] = struct{}{}
	}
	f.wakeUpLocked()
	f.mu.Unlock()
	f.poke()
	return true
}

// wakeUpLocked interrupts a running Fetch; the fetcher then continues with
// its tasks and fetches again.
func (f *SplitFetcher[E, S]) wakeUpLocked() {
	if f.mu.fetch != nil {
		f.mu.fetch.Stop()
		f.reader.WakeUp()
	}
}

func (f *SplitFetcher[E, S]) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// shutdown stops the fetcher without waiting for its goroutine; the
// manager's Close waits.
func (f *SplitFetcher[E, S]) shutdown() {
	f.mu.Lock()
	f.mu.shutdown = true
	f.wakeUpLocked()
	f.mu.Unlock()
	f.stop.Stop()
}

// shutdownIfIdle shuts the fetcher down if it is parked with no splits and
// no tasks, and reports whether it did. A parked fetcher holds no batch, so
// nothing fetched is lost.
func (f *SplitFetcher[E, S]) shutdownIfIdle() bool {
	f.mu.Lock()
	idle := f.mu.parked && len(f.mu.tasks) == 0 && len(f.mu.assigned) == 0
	if idle {
		f.mu.shutdown = true
	}
	f.mu.Unlock()
	if idle {
		f.stop.Stop()
	}
	return idle
}

func (f *SplitFetcher[E, S]) run() {
	defer f.m.wg.Done()
	fetchErr := f.loop()
	f.mu.Lock()
	f.mu.shutdown = true
	f.mu.Unlock()
	closeErr := f.reader.Close()
	f.m.fetcherExited(f, fetchErr, closeErr)
}

func (f *SplitFetcher[E, S]) loop() error {
	for {
		f.mu.Lock()
		for len(f.mu.tasks) == 0 && len(f.mu.assigned) == 0 && !f.mu.shutdown {
			f.mu.parked = true
			f.mu.Unlock()
			select {
			case <-f.wake:
			case <-f.stop.Done():
			}
			f.mu.Lock()
			f.mu.parked = false
		}
		if f.mu.shutdown {
			f.mu.Unlock()
			return nil
		}
		if tasks := f.mu.tasks; len(tasks) > 0 {
			f.mu.tasks = nil
			f.mu.Unlock()
			for _, added := range tasks {
				f.reader.HandleSplitsChanges(added)
			}
			continue
		}
		fc := stopctx.New()
		f.mu.fetch = fc
		f.mu.Unlock()

		recs, err := f.reader.Fetch(fc)

		f.mu.Lock()
		f.mu.fetch = nil
		shutdown := f.mu.shutdown
		f.mu.Unlock()
		if shutdown {
			return nil
		}
		if err != nil {
			if fc.Err() != nil && errors.Is(err, context.Canceled) {
				continue
			}
			return fmt.Errorf("source: split fetcher %d: %w", f.id, err)
		}
		if recs == nil {
			continue
		}
		if finished := recs.FinishedSplits(); len(finished) > 0 {
			f.mu.Lock()
			for _, id := range finished {
				delete(f.mu.assigned, id)
			}
			f.mu.Unlock()
		}
		select {
		case f.m.queue <- recs:
			f.m.avail.signal()
		case <-f.stop.Done():
			return nil
		}
	}
}
