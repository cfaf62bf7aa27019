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
func (q *Queue) PushPriority(x any) { q.pushFront(func(int) any { return x }) }

// PushBarrier puts an unaligned barrier at the front without blocking,
// recording in b.Overtaken how many elements it overtook: the consumer
// records those as in-flight data of the checkpoint.
func (q *Queue) PushBarrier(b Barrier) {
	q.pushFront(func(overtaken int) any {
		b.Overtaken = overtaken
		return b
	})
}

// pushFront puts make(count of queued elements) at the front.
func (q *Queue) pushFront(make func(queued int) any) {
	q.mu.Lock()
	x := make(q.mu.count)
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

// PushOverflow appends x without blocking, beyond the capacity if need
// be: an unaligned checkpoint flushes the producer's partial batches this
// way before its barrier overtakes them.
func (q *Queue) PushOverflow(x any) {
	q.mu.Lock()
	q.appendLocked(x)
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

// Peek returns the first n queued elements without removing them (fewer
// if fewer are queued).
func (q *Queue) Peek(n int) []any {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, q.mu.count)
	out := make([]any, n)
	for i := range n {
		out[i] = q.mu.items[(q.mu.head+i)%len(q.mu.items)]
	}
	return out
}

// ExtractBarrier removes the barrier of checkpoint id from the queue and
// returns it with how many elements were ahead of it, or false when it is
// not queued: a consumer that snapshots early takes the barrier out of
// turn. An unaligned barrier is at the front, its Overtaken elements
// behind it.
func (q *Queue) ExtractBarrier(id int64) (b Barrier, ahead int, found bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.mu.items)
	for i := range q.mu.count {
		if qb, ok := q.mu.items[(q.mu.head+i)%n].(Barrier); ok && qb.ID == id {
			for k := i; k > 0; k-- {
				q.mu.items[(q.mu.head+k)%n] = q.mu.items[(q.mu.head+k-1)%n]
			}
			q.mu.items[q.mu.head] = nil
			q.mu.head = (q.mu.head + 1) % n
			q.mu.count--
			return qb, i, true
		}
	}
	return Barrier{}, 0, false
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
