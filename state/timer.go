package state

import (
	"fmt"
	"maps"
	"slices"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
)

// Timer is a keyed timer: it fires for Key in Namespace at Timestamp (event
// time or processing time, ms).
type Timer struct {
	Key       any
	Namespace any
	Timestamp int64
}

// TimerTarget receives fired timers. The backend's current key is the
// timer's key during the call. Callbacks may register and delete timers.
type TimerTarget interface {
	OnEventTime(t Timer) error
	OnProcessingTime(t Timer) error
}

// timerNode is a registered timer.
type timerNode struct {
	t     Timer
	index int // position in the heap
	group int // key group index (key group - range start)
}

// heapItem keeps the ordering fields inline so sifting does not chase
// pointers.
type heapItem struct {
	ts  int64
	seq uint64 // registration order, so equal timestamps fire first-come first-served
	n   *timerNode
}

// timerQueue is a priority queue of timers deduplicated per key group: a
// binary heap orders all timers by timestamp, and one map per key group finds
// a timer by (key, namespace, timestamp) for deduplication, O(log n)
// deletion, and per-key-group snapshots.
//
// Snapshots keep the per key group maps (frozen); a map is cloned before its
// first change after a snapshot, like a table's key group (cow.go). A
// snapshot reads only the maps' keys, never the nodes the heap changes.
type timerQueue struct {
	heap   []heapItem
	groups []map[Timer]*timerNode
	// vers[g] is the cowClock version at which groups[g] was made private.
	vers []uint64
	cow  *cowClock
	seq  uint64
	free []*timerNode // recycled nodes: registration is on the per-record path
}

func newTimerQueue(groups int, cow *cowClock) *timerQueue {
	return &timerQueue{groups: make([]map[Timer]*timerNode, groups), vers: make([]uint64, groups), cow: cow}
}

// own returns group g's map ready to change (nil when it has none).
func (q *timerQueue) own(g int) map[Timer]*timerNode {
	if q.cow.stale(q.vers[g]) {
		q.vers[g] = q.cow.version
		if m := q.groups[g]; m != nil && q.cow.sharing() {
			if len(m) == 0 {
				q.groups[g] = nil // add makes a new one
			} else {
				q.groups[g] = maps.Clone(m)
			}
		}
	}
	return q.groups[g]
}

// frozen returns the per key group maps as a snapshot keeps them.
func (q *timerQueue) frozen() []map[Timer]*timerNode { return slices.Clone(q.groups) }

func (q *timerQueue) less(i, j int) bool {
	a, b := &q.heap[i], &q.heap[j]
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.seq < b.seq
}

func (q *timerQueue) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.heap[i].n.index = i
	q.heap[j].n.index = j
}

func (q *timerQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *timerQueue) down(i int) bool {
	start, n := i, len(q.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && q.less(r, l) {
			c = r
		}
		if !q.less(c, i) {
			break
		}
		q.swap(i, c)
		i = c
	}
	return i > start
}

// add registers t in group g unless it is already registered; it returns
// whether t became the earliest timer.
func (q *timerQueue) add(g int, t Timer) (earliest bool) {
	if _, dup := q.groups[g][t]; dup {
		return false
	}
	m := q.own(g)
	if m == nil {
		m = make(map[Timer]*timerNode)
		q.groups[g] = m
	}
	var n *timerNode
	if k := len(q.free); k > 0 {
		n = q.free[k-1]
		q.free = q.free[:k-1]
	} else {
		n = new(timerNode)
	}
	q.seq++
	*n = timerNode{t: t, index: len(q.heap), group: g}
	m[t] = n
	q.heap = append(q.heap, heapItem{ts: t.Timestamp, seq: q.seq, n: n})
	q.up(n.index)
	return n.index == 0
}

// remove deletes t from group g if registered.
func (q *timerQueue) remove(g int, t Timer) bool {
	n, ok := q.groups[g][t]
	if !ok {
		return false
	}
	delete(q.own(g), t)
	i, last := n.index, len(q.heap)-1
	if i != last {
		q.swap(i, last)
	}
	q.heap[last] = heapItem{}
	q.heap = q.heap[:last]
	if i != last && !q.down(i) {
		q.up(i)
	}
	q.recycle(n)
	return true
}

