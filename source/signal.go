package source

import (
	"sync"
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
