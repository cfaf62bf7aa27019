package queue

import (
	"context"
	"sync"
)

// Queue is a bounded single-producer single-consumer queue between two
// subtasks. Batches and events count against the capacity; priority
// elements (unaligned checkpoint barriers) do not, and go to the front.
type Queue struct {
	capacity int
	// space wakes a producer blocked on a full queue.
	space chan struct{}
	// notify wakes the consumer's gate when the queue becomes non-empty.
	notify func()

	// mu guards the fields in the struct.
	mu struct {
		sync.Mutex
		items []any
		head  int
		count int
	}
}

// New returns a queue holding up to capacity elements (at least 1).
func New(capacity int) *Queue {
	capacity = max(capacity, 1)
	q := &Queue{capacity: capacity, space: make(chan struct{}, 1)}
	q.mu.items = make([]any, capacity)
	return q
}

// Push appends x, blocking while the queue is full. It returns ctx.Err() if
// ctx ends first; x is then not enqueued.
func (q *Queue) Push(ctx context.Context, x any) error {
	for {
		q.mu.Lock()
		if q.mu.count < q.capacity {
			q.appendLocked(x)
			wasEmpty := q.mu.count == 1
			q.mu.Unlock()
			if wasEmpty && q.notify != nil {
				q.notify()
			}
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// PushPriority puts x at the front without blocking (may exceed capacity).
func (q *Queue) PushPriority(x any) {
	q.mu.Lock()
	q.growLocked()
	q.mu.head = (q.mu.head - 1 + len(q.mu.items)) % len(q.mu.items)
	q.mu.items[q.mu.head] = x
	q.mu.count++
	wasEmpty := q.mu.count == 1
	q.mu.Unlock()
	if wasEmpty && q.notify != nil {
		q.notify()
	}
}

func (q *Queue) appendLocked(x any) {
	q.growLocked()
	q.mu.items[(q.mu.head+q.mu.count)%len(q.mu.items)] = x
	q.mu.count++
}

func (q *Queue) growLocked() {
	if q.mu.count < len(q.mu.items) {
		return
	}
	items := make([]any, 2*len(q.mu.items))
	for i := range q.mu.count {
		items[i] = q.mu.items[(q.mu.head+i)%len(q.mu.items)]
	}
	q.mu.items, q.mu.head = items, 0
}

// Poll removes and returns the first element, or false when empty.
func (q *Queue) Poll() (any, bool) {
	q.mu.Lock()
	if q.mu.count == 0 {
		q.mu.Unlock()
		return nil, false
	}
	x := q.mu.items[q.mu.head]
	q.mu.items[q.mu.head] = nil
	q.mu.head = (q.mu.head + 1) % len(q.mu.items)
	wasFull := q.mu.count >= q.capacity
	q.mu.count--
	q.mu.Unlock()
	if wasFull {
		select {
		case q.space <- struct{}{}:
		default:
		}
	}
	return x, true
}

// Len is the number of queued elements.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.mu.count
}

// HasSpace reports whether a Push would not block now.
func (q *Queue) HasSpace() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.mu.count < q.capacity
}

// SpaceSignal fires (at most once per wake-up) after the consumer took an
// element from a full queue. A producer that found no space waits on it
// together with its mailbox, then checks HasSpace again.
func (q *Queue) SpaceSignal() <-chan struct{} { return q.space }
