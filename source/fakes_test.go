package source

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
)

// outEvent is one call on a fakeOutput.
type outEvent struct {
	kind string // "rec", "wm" or "idle"
	v    int64
	ts   int64
	idle bool
}

func (e outEvent) String() string {
	switch e.kind {
	case "rec":
		return fmt.Sprintf("rec(%d@%d)", e.v, e.ts)
	case "wm":
		return fmt.Sprintf("wm(%d)", e.ts)
	default:
		return fmt.Sprintf("idle(%v)", e.idle)
	}
}

func rec(v, ts int64) outEvent  { return outEvent{kind: "rec", v: v, ts: ts} }
func wm(ts int64) outEvent      { return outEvent{kind: "wm", ts: ts} }
func idleEv(b bool) outEvent    { return outEvent{kind: "idle", idle: b} }
func maxWm() outEvent           { return wm(eventtime.MaxWatermark) }
func recNoTs(v int64) outEvent  { return rec(v, eventtime.NoTimestamp) }
func (e outEvent) isRec() bool  { return e.kind == "rec" }
func (e outEvent) isMark() bool { return e.kind != "rec" }

// fakeOutput records everything an operator emits, safe for one writer and
// concurrent readers.
type fakeOutput struct {
	mu     sync.Mutex
	events []outEvent
}

var _ operator.Output[int64] = (*fakeOutput)(nil)

func (o *fakeOutput) add(e outEvent) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
}

func (o *fakeOutput) Collect(v int64, ts int64)      { o.add(rec(v, ts)) }
func (o *fakeOutput) EmitWatermark(ts int64)         { o.add(wm(ts)) }
func (o *fakeOutput) EmitWatermarkStatus(idle bool)  { o.add(idleEv(idle)) }
func (o *fakeOutput) CollectSide(string, any, int64) {}
func (o *fakeOutput) snapshot() []outEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}
func (o *fakeOutput) truncate(n int)      { o.mu.Lock(); o.events = o.events[:n]; o.mu.Unlock() }
func (o *fakeOutput) len() int            { o.mu.Lock(); defer o.mu.Unlock(); return len(o.events) }
func (o *fakeOutput) marks() []outEvent   { return filter(o.snapshot(), outEvent.isMark) }
func (o *fakeOutput) records() []outEvent { return filter(o.snapshot(), outEvent.isRec) }
func filter(es []outEvent, f func(outEvent) bool) []outEvent {
	var out []outEvent
	for _, e := range es {
		if f(e) {
			out = append(out, e)
		}
	}
	return out
}

// fakeTime is a manual processing-time service: time moves only in advance.
type fakeTime struct {
	now    int64
	nextID int
	timers map[int]fakeTimer
}

type fakeTimer struct {
	ts int64
	fn func(int64) error
}

func newFakeTime(now int64) *fakeTime { return &fakeTime{now: now, timers: map[int]fakeTimer{}} }

func (p *fakeTime) Now() int64 { return p.now }

func (p *fakeTime) RegisterTimer(ts int64, fn func(int64) error) func() {
	id := p.nextID
	p.nextID++
	p.timers[id] = fakeTimer{ts, fn}
	return func() { delete(p.timers, id) }
}

// advance moves the clock to now, firing due timers in timestamp order
// (including ones registered while firing).
func (p *fakeTime) advance(now int64) error {
	for {
		ids := make([]int, 0, len(p.timers))
		for id, tm := range p.timers {
			if tm.ts <= now {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			p.now = now
			return nil
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := p.timers[ids[i]], p.timers[ids[j]]
			return a.ts < b.ts || a.ts == b.ts && ids[i] < ids[j]
		})
		tm := p.timers[ids[0]]
		delete(p.timers, ids[0])
		p.now = max(p.now, tm.ts)
		if err := tm.fn(tm.ts); err != nil {
			return err
		}
	}
}

// fakeContext is an operator.Context for one subtask.
type fakeContext struct {
	subtask, parallelism int
	cfg                  *config.Configuration
	pt                   operator.ProcessingTimeService
}

func (c *fakeContext) OperatorName() string         { return "Source: test" }
func (c *fakeContext) Restored() *operator.Restored { return nil }
func (c *fakeContext) AttemptNumber() int           { return 0 }
func (c *fakeContext) UID() string                  { return "source-test" }
func (c *fakeContext) SubtaskIndex() int            { return c.subtask }
func (c *fakeContext) Parallelism() int             { return c.parallelism }
func (c *fakeContext) MaxParallelism() int          { return 128 }
func (c *fakeContext) KeyGroupRange() keygroup.Range {
	return keygroup.RangeFor(128, c.parallelism, c.subtask)
}
func (c *fakeContext) Config() *config.Configuration                  { return c.cfg }
func (c *fakeContext) ProcessingTime() operator.ProcessingTimeService { return c.pt }
func (c *fakeContext) Execute(string, func() error)                   { panic("source operator must not use Execute") }

// sentEvents is a CoordinatorGateway recording what operators send, and
// optionally forwarding it.
type sentEvents struct {
	mu      sync.Mutex
	events  []OperatorEvent
	forward func(subtask int, ev OperatorEvent)
}

func (g *sentEvents) SendToCoordinator(subtask int, ev OperatorEvent) {
	g.mu.Lock()
	g.events = append(g.events, ev)
	g.mu.Unlock()
	if g.forward != nil {
		g.forward(subtask, ev)
	}
}

func (g *sentEvents) snapshot() []OperatorEvent {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.events)
}