// peek returns the earliest timer's timestamp; ok is false when empty.
func (q *timerQueue) peek() (ts int64, ok bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].ts, true
}

// pop removes the earliest timer and returns it and its group.
func (q *timerQueue) pop() (Timer, int) {
	n := q.heap[0].n
	last := len(q.heap) - 1
	q.swap(0, last)
	q.heap[last] = heapItem{}
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0)
	}
	delete(q.own(n.group), n.t)
	t, g := n.t, n.group
	q.recycle(n)
	return t, g
}

func (q *timerQueue) recycle(n *timerNode) {
	*n = timerNode{}
	if len(q.free) < 1024 {
		q.free = append(q.free, n)
	}
}

// TimerService holds a keyed operator's event-time and processing-time
// timers (Flink's InternalTimerService). A timer is registered for the
// backend's current key and a namespace; registering the same (key,
// namespace, timestamp) twice keeps one timer. Timers are stored per key
// group like the rest of keyed state.
//
// Event-time timers fire from AdvanceWatermark. For processing-time timers the
// service keeps exactly one callback registered with the
// ProcessingTimeService, for the earliest timer; when it runs, every timer
// due by then fires and the callback is re-armed for the next one.
//
// A TimerService belongs to the subtask goroutine, like its backend.
type TimerService struct {
	b      KeyedBackend
	pts    operator.ProcessingTimeService
	target TimerTarget
	start  int // the backend's first key group

	event *timerQueue
	proc  *timerQueue

	watermark int64

	// The armed processing-time callback: its timestamp and cancel func
	// (nil when none), and a generation that retires a callback that was
	// cancelled but had already been queued.
	armedTS   int64
	cancel    func()
	armGen    uint64
	firingPro bool // firing processing-time timers; re-arm when done
	closed    bool
}

// DefaultTimerService is the name NewTimerService registers its timer
// service under.
const DefaultTimerService = "user-timers"

// NewTimerService creates the timer service of a keyed operator, named
// DefaultTimerService (see NewNamedTimerService). pts gives the clock and
// the one-shot callbacks; target receives fired timers.
func NewTimerService(b KeyedBackend, pts operator.ProcessingTimeService, target TimerTarget) *TimerService {
	return NewNamedTimerService(b, DefaultTimerService, pts, target)
}

// NewNamedTimerService creates a timer service registered with the backend
// under name, so that its timers are part of the backend's snapshots and
// are restored into the service of the same name. Timers restored under
// name are registered at once, and the earliest processing-time timer is
// armed. A second service under the same name on one backend is a
// programming error and panics.
func NewNamedTimerService(b KeyedBackend, name string, pts operator.ProcessingTimeService, target TimerTarget) *TimerService {
	n := b.KeyGroupRange().Len()
	var cow *cowClock
	hb, _ := b.(*HeapBackend)
	if hb != nil && !hb.closed {
		if _, dup := hb.timerServices[name]; dup {
			panic(fmt.Sprintf("state: a timer service named %q already exists on this backend; give each timer service of an operator its own name", name))
		}
		cow = &hb.cow
	} else {
		cow = new(cowClock)
	}
	s := &TimerService{
		b:         b,
		pts:       pts,
		target:    target,
		start:     b.KeyGroupRange().Start,
		event:     newTimerQueue(n, cow),
		proc:      newTimerQueue(n, cow),
		watermark: eventtime.MinWatermark,
	}
	if hb == nil || hb.closed {
		return s
	}
	if hb.timerServices == nil {
		hb.timerServices = map[string]*TimerService{}
	}
	hb.timerServices[name] = s
	if p, ok := hb.pendingTimers[name]; ok {
		delete(hb.pendingTimers, name)
		for g := range n {
			for _, t := range p.event[g] {
				s.event.add(g, t)
			}
			for _, t := range p.proc[g] {
				s.proc.add(g, t)
			}
		}
		s.arm()
	}
	return s
}

// current builds the timer for the backend's current key.
func (s *TimerService) current(op string, ns any, ts int64) (Timer, int) {
	kg := s.b.CurrentKeyGroup()
	if kg < 0 {
		panic(fmt.Sprintf("state: %s without a current key; timers are per key and only "+
			"available on a keyed stream while a record or timer is processed", op))
	}
	return Timer{Key: s.b.CurrentKey(), Namespace: normNamespace(ns), Timestamp: ts}, kg - s.start
}

