package sourcetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/source"
)

// EnumContext is a source.SplitEnumeratorContext that records what an
// enumerator does, for tests that call the enumerator's methods
// themselves on one goroutine. Its fields may be read and changed between
// calls: deleting a subtask from Registered models a failed reader, which
// AssignSplit then refuses as the coordinator does.
type EnumContext[S source.Split] struct {
	Parallelism int
	Registered  map[int]source.ReaderInfo
	// Assigned holds, per subtask, the splits assigned in order.
	Assigned map[int][]S
	// NoMore counts SignalNoMoreSplits calls per subtask.
	NoMore map[int]int
	// Events holds SendEventToSourceReader calls per subtask.
	Events map[int][]source.SourceEvent
	// Async holds the CallAsync registrations; RunAsync runs them.
	Async []AsyncCall
	// Ctx is what Context returns: never cancelled unless a test replaces
	// it, e.g. to check that callables give up when the coordinator stops.
	Ctx context.Context
}

// AsyncCall is one CallAsync registration.
type AsyncCall struct {
	Callable             func() (any, error)
	Handler              func(any, error) error
	InitialDelay, Period time.Duration
}

// NewEnumContext returns a context for parallelism subtasks, all of them
// registered as readers.
func NewEnumContext[S source.Split](parallelism int) *EnumContext[S] {
	c := &EnumContext[S]{
		Parallelism: parallelism,
		Registered:  map[int]source.ReaderInfo{},
		Assigned:    map[int][]S{},
		NoMore:      map[int]int{},
		Events:      map[int][]source.SourceEvent{},
		Ctx:         context.Background(),
	}
	for i := range parallelism {
		c.Registered[i] = source.ReaderInfo{Subtask: i}
	}
	return c
}

// CurrentParallelism returns Parallelism.
func (c *EnumContext[S]) CurrentParallelism() int { return c.Parallelism }

// RegisteredReaders returns Registered.
func (c *EnumContext[S]) RegisteredReaders() map[int]source.ReaderInfo { return c.Registered }

// AssignSplits assigns every split as AssignSplit does, stopping at the
// first error.
func (c *EnumContext[S]) AssignSplits(a map[int][]S) error {
	for st, splits := range a {
		for _, sp := range splits {
			if err := c.AssignSplit(sp, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// AssignSplit records sp for subtask, or fails if subtask is not registered.
func (c *EnumContext[S]) AssignSplit(sp S, subtask int) error {
	if _, ok := c.Registered[subtask]; !ok {
		return fmt.Errorf("sourcetest: reader %d not registered", subtask)
	}
	c.Assigned[subtask] = append(c.Assigned[subtask], sp)
	return nil
}

// SignalNoMoreSplits counts the signal for subtask.
func (c *EnumContext[S]) SignalNoMoreSplits(subtask int) error {
	c.NoMore[subtask]++
	return nil
}

// SendEventToSourceReader records ev for subtask.
func (c *EnumContext[S]) SendEventToSourceReader(subtask int, ev source.SourceEvent) error {
	c.Events[subtask] = append(c.Events[subtask], ev)
	return nil
}

// CallAsync records the registration; nothing runs until RunAsync.
func (c *EnumContext[S]) CallAsync(callable func() (any, error), handler func(any, error) error, initialDelay, period time.Duration) {
	c.Async = append(c.Async, AsyncCall{callable, handler, initialDelay, period})
}

// RunAsync runs every registered callable once and its handler with the
// result, as if each period passed, and returns the first handler error.
func (c *EnumContext[S]) RunAsync() error {
	for _, a := range c.Async {
		v, err := a.Callable()
		if err := a.Handler(v, err); err != nil {
			return err
		}
	}
	return nil
}

// RunInCoordinatorThread runs fn at once; an error panics, as it would
// fail the coordinator.
func (c *EnumContext[S]) RunInCoordinatorThread(fn func() error) {
	if err := fn(); err != nil {
		panic(err)
	}
}

// Context returns Ctx.
func (c *EnumContext[S]) Context() context.Context { return c.Ctx }

// Config returns a fresh configuration.
func (c *EnumContext[S]) Config() *config.Configuration { return config.New() }

// ReaderContext is a source.ReaderContext with a manual clock that counts
// split requests and records the events the reader sends. It is safe for
// concurrent use, as readers may call it from fetcher goroutines.
type ReaderContext struct {
	subtask, parallelism int
	// Clock is what Now reads; it starts at 0.
	Clock    ManualClock
	requests atomic.Int64
	mu       sync.Mutex
	sent     []source.SourceEvent
}

// NewReaderContext returns a context for subtask of parallelism subtasks.
func NewReaderContext(subtask, parallelism int) *ReaderContext {
	return &ReaderContext{subtask: subtask, parallelism: parallelism}
}

// SubtaskIndex returns the subtask given to NewReaderContext.
func (c *ReaderContext) SubtaskIndex() int { return c.subtask }

// Parallelism returns the parallelism given to NewReaderContext.
func (c *ReaderContext) Parallelism() int { return c.parallelism }

// SendSplitRequest counts the request.
func (c *ReaderContext) SendSplitRequest() { c.requests.Add(1) }

// Requests is the number of SendSplitRequest calls so far.
func (c *ReaderContext) Requests() int { return int(c.requests.Load()) }

// SendSourceEventToCoordinator records ev.
func (c *ReaderContext) SendSourceEventToCoordinator(ev source.SourceEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, ev)
}

// SentEvents returns the events sent to the coordinator, in order.
func (c *ReaderContext) SentEvents() []source.SourceEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent)
}

// Config returns a fresh configuration.
func (c *ReaderContext) Config() *config.Configuration { return config.New() }

// Now reads Clock.
func (c *ReaderContext) Now() int64 { return c.Clock.Now() }

var (
	_ source.SplitEnumeratorContext[source.Split] = (*EnumContext[source.Split])(nil)
	_ source.ReaderContext                        = (*ReaderContext)(nil)
)
