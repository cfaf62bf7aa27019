package sourcetest

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
)

// MaxParallelism is the max parallelism of every Context made here; key
// group ranges are computed from it.
const MaxParallelism = 128

// NewContext returns an operator.Context for subtask of parallelism
// subtasks, with the given processing-time service and a fresh
// configuration. execute receives what the operator passes to
// Context.Execute and must run it later on the subtask goroutine; with a nil
// execute, Execute panics, which suits operators that must not use it.
func NewContext(subtask, parallelism int, clock operator.ProcessingTimeService, execute func(fn func() error)) operator.Context {
	return &opContext{subtask: subtask, parallelism: parallelism, clock: clock, execute: execute, cfg: config.New()}
}

type opContext struct {
	subtask, parallelism int
	clock                operator.ProcessingTimeService
	execute              func(fn func() error)
	cfg                  *config.Configuration
}

func (c *opContext) OperatorName() string         { return "Source: test" }
func (c *opContext) Restored() *operator.Restored { return nil }
func (c *opContext) AttemptNumber() int           { return 0 }
func (c *opContext) UID() string                  { return "source-test" }
func (c *opContext) SubtaskIndex() int            { return c.subtask }
func (c *opContext) Parallelism() int             { return c.parallelism }
func (c *opContext) MaxParallelism() int          { return MaxParallelism }
func (c *opContext) KeyGroupRange() keygroup.Range {
	return keygroup.RangeFor(MaxParallelism, c.parallelism, c.subtask)
}
func (c *opContext) Config() *config.Configuration                  { return c.cfg }
func (c *opContext) ProcessingTime() operator.ProcessingTimeService { return c.clock }
func (c *opContext) Execute(name string, fn func() error) {
	if c.execute == nil {
		panic("sourcetest: Execute(" + name + ") on a context made without an execute function")
	}
	c.execute(fn)
}

// ManualClock is a processing-time clock in milliseconds that moves only
// when the test moves it, so time-dependent reader logic (rate limits,
// timeouts) is deterministic. The zero value reads 0. It is safe for
// concurrent use.
type ManualClock struct{ now atomic.Int64 }

// Now returns the current time in ms.
func (c *ManualClock) Now() int64 { return c.now.Load() }

// Set moves the clock to now.
func (c *ManualClock) Set(now int64) { c.now.Store(now) }

// Add moves the clock forward by ms milliseconds.
func (c *ManualClock) Add(ms int64) { c.now.Add(ms) }

// wallClock is a Job subtask's processing-time service: wall-clock time,
// with timers fired by the subtask loop (fireDue) on the subtask goroutine,
// as the runtime fires them.
type wallClock struct {
	mu     sync.Mutex
	timers []*wallTimer
}

type wallTimer struct {
	ts       int64
	fn       func(int64) error
	canceled bool
}

func (c *wallClock) Now() int64 { return time.Now().UnixMilli() }

func (c *wallClock) RegisterTimer(ts int64, fn func(int64) error) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &wallTimer{ts: ts, fn: fn}
	c.timers = append(c.timers, t)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		t.canceled = true
	}
}

// fireDue runs the timers due at now; the lock is not held while they run,
// so they may register new timers.
func (c *wallClock) fireDue(now int64) error {
	c.mu.Lock()
	var due []*wallTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.canceled:
		case t.ts <= now:
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, t := range due {
		if err := t.fn(t.ts); err != nil {
			return err
		}
	}
	return nil
}

// untilNext is how long the subtask may sleep before the next timer is
// due: at most a second, at least a millisecond.
func (c *wallClock) untilNext(now int64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := time.Second
	for _, t := range c.timers {
		if !t.canceled {
			next = min(next, time.Duration(t.ts-now)*time.Millisecond)
		}
	}
	return max(next, time.Millisecond)
}
