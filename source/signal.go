package source

import (
	"context"
	"sync"
	"time"
)

// availability is a reader's IsAvailable channel. The reader resets it
// before it looks for work and producers signal after they add work, so a
// signal between the look and the wait closes the channel the caller waits
// on: no wake-up is lost.
type availability struct {
	mu     sync.Mutex
	ch     chan struct{}
	closed bool
}

func newAvailability() *availability {
	return &availability{ch: make(chan struct{})}
}

// channel returns the current channel.
func (a *availability) channel() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ch
}

// reset replaces a fired channel with a fresh one.
func (a *availability) reset() {
	a.mu.Lock()
	if a.closed {
		a.ch = make(chan struct{})
		a.closed = false
	}
	a.mu.Unlock()
}

// signal fires the current channel.
func (a *availability) signal() {
	a.mu.Lock()
	if !a.closed {
		close(a.ch)
		a.closed = true
	}
	a.mu.Unlock()
}

// stopContext is a context.Context cancelled only by its owner. Fetchers
// live from a reader's Start to its Close, which take no context, so their
// contexts have no parent.
type stopContext struct {
	done chan struct{}
	once sync.Once
}

func newStopContext() *stopContext { return &stopContext{done: make(chan struct{})} }

// NewStopContext returns a context without parent that is cancelled only
// by stop (which may be called any number of times), for goroutines a
// reader owns from its creation to its Close, which take no context: e.g.
// a Kafka reader's offset committer.
func NewStopContext() (ctx context.Context, stop func()) {
	c := newStopContext()
	return c, c.stop
}

func (c *stopContext) stop() { c.once.Do(func() { close(c.done) }) }

func (c *stopContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *stopContext) Done() <-chan struct{} { return c.done }

func (c *stopContext) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

func (c *stopContext) Value(any) any { return nil }
