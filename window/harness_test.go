package window

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
)

// manualClock is a ProcessingTimeService whose time moves only when a test
// advances it; due callbacks run in timestamp order inside advance.
type manualClock struct {
	now    int64
	seq    int
	timers []*manualTimer
}

type manualTimer struct {
	ts        int64
	seq       int
	fn        func(ts int64) error
	cancelled bool
}

func (c *manualClock) Now() int64 { return c.now }

func (c *manualClock) RegisterTimer(ts int64, fn func(ts int64) error) func() {
	c.seq++
	t := &manualTimer{ts: ts, seq: c.seq, fn: fn}
	c.timers = append(c.timers, t)
	return func() { t.cancelled = true }
}

// advance sets the clock to to and runs every callback due by then,
// including callbacks registered while running them.
func (c *manualClock) advance(to int64) error {
	c.now = max(c.now, to)
	for {
		c.timers = slices.DeleteFunc(c.timers, func(t *manualTimer) bool { return t.cancelled })
		slices.SortFunc(c.timers, func(a, b *manualTimer) int {
			return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(a.seq, b.seq))
		})
		if len(c.timers) == 0 || c.timers[0].ts > c.now {
			return nil
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if err := t.fn(t.ts); err != nil {
			return err
		}
	}
}

// pending counts the callbacks not yet run or cancelled.
func (c *manualClock) pending() int {
	n := 0
	for _, t := range c.timers {
		if !t.cancelled {
			n++
		}
	}
	return n
}

// fakeContext is an operator.Context for one subtask owning all key groups.
type fakeContext struct {
	clock *manualClock
}

func (c *fakeContext) OperatorName() string                           { return "test-window" }
func (c *fakeContext) Restored() *operator.Restored                   { return nil }
func (c *fakeContext) AttemptNumber() int                             { return 0 }
func (c *fakeContext) UID() string                                    { return "test-window-uid" }
func (c *fakeContext) SubtaskIndex() int                              { return 0 }
func (c *fakeContext) Parallelism() int                               { return 1 }
func (c *fakeContext) MaxParallelism() int                            { return 128 }
func (c *fakeContext) KeyGroupRange() keygroup.Range                  { return keygroup.Range{Start: 0, End: 127} }
func (c *fakeContext) Config() *config.Configuration                  { return config.New() }
func (c *fakeContext) ProcessingTime() operator.ProcessingTimeService { return c.clock }
func (c *fakeContext) Execute(string, func() error) {
	panic("Execute is not used by the window operator")
}

// event is one thing an operator emitted, in order.
type event[T any] struct {
	kind  string // "record", "side", "watermark", "status"
	value T
	side  any
	tag   string
	ts    int64
	idle  bool
	step  int // the harness step (input) during which it was emitted
}

// recordingOutput is an operator.Output that records everything in order.
type recordingOutput[T any] struct {
	step   int
	events []event[T]
}

func (o *recordingOutput[T]) Collect(v T, ts int64) {
	o.events = append(o.events, event[T]{kind: "record", value: v, ts: ts, step: o.step})
}

func (o *recordingOutput[T]) EmitWatermark(wm int64) {
	o.events = append(o.events, event[T]{kind: "watermark", ts: wm, step: o.step})
}

func (o *recordingOutput[T]) EmitWatermarkStatus(idle bool) {
	o.events = append(o.events, event[T]{kind: "status", idle: idle, step: o.step})
}

func (o *recordingOutput[T]) CollectSide(tag string, v any, ts int64) {
	o.events = append(o.events, event[T]{kind: "side", tag: tag, side: v, ts: ts, step: o.step})
}

func (o *recordingOutput[T]) records() []event[T] { return o.filter("record") }