// RegisterEventTimeTimer registers an event-time timer for the current key.
// A timer at or below the current watermark fires with the next watermark.
func (s *TimerService) RegisterEventTimeTimer(ns any, ts int64) {
	t, g := s.current("RegisterEventTimeTimer", ns, ts)
	s.event.add(g, t)
}

// DeleteEventTimeTimer deletes the current key's event-time timer if
// registered.
func (s *TimerService) DeleteEventTimeTimer(ns any, ts int64) {
	t, g := s.current("DeleteEventTimeTimer", ns, ts)
	s.event.remove(g, t)
}

// RegisterProcessingTimeTimer registers a processing-time timer for the
// current key.
func (s *TimerService) RegisterProcessingTimeTimer(ns any, ts int64) {
	t, g := s.current("RegisterProcessingTimeTimer", ns, ts)
	if s.proc.add(g, t) {
		s.arm()
	}
}

// DeleteProcessingTimeTimer deletes the current key's processing-time timer
// if registered.
func (s *TimerService) DeleteProcessingTimeTimer(ns any, ts int64) {
	t, g := s.current("DeleteProcessingTimeTimer", ns, ts)
	if s.proc.remove(g, t) && len(s.proc.heap) == 0 {
		s.arm()
	}
}

// CurrentWatermark is the last watermark passed to AdvanceWatermark, or
// eventtime.MinWatermark.
func (s *TimerService) CurrentWatermark() int64 { return s.watermark }

// CurrentProcessingTime is the ProcessingTimeService's clock.
func (s *TimerService) CurrentProcessingTime() int64 { return s.pts.Now() }

// AdvanceWatermark fires, in timestamp order, every event-time timer at or
// below wm, including timers that callbacks register at or below wm during
// the call. The backend's current key is set to each timer's key first. The
// first error stops firing and is returned; unfired timers stay registered.
// A watermark below the current one fires nothing it would not have already.
func (s *TimerService) AdvanceWatermark(wm int64) error {
	if wm > s.watermark {
		s.watermark = wm
	}
	for {
		ts, ok := s.event.peek()
		if !ok || ts > wm {
			return nil
		}
		t, _ := s.event.pop()
		s.b.SetCurrentKey(t.Key)
		if err := s.target.OnEventTime(t); err != nil {
			return err
		}
	}
}

// NumEventTimeTimers counts the registered event-time timers.
func (s *TimerService) NumEventTimeTimers() int { return len(s.event.heap) }

// NumProcessingTimeTimers counts the registered processing-time timers.
func (s *TimerService) NumProcessingTimeTimers() int { return len(s.proc.heap) }

// Close cancels the pending processing-time callback. Timers stay in
// memory but never fire.
func (s *TimerService) Close() {
	s.closed = true
	s.disarm()
}

// arm makes the registered callback match the earliest processing-time
// timer: cancelled when there is none, re-registered when an earlier timer
// arrived.
func (s *TimerService) arm() {
	if s.closed || s.firingPro {
		return
	}
	ts, ok := s.proc.peek()
	if !ok {
		s.disarm()
		return
	}
	if s.cancel != nil && s.armedTS <= ts {
		return
	}
	s.disarm()
	s.armGen++
	gen := s.armGen
	s.armedTS = ts
	s.cancel = s.pts.RegisterTimer(ts, func(now int64) error {
		if gen != s.armGen || s.closed {
			return nil // cancelled after it was queued
		}
		return s.fireProcessingTime(now)
	})
}

func (s *TimerService) disarm() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.armGen++
}

// fireProcessingTime fires every processing-time timer due by the clock, in
// timestamp order, then re-arms for the next one.
func (s *TimerService) fireProcessingTime(callbackTS int64) error {
	s.cancel = nil
	s.armGen++
	s.firingPro = true
	defer func() {
		s.firingPro = false
		s.arm()
	}()
	now := max(s.pts.Now(), callbackTS)
	for {
		ts, ok := s.proc.peek()
		if !ok || ts > now {
			return nil
		}
		t, _ := s.proc.pop()
		s.b.SetCurrentKey(t.Key)
		if err := s.target.OnProcessingTime(t); err != nil {
			return err
		}
	}
}
