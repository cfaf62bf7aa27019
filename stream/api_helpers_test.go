package stream_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/stream"
)

// Helpers shared by the api_*_test.go integration tests: a quiet
// environment, a bounded Execute, a source the test feeds while the job
// runs, and a manual processing-time clock.

var parallelisms = []int{1, 4}

// quietEnv returns an environment at parallelism p that logs nowhere.
func quietEnv(p int) *stream.Environment {
	return stream.NewEnvironment(nil).SetParallelism(p).
		SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// execute runs the job with a deadline so a hang fails the test instead of
// the whole package.
func execute(t *testing.T, env *stream.Environment) {
	t.Helper()
	if err := executeErr(env); err != nil {
		t.Fatalf("Execute: %v", err)
	}
}

func executeErr(env *stream.Environment) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return env.Execute(ctx, "api-test")
}

// startJob runs the job in the background; wait returns its error.
func startJob(t *testing.T, env *stream.Environment) (wait func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx, "api-test") }()
	var once sync.Once
	var err error
	wait = func() error {
		once.Do(func() { err = <-done; cancel() })
		return err
	}
	t.Cleanup(func() { cancel(); _ = wait() })
	return wait
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sorted returns a sorted copy.
func sorted[T cmp.Ordered](vs []T) []T {
	c := slices.Clone(vs)
	slices.Sort(c)
	return c
}

// sortedBy returns a copy sorted by the string form of each element; for
// comparing multisets of structs.
func sortedBy[T any](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%+v", v)
	}
	slices.Sort(out)
	return out
}

// sameMultiset fails unless got and want hold the same elements.
func sameMultiset[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	g, w := sortedBy(got), sortedBy(want)
	if !slices.Equal(g, w) {
		t.Fatalf("%s: got %d elements, want %d\nfirst differences:\n%s", what, len(g), len(w), diff(g, w))
	}
}

func diff(got, want []string) string {
	gm, wm := map[string]int{}, map[string]int{}
	for _, g := range got {
		gm[g]++
	}
	for _, w := range want {
		wm[w]++
	}
	var out []string
	for k, n := range gm {
		if wm[k] != n {
			out = append(out, fmt.Sprintf("  %s: got %d, want %d", k, n, wm[k]))
		}
	}
	for k, n := range wm {
		if _, ok := gm[k]; !ok {
			out = append(out, fmt.Sprintf("  %s: got 0, want %d", k, n))
		}
	}
	slices.Sort(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("  ... %d more", len(out)-10))
	}
	return fmt.Sprint(out)
}

// mix is a deterministic pseudo-random function of an index (splitmix64),
// so generators are reproducible and safe to call from any subtask.
func mix(i int64) uint64 {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// ---------------------------------------------------------------------------
// feedSource: a FLIP-27 source whose records the test pushes while the job
// runs. Subtask i reads feeds[i]; a nil feed gives subtask i no split at all
// (like a Kafka reader with more subtasks than partitions), and that subtask
// ends when release is closed.

type item[T any] struct {
	v  T
	ts int64
}

// feed is one subtask's input queue.
type feed[T any] struct {
	mu struct {
		sync.Mutex // guards the fields below
		items      []item[T]
		closed     bool
		signal     chan struct{} // closed on the next push or close
	}
}

func newFeed[T any]() *feed[T] {
	f := &feed[T]{}
	f.mu.signal = make(chan struct{})
	return f
}

func (f *feed[T]) notifyLocked() {
	close(f.mu.signal)
	f.mu.signal = make(chan struct{})
}

// push adds records without timestamps.
func (f *feed[T]) push(vs ...T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range vs {
		f.mu.items = append(f.mu.items, item[T]{v, eventtime.NoTimestamp})
	}
	f.notifyLocked()
}

// pushAt adds one record with an event timestamp.
func (f *feed[T]) pushAt(v T, ts int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mu.items = append(f.mu.items, item[T]{v, ts})
	f.notifyLocked()
}

// close ends the feed once its records are read.
func (f *feed[T]) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.mu.closed {
		f.mu.closed = true
		f.notifyLocked()
	}
}

func (f *feed[T]) take() (items []item[T], closed bool, avail <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	items, f.mu.items = f.mu.items, nil
	return items, f.mu.closed, f.mu.signal
}

