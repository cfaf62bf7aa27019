package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source"
)

// stuckAfter is how long a subtask may wait for input before Run reports
// it stuck; far above any test's real waits, far below the test timeout.
const stuckAfter = 20 * time.Second

// Options configure a Job.
type Options struct {
	// Restore starts the job from a checkpoint taken by Job.Checkpoint of
	// a job with the same source and parallelism; nil starts fresh.
	Restore *Checkpoint
}

// Checkpoint is a consistent snapshot of a Job: the enumerator's state and
// each subtask's reader splits, as the runtime stores them.
type Checkpoint struct {
	Enumerator []byte
	// Readers holds one entry per subtask: its encoded splits.
	Readers [][][]byte
}

// Job is a source running in-process as the runtime runs it: the
// coordinator on its own goroutine, and one source operator per subtask,
// each driven by Run on its own goroutine with a mailbox for coordinator
// events and Execute calls.
//
// Between Start and Stop, Run (or RunUntil) may be called several times,
// Checkpoint only while no Run is in progress. Len, Interrupt and Output's
// Len are safe during Run.
type Job[T any] struct {
	t        testing.TB
	coord    source.Coordinator
	cancel   context.CancelFunc
	coordErr chan error
	subtasks []*subtask[T]
	// quit ends Run early, for unbounded sources.
	quit     chan struct{}
	quitOnce sync.Once
}

type subtask[T any] struct {
	idx, p int
	op     *source.Operator[T]
	box    mailbox
	out    Output[T]
	clock  wallClock
	opened bool
	ended  bool
}

