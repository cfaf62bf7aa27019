package task

import (
	"sync"
)

// mail is an action to run in the subtask goroutine.
type mail struct {
	name string
	fn   func() error
}

// Mailbox queues actions for the subtask goroutine. Any goroutine may Put;
// only the owner takes. Unbounded, because senders (timers, coordinators,
// fetchers) must never block on a busy subtask.
type Mailbox struct {
	signal chan struct{}
	// mu guards the fields in the struct.
	mu struct {
		sync.Mutex
		queue  []mail
		closed bool
	}
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox { return &Mailbox{signal: make(chan struct{}, 1)} }

// Put enqueues fn; it is dropped once the mailbox is closed (the subtask
// is gone, so nothing could run it).
func (m *Mailbox) Put(name string, fn func() error) { m.TryPut(name, fn) }

// TryPut is Put that reports whether fn was queued: false when the subtask
// has ended.
func (m *Mailbox) TryPut(name string, fn func() error) bool {
	m.mu.Lock()
	if m.mu.closed {
		m.mu.Unlock()
		return false
	}
	m.mu.queue = append(m.mu.queue, mail{name: name, fn: fn})
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
	return true
}

// take removes all queued mail.
func (m *Mailbox) take(buf []mail) []mail {
	m.mu.Lock()
	buf = append(buf[:0], m.mu.queue...)
	clear(m.mu.queue)
	m.mu.queue = m.mu.queue[:0]
	m.mu.Unlock()
	return buf
}

func (m *Mailbox) close() {
	m.mu.Lock()
	m.mu.closed = true
	m.mu.queue = nil
	m.mu.Unlock()
}

// Signal fires after mail arrived.
func (m *Mailbox) Signal() <-chan struct{} { return m.signal }