type feedSplit struct {
	ID      string `json:"id"`
	Subtask int    `json:"subtask"`
}

func (s feedSplit) SplitID() string { return s.ID }

type feedEnumState struct{}

type feedSource[T any] struct {
	feeds   []*feed[T]
	release chan struct{}
}

// newFeedSource returns a source of len(feeds) subtasks; set the source's
// parallelism to that.
func newFeedSource[T any](feeds ...*feed[T]) *feedSource[T] {
	return &feedSource[T]{feeds: feeds, release: make(chan struct{})}
}

func (s *feedSource[T]) Boundedness() source.Boundedness { return source.Bounded }

func (s *feedSource[T]) CreateEnumerator(ctx source.SplitEnumeratorContext[feedSplit]) (source.SplitEnumerator[feedSplit, feedEnumState], error) {
	return &feedEnumerator[T]{ctx: ctx, s: s, assigned: map[int]bool{}}, nil
}

func (s *feedSource[T]) RestoreEnumerator(ctx source.SplitEnumeratorContext[feedSplit], _ feedEnumState) (source.SplitEnumerator[feedSplit, feedEnumState], error) {
	return s.CreateEnumerator(ctx)
}

func (s *feedSource[T]) CreateReader(ctx source.ReaderContext) (source.SourceReader[T, feedSplit], error) {
	i := ctx.SubtaskIndex()
	if i >= len(s.feeds) {
		return nil, fmt.Errorf("feedSource: subtask %d has no feed; the source has %d", i, len(s.feeds))
	}
	return &feedReader[T]{ctx: ctx, feed: s.feeds[i], release: s.release}, nil
}

func (s *feedSource[T]) SplitCodec() codec.Codec[feedSplit] { return codec.JSON[feedSplit]{} }
func (s *feedSource[T]) CheckpointCodec() codec.Codec[feedEnumState] {
	return codec.JSON[feedEnumState]{}
}

type feedEnumerator[T any] struct {
	ctx      source.SplitEnumeratorContext[feedSplit]
	s        *feedSource[T]
	assigned map[int]bool
}

func (e *feedEnumerator[T]) Start() error { return nil }
func (e *feedEnumerator[T]) HandleSplitRequest(subtask int, _ string) {
	if !e.assigned[subtask] && subtask < len(e.s.feeds) && e.s.feeds[subtask] != nil {
		e.assigned[subtask] = true
		_ = e.ctx.AssignSplit(feedSplit{ID: fmt.Sprintf("feed-%d", subtask), Subtask: subtask}, subtask)
		return
	}
	_ = e.ctx.SignalNoMoreSplits(subtask)
}
func (e *feedEnumerator[T]) AddSplitsBack([]feedSplit, int)             {}
func (e *feedEnumerator[T]) AddReader(int)                              {}
func (e *feedEnumerator[T]) SnapshotState(int64) (feedEnumState, error) { return feedEnumState{}, nil }
func (e *feedEnumerator[T]) NotifyCheckpointComplete(int64) error       { return nil }
func (e *feedEnumerator[T]) HandleSourceEvent(int, source.SourceEvent)  {}
func (e *feedEnumerator[T]) Close() error                               { return nil }

type feedReader[T any] struct {
	ctx     source.ReaderContext
	feed    *feed[T]
	release chan struct{}
	split   *feedSplit
	out     source.SourceOutput[T]
	avail   <-chan struct{}
}

func (r *feedReader[T]) Start() error {
	if r.feed != nil {
		r.ctx.SendSplitRequest()
	}
	return nil
}

func (r *feedReader[T]) PollNext(out source.ReaderOutput[T]) (source.InputStatus, error) {
	if r.feed == nil {
		select {
		case <-r.release:
			return source.EndOfInput, nil
		default:
			r.avail = r.release
			return source.NothingAvailable, nil
		}
	}
	if r.split == nil {
		r.avail = nil // the split arrives as mail, which wakes the task
		return source.NothingAvailable, nil
	}
	if r.out == nil {
		r.out = out.CreateOutputForSplit(r.split.ID)
	}
	items, closed, avail := r.feed.take()
	for _, it := range items {
		if it.ts == eventtime.NoTimestamp {
			r.out.Collect(it.v)
		} else {
			r.out.CollectWithTimestamp(it.v, it.ts)
		}
	}
	switch {
	case len(items) > 0:
		return source.MoreAvailable, nil
	case closed:
		out.ReleaseOutputForSplit(r.split.ID)
		return source.EndOfInput, nil
	}
	r.avail = avail
	return source.NothingAvailable, nil
}