func (o *recordingOutput[T]) filter(kind string) []event[T] {
	var out []event[T]
	for _, e := range o.events {
		if e.kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func (o *recordingOutput[T]) values() []T {
	var out []T
	for _, e := range o.records() {
		out = append(out, e.value)
	}
	return out
}

// harness drives one window operator through its lifecycle.
type harness[K comparable, IN, OUT any, W Window] struct {
	t     testing.TB
	op    *Operator[K, IN, OUT, W]
	out   *recordingOutput[OUT]
	clock *manualClock
}

func newHarness[K comparable, IN, OUT any, W Window](t testing.TB, op *Operator[K, IN, OUT, W], err error) *harness[K, IN, OUT, W] {
	t.Helper()
	if err != nil {
		t.Fatalf("building the operator: %v", err)
	}
	h := &harness[K, IN, OUT, W]{t: t, op: op, out: &recordingOutput[OUT]{}, clock: &manualClock{}}
	op.SetOutput(operator.Output[OUT](h.out))
	if err := op.Open(&fakeContext{clock: h.clock}); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := op.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

func (h *harness[K, IN, OUT, W]) element(v IN, ts int64) {
	h.t.Helper()
	h.out.step++
	if err := h.op.ProcessElement(v, ts); err != nil {
		h.t.Fatalf("ProcessElement(%v, %d): %v", v, ts, err)
	}
}

func (h *harness[K, IN, OUT, W]) watermark(wm int64) {
	h.t.Helper()
	h.out.step++
	if err := h.op.ProcessWatermark(wm); err != nil {
		h.t.Fatalf("ProcessWatermark(%d): %v", wm, err)
	}
}

func (h *harness[K, IN, OUT, W]) advance(to int64) {
	h.t.Helper()
	h.out.step++
	if err := h.clock.advance(to); err != nil {
		h.t.Fatalf("advancing processing time to %d: %v", to, err)
	}
}

// takeValues returns the records emitted since the last call.
func (h *harness[K, IN, OUT, W]) takeValues() []OUT {
	vs := h.out.values()
	h.out.events = h.out.events[:0]
	return vs
}

// kv is the usual test input: a keyed integer.
type kv struct {
	Key string
	V   int64
}

func kvKey(r kv) string { return r.Key }

// sumCount is an AggregateFunction summing and counting kv values.
type sumCount struct{}

type acc struct{ Sum, Count int64 }

func (sumCount) CreateAccumulator() acc { return acc{} }
func (sumCount) Add(v kv, a acc) acc    { return acc{a.Sum + v.V, a.Count + 1} }
func (sumCount) GetResult(a acc) acc    { return a }
func (sumCount) Merge(a, b acc) acc     { return acc{a.Sum + b.Sum, a.Count + b.Count} }
func (r result[W]) String() string {
	return fmt.Sprintf("%s %v sum=%d n=%d", r.Key, r.W, r.Sum, r.Count)
}
func sortResults[W Window](rs []result[W]) []result[W] {
	slices.SortFunc(rs, compareResults)
	return rs
}

// result is what the test window functions emit.
type result[W Window] struct {
	Key        string
	W          W
	Sum, Count int64
}

func compareResults[W Window](a, b result[W]) int {
	return cmp.Compare(a.String(), b.String())
}

// emitAcc is a window function over aggregated windows.
func emitAcc[W Window]() ProcessFunc[acc, result[W], string, W] {
	return func(key string, ctx ProcessContext[W], elements []acc, out operator.Collector[result[W]]) error {
		if len(elements) != 1 {
			return fmt.Errorf("aggregated window has %d elements, want 1", len(elements))
		}
		out.Collect(result[W]{Key: key, W: ctx.Window(), Sum: elements[0].Sum, Count: elements[0].Count})
		return nil
	}
}

// emitSum is a window function over buffered windows.
func emitSum[W Window]() ProcessFunc[kv, result[W], string, W] {
	return func(key string, ctx ProcessContext[W], elements []kv, out operator.Collector[result[W]]) error {
		r := result[W]{Key: key, W: ctx.Window(), Count: int64(len(elements))}
		for _, e := range elements {
			r.Sum += e.V
		}
		out.Collect(r)
		return nil
	}
}

// emitValues is a buffered window function that emits the values it sees.
func emitValues[W Window]() ProcessFunc[kv, []int64, string, W] {
	return func(_ string, _ ProcessContext[W], elements []kv, out operator.Collector[[]int64]) error {
		vs := make([]int64, len(elements))
		for i, e := range elements {
			vs[i] = e.V
		}
		out.Collect(vs)
		return nil
	}
}
