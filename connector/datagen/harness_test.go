package datagen

// An in-process job for end-to-end tests: one source coordinator and N
// source operators, each subtask on its own goroutine with a mailbox, wired
// as the runtime wires them. Checkpoints are taken the way barriers make
// them consistent: subtasks pause, the coordinator snapshots (after the
// requests already queued), subtasks take the events sent before it and
// snapshot their readers.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/source"
)

type job[T any, S source.Split, E any] struct {
	t        *testing.T
	coord    source.Coordinator
	cancel   context.CancelFunc
	coordErr chan error
	subtasks []*subtask[T]
	// quit ends run early, for unbounded sources.
	quit     chan struct{}
	quitOnce sync.Once
}

type subtask[T any] struct {
	idx, p int
	op     *source.Operator[T]
	box    mailbox
	out    collectOutput[T]
	opened bool
	ended  bool
	timers timerList
}

// startJob starts the coordinator of src for p subtasks, restoring from an
// enumerator checkpoint and reader splits if given.
func startJob[T any, S source.Split, E any](t *testing.T, src source.Source[T, S, E], p int, enumState []byte, readerSplits [][][]byte) *job[T, S, E] {
	t.Helper()
	j := &job[T, S, E]{t: t, coordErr: make(chan error, 1), quit: make(chan struct{})}
	for i := range p {
		st := &subtask[T]{idx: i, p: p}
		st.box.signal = make(chan struct{}, 1)
		j.subtasks = append(j.subtasks, st)
	}
	j.coord = source.NewCoordinator("test-source", src, p, config.New(), func(subtask int, ev source.OperatorEvent) error {
		return j.subtasks[subtask].box.put(ev)
	}, enumState)
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	go func() { j.coordErr <- j.coord.Run(ctx) }()
	for i, st := range j.subtasks {
		st.op = source.NewOperator(src, eventtime.NoWatermarks[T](), gateway{j.coord})
		st.op.SetOutput(&st.out)
		if readerSplits != nil {
			if err := st.op.RestoreState(readerSplits[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return j
}

type gateway struct{ c source.Coordinator }

func (g gateway) SendToCoordinator(subtask int, ev source.OperatorEvent) {
	g.c.HandleEventFromOperator(subtask, ev)
}

// run drives every subtask until it ends or has emitted stopAfter records
// (stopAfter < 0: until it ends).
func (j *job[T, S, E]) run(stopAfter int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(j.subtasks))
	for i, st := range j.subtasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.loop(stopAfter, j.quit)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (st *subtask[T]) loop(stopAfter int, quit <-chan struct{}) error {
	if !st.opened {
		st.opened = true
		if err := st.op.Open(&fakeOpContext[T]{st: st}); err != nil {
			return err
		}
	}
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !st.ended {
		if err := st.drain(); err != nil {
			return err
		}
		if err := st.timers.fireDue(time.Now().UnixMilli()); err != nil {
			return err
		}
		if stopAfter >= 0 && len(st.out.values) >= stopAfter {
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
			case <-time.After(st.timers.untilNext(time.Now().UnixMilli())):
			case <-quit:
				return nil
			case <-deadline.C:
				return fmt.Errorf("subtask %d: stuck without input", st.idx)
			}
		}
	}
	return nil
}

// drain applies the events in the mailbox.
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

// checkpoint snapshots the paused job consistently.
func (j *job[T, S, E]) checkpoint(id int64) ([]byte, [][][]byte) {
	j.t.Helper()
	enum, err := j.coord.Checkpoint(context.Background(), id)
	if err != nil {
		j.t.Fatal(err)
	}
	splits := make([][][]byte, len(j.subtasks))
	for i, st := range j.subtasks {
		if err := st.drain(); err != nil {
			j.t.Fatal(err)
		}
		if splits[i], err = st.op.SnapshotState(id); err != nil {
			j.t.Fatal(err)
		}
	}
	return enum, splits
}

// interrupt makes a running run return.
func (j *job[T, S, E]) interrupt() { j.quitOnce.Do(func() { close(j.quit) }) }

// countRecords may be called while run runs.
func (j *job[T, S, E]) countRecords() int {
	n := 0
	for _, st := range j.subtasks {
		n += int(st.out.count.Load())
	}
	return n
}

// stop closes the operators and the coordinator and returns the first error.
func (j *job[T, S, E]) stop() error {
	var errs []error
	for _, st := range j.subtasks {
		errs = append(errs, st.op.Close())
	}
	j.cancel()
	errs = append(errs, <-j.coordErr)
	return errors.Join(errs...)
}

// records returns the records of every subtask.
func (j *job[T, S, E]) records() [][]T {
	out := make([][]T, len(j.subtasks))
	for i, st := range j.subtasks {
		out[i] = st.out.values
	}
	return out
}

type mailbox struct {
	mu     sync.Mutex
	evs    []any
	signal chan struct{}
}

func (m *mailbox) put(ev any) error {
	m.mu.Lock()
	m.evs = append(m.evs, ev)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
	return nil
}

func (m *mailbox) take() []any {
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.evs
	m.evs = nil
	return evs
}

type collectOutput[T any] struct {
	count      atomic.Int64
	values     []T
	timestamps []int64
	watermarks []int64
}

func (o *collectOutput[T]) Collect(v T, ts int64) {
	o.values = append(o.values, v)
	o.count.Add(1)
	o.timestamps = append(o.timestamps, ts)
}
func (o *collectOutput[T]) EmitWatermark(wm int64)         { o.watermarks = append(o.watermarks, wm) }
func (o *collectOutput[T]) EmitWatermarkStatus(bool)       {}
func (o *collectOutput[T]) CollectSide(string, any, int64) {}

type fakeOpContext[T any] struct{ st *subtask[T] }

func (c *fakeOpContext[T]) OperatorName() string { return "source" }
func (c *fakeOpContext[T]) UID() string          { return "source-uid" }
func (c *fakeOpContext[T]) SubtaskIndex() int    { return c.st.idx }
func (c *fakeOpContext[T]) Parallelism() int     { return c.st.p }
func (c *fakeOpContext[T]) MaxParallelism() int  { return 128 }
func (c *fakeOpContext[T]) KeyGroupRange() keygroup.Range {
	return keygroup.RangeFor(128, c.st.p, c.st.idx)
}
func (c *fakeOpContext[T]) Config() *config.Configuration { return config.New() }
func (c *fakeOpContext[T]) ProcessingTime() operator.ProcessingTimeService {
	return &c.st.timers
}
func (c *fakeOpContext[T]) Execute(_ string, fn func() error) { _ = c.st.box.put(fn) }

// timerList is the subtask's processing-time service on the wall clock.
type timerList struct {
	mu     sync.Mutex
	timers []*timer
}

type timer struct {
	ts       int64
	fn       func(int64) error
	canceled bool
}

func (l *timerList) Now() int64 { return time.Now().UnixMilli() }

func (l *timerList) RegisterTimer(ts int64, fn func(int64) error) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := &timer{ts: ts, fn: fn}
	l.timers = append(l.timers, t)
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		t.canceled = true
	}
}

func (l *timerList) fireDue(now int64) error {
	l.mu.Lock()
	var due []*timer
	keep := l.timers[:0]
	for _, t := range l.timers {
		switch {
		case t.canceled:
		case t.ts <= now:
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	l.timers = keep
	l.mu.Unlock()
	for _, t := range due {
		if err := t.fn(t.ts); err != nil {
			return err
		}
	}
	return nil
}

func (l *timerList) untilNext(now int64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := time.Second
	for _, t := range l.timers {
		if !t.canceled {
			next = min(next, time.Duration(t.ts-now)*time.Millisecond)
		}
	}
	return max(next, time.Millisecond)
}