func (r *feedReader[T]) IsAvailable() <-chan struct{} { return r.avail }
func (r *feedReader[T]) AddSplits(splits []feedSplit) {
	if len(splits) > 0 {
		s := splits[0]
		r.split = &s
	}
}
func (r *feedReader[T]) NotifyNoMoreSplits()                      {}
func (r *feedReader[T]) HandleSourceEvent(source.SourceEvent)     {}
func (r *feedReader[T]) SnapshotState(int64) ([]feedSplit, error) { return nil, nil }
func (r *feedReader[T]) NotifyCheckpointComplete(int64) error     { return nil }
func (r *feedReader[T]) Close() error                             { return nil }

// ---------------------------------------------------------------------------
// manualClock is a task.Clock the test advances by hand.

type manualClock struct {
	mu struct {
		sync.Mutex // guards the fields below
		now        time.Time
		timers     []*manualTimer
	}
}

var _ task.Clock = (*manualClock)(nil)

type manualTimer struct {
	c       *manualClock
	at      time.Time
	f       func()
	stopped bool
}

// newManualClock starts at a whole second so window boundaries are easy to
// compute from it.
func newManualClock() *manualClock {
	c := &manualClock{}
	c.mu.now = time.UnixMilli(1_700_000_000_000)
	return c
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.now
}

func (c *manualClock) NowMillis() int64 { return c.Now().UnixMilli() }

// AfterFunc implements task.Clock. A timer already due runs at once, on
// its own goroutine as the contract says (the caller may hold a lock the
// callback takes).
func (c *manualClock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: c, at: c.mu.now.Add(d), f: f}
	if d <= 0 {
		t.stopped = true
		go f()
		return t
	}
	c.mu.timers = append(c.mu.timers, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock and runs the timers that became due, in time
// order, on the caller's goroutine.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.mu.now = c.mu.now.Add(d)
	var due, rest []*manualTimer
	for _, t := range c.mu.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.mu.now):
			t.stopped = true
			due = append(due, t)
		default:
			rest = append(rest, t)
		}
	}
	c.mu.timers = rest
	c.mu.Unlock()
	slices.SortStableFunc(due, func(a, b *manualTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
}

// acks counts events reported by functions running in subtasks, so a test
// can wait until records reached an operator before it moves the clock.
type acks struct {
	mu struct {
		sync.Mutex
		n map[string]int
	}
}

func newAcks() *acks {
	a := &acks{}
	a.mu.n = map[string]int{}
	return a
}

func (a *acks) add(what string) {
	a.mu.Lock()
	a.mu.n[what]++
	a.mu.Unlock()
}

func (a *acks) count(what string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mu.n[what]
}

func (a *acks) waitFor(t *testing.T, what string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d %q acks", n, what), func() bool { return a.count(what) >= n })
}

// openCount passes records through and counts, per subtask index, how
// often it was opened: how many subtasks an operator really ran with
// (sinks cannot tell, since a parallel source may leave a subtask without
// data).
type openCount[T any] struct{ acks *acks }

func (o *openCount[T]) Open(rc stream.RuntimeContext) error {
	o.acks.add("open")
	o.acks.add(fmt.Sprintf("open/%d/%d", rc.IndexOfThisSubtask(), rc.NumberOfParallelSubtasks()))
	return nil
}

func (o *openCount[T]) ProcessElement(_ stream.Context, v T, out stream.Collector[T]) error {
	out.Collect(v)
	return nil
}

// checkOpened fails unless the operator ran as exactly p subtasks.
func checkOpened(t *testing.T, a *acks, p int) {
	t.Helper()
	if a.count("open") != p {
		t.Fatalf("operator opened %d subtasks, want %d", a.count("open"), p)
	}
	for i := 0; i < p; i++ {
		if a.count(fmt.Sprintf("open/%d/%d", i, p)) != 1 {
			t.Fatalf("subtask %d of %d was not opened exactly once", i, p)
		}
	}
}
