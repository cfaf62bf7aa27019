package task

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the processing-time source; tests inject a manual one.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f on its own goroutine after d; Stop cancels it.
	AfterFunc(d time.Duration, f func()) interface{ Stop() bool }
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc implements Clock.
func (SystemClock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	return time.AfterFunc(d, f)
}

// processingTime implements operator.ProcessingTimeService for one subtask:
// a heap of timers and one clock timer for the earliest, which posts mail
// that fires every due timer in timestamp order.
type processingTime struct {
	clock   Clock
	mailbox *Mailbox
	seq     int64

	// Only the subtask goroutine touches the heap; armed is guarded by mu
	// because the clock callback reads it.
	timers  timerHeap
	mu      sync.Mutex
	armed   interface{ Stop() bool }
	armedAt int64
	closed  bool
}

type ptTimer struct {
	ts        int64
	seq       int64
	fn        func(int64) error
	cancelled bool
}

type timerHeap []*ptTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*ptTimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

func (p *processingTime) Now() int64 { return p.clock.Now().UnixMilli() }

func (p *processingTime) RegisterTimer(ts int64, fn func(int64) error) func() {
	p.seq++
	t := &ptTimer{ts: ts, seq: p.seq, fn: fn}
	heap.Push(&p.timers, t)
	p.arm()
	return func() { t.cancelled = true }
}

// arm makes sure a clock timer is set for the earliest pending timer.
func (p *processingTime) arm() {
	for len(p.timers) > 0 && p.timers[0].cancelled {
		heap.Pop(&p.timers)
	}
	if len(p.timers) == 0 {
		return
	}
	next := p.timers[0].ts
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || (p.armed != nil && p.armedAt <= next) {
		return
	}
	if p.armed != nil {
		p.armed.Stop()
	}
	p.armedAt = next
	d := time.Duration(next-p.Now()) * time.Millisecond
	p.armed = p.clock.AfterFunc(max(d, 0), func() {
		p.mu.Lock()
		p.armed = nil
		p.mu.Unlock()
		p.mailbox.Put("processing-time timers", p.fireDue)
	})
}

// fireDue runs, in the subtask goroutine, every timer that is due.
func (p *processingTime) fireDue() error {
	now := p.Now()
	for len(p.timers) > 0 && p.timers[0].ts <= now {
		t := heap.Pop(&p.timers).(*ptTimer)
		if t.cancelled {
			continue
		}
		if err := t.fn(t.ts); err != nil {
			return err
		}
	}
	p.arm()
	return nil
}

func (p *processingTime) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.armed != nil {
		p.armed.Stop()
		p.armed = nil
	}
}