// Start builds a job of parallelism subtasks reading src with watermark
// strategy wm, and starts its coordinator. A failure to restore fails the
// test. Call Stop when done.
func Start[T any, S source.Split, E any](t testing.TB, src source.Source[T, S, E], wm eventtime.WatermarkStrategy[T], parallelism int, opts Options) *Job[T] {
	t.Helper()
	var enumState []byte
	if cp := opts.Restore; cp != nil {
		if len(cp.Readers) != parallelism {
			t.Fatalf("sourcetest: checkpoint of %d subtasks restored with parallelism %d", len(cp.Readers), parallelism)
		}
		enumState = cp.Enumerator
	}
	j := &Job[T]{t: t, coordErr: make(chan error, 1), quit: make(chan struct{})}
	for i := range parallelism {
		st := &subtask[T]{idx: i, p: parallelism}
		st.box.signal = make(chan struct{}, 1)
		j.subtasks = append(j.subtasks, st)
	}
	j.coord = source.NewCoordinator("test-source", src, parallelism, config.New(), func(subtask int, ev source.OperatorEvent) error {
		j.subtasks[subtask].box.put(ev)
		return nil
	}, enumState)
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	go func() { j.coordErr <- j.coord.Run(ctx) }()
	for i, st := range j.subtasks {
		st.op = source.NewOperator(src, wm, gateway{j.coord})
		st.op.SetOutput(&st.out)
		if opts.Restore != nil {
			if err := st.op.RestoreState(opts.Restore.Readers[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return j
}

// Run starts a job as Start does, runs it until every subtask reached the
// end of its input, and stops it. It returns the stopped job, for its
// records, and the error the run ended with; an error from stopping fails
// the test.
func Run[T any, S source.Split, E any](t testing.TB, src source.Source[T, S, E], wm eventtime.WatermarkStrategy[T], parallelism int, opts Options) (*Job[T], error) {
	t.Helper()
	j := Start(t, src, wm, parallelism, opts)
	err := j.Run()
	if stopErr := j.Stop(); stopErr != nil {
		t.Fatal(stopErr)
	}
	return j, err
}

type gateway struct{ c source.Coordinator }

func (g gateway) SendToCoordinator(subtask int, ev source.OperatorEvent) {
	g.c.HandleEventFromOperator(subtask, ev)
}

// Run drives every subtask until it reached the end of its input (then
// Finish ran) or Interrupt was called, and returns the subtasks' errors
// joined. A subtask that waits 20 s without input fails as stuck.
func (j *Job[T]) Run() error { return j.RunUntil(-1) }

// RunUntil is Run, except that a subtask also stops once it emitted at
// least records records in total (records < 0: no such limit). It leaves
// the job between records, ready for Checkpoint and another Run.
func (j *Job[T]) RunUntil(records int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(j.subtasks))
	for i, st := range j.subtasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.loop(records, j.quit)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (st *subtask[T]) loop(stopAfter int, quit <-chan struct{}) error {
	if !st.opened {
		st.opened = true
		ctx := NewContext(st.idx, st.p, &st.clock, func(fn func() error) { st.box.put(fn) })
		if err := st.op.Open(ctx); err != nil {
			return err
		}
	}
	deadline := time.NewTimer(stuckAfter)
	defer deadline.Stop()
	for !st.ended {
		if err := st.drain(); err != nil {
			return err
		}
		if err := st.clock.fireDue(time.Now().UnixMilli()); err != nil {
			return err
		}
		if stopAfter >= 0 && st.out.Len() >= stopAfter {
			return nil
		}
		select {
		case <-quit:
			return nil
		default:
		}
		status, err := st.op.EmitNext()
		if err != nil {
			return err
		}
		switch status {
		case source.EndOfInput:
			st.ended = true
			return st.op.Finish()
		case source.NothingAvailable:
			select {
			case <-st.op.Available():
			case <-st.box.signal:
			case <-time.After(st.clock.untilNext(time.Now().UnixMilli())):
			case <-quit:
				return nil
			case <-deadline.C:
				return fmt.Errorf("sourcetest: subtask %d stuck without input for %v", st.idx, stuckAfter)
			}
		}
	}
	return nil
}

// drain applies the events and Execute calls in the mailbox, in order.
func (st *subtask[T]) drain() error {
	for _, ev := range st.box.take() {
		if fn, ok := ev.(func() error); ok {
			if err := fn(); err != nil {
				return err
			}
			continue
		}
		if err := st.op.HandleOperatorEvent(ev); err != nil {
			return err
		}
	}
	return nil
}

// Checkpoint snapshots the job consistently, as barriers would: the
// coordinator first (after the requests it already queued), then each
// subtask after taking the events the coordinator sent before its
// snapshot. Call it between runs; a failure fails the test.
func (j *Job[T]) Checkpoint(id int64) *Checkpoint {
	j.t.Helper()
	enum, err := j.coord.Checkpoint(context.Background(), id)
	if err != nil {
		j.t.Fatal(err)
	}
	cp := &Checkpoint{Enumerator: enum, Readers: make([][][]byte, len(j.subtasks))}
	for i, st := range j.subtasks {
		if err := st.drain(); err != nil {
			j.t.Fatal(err)
		}
		if cp.Readers[i], err = st.op.SnapshotSplits(id); err != nil {
			j.t.Fatal(err)
		}
	}
	// The subtasks took their snapshots: as after a trigger, assignments
	// the enumerator made since its snapshot may reach them now.
	j.coord.ReleaseEvents(id)
	return cp
}

// Interrupt makes a Run in progress, and every later one, return, as
// cancelling an unbounded job does.
func (j *Job[T]) Interrupt() { j.quitOnce.Do(func() { close(j.quit) }) }

// Len is the number of records all subtasks emitted so far; it may be
// called while Run runs.
func (j *Job[T]) Len() int {
	n := 0
	for _, st := range j.subtasks {
		n += st.out.Len()
	}
	return n
}

// Stop closes the operators and the coordinator and returns their errors
// joined.
func (j *Job[T]) Stop() error {
	var errs []error
	for _, st := range j.subtasks {
		errs = append(errs, st.op.Close())
	}
	j.cancel()
	errs = append(errs, <-j.coordErr)
	return errors.Join(errs...)
}

// Parallelism is the number of subtasks.
func (j *Job[T]) Parallelism() int { return len(j.subtasks) }

// Output returns what subtask emitted.
func (j *Job[T]) Output(subtask int) *Output[T] { return &j.subtasks[subtask].out }

// Records returns the records of every subtask, indexed by subtask.
func (j *Job[T]) Records() [][]T {
	out := make([][]T, len(j.subtasks))
	for i, st := range j.subtasks {
		out[i] = st.out.Values()
	}
	return out
}

// AllRecords returns the records of all subtasks in one slice, subtask 0's
// first.
func (j *Job[T]) AllRecords() []T {
	var all []T
	for _, st := range j.subtasks {
		all = append(all, st.out.Values()...)
	}
	return all
}

// mailbox is a subtask's queue of coordinator events and Execute calls;
// signal wakes the subtask when something was put.
type mailbox struct {
	mu     sync.Mutex
	items  []any
	signal chan struct{}
}

func (m *mailbox) put(item any) {
	m.mu.Lock()
	m.items = append(m.items, item)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

func (m *mailbox) take() []any {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.items
	m.items = nil
	return items
}
