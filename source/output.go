package source

import (
	"slices"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
)

// readerWideKey is the multiplexer key of the reader-wide output. Split keys
// carry a prefix, so no split ID can collide with it.
const readerWideKey = "reader"

func splitKey(splitID string) string { return "split/" + splitID }

// readerOutput is the ReaderOutput an Operator hands its reader: it assigns
// timestamps, runs one watermark generator per split plus one for the reader
// itself, and combines their watermarks with an eventtime.Multiplexer into
// the operator's output.
type readerOutput[T any] struct {
	out      operator.Output[T]
	strategy eventtime.WatermarkStrategy[T]
	genCtx   eventtime.GeneratorContext
	fwd      *watermarkForwarder[T]
	// mux is nil when the strategy has no generator: then no watermarks are
	// emitted except the final one.
	mux *eventtime.Multiplexer

	splits map[string]*sourceOutput[T]
	// order lists split IDs in creation order, so periodic emission visits
	// generators deterministically.
	order []string

	// wide is the reader-wide output's state; it joins the multiplexer on
	// first direct use.
	wide       sourceOutput[T]
	wideActive bool

	// emptySince is when the multiplexer last had no outputs (processing
	// time). A reader without splits has no generator that could go idle,
	// so with an idle timeout the reader itself is marked idle once it has
	// been empty that long (emptyIdle), as Flink's reader-wide generator
	// would; otherwise it would hold back downstream watermarks for good.
	emptySince int64
	emptyIdle  bool
}

func newReaderOutput[T any](out operator.Output[T], strategy eventtime.WatermarkStrategy[T], now func() int64) *readerOutput[T] {
	r := &readerOutput[T]{
		out:      out,
		strategy: strategy,
		genCtx:   eventtime.GeneratorContext{Now: now},
		fwd:      &watermarkForwarder[T]{out: out, emitted: eventtime.MinWatermark},
		splits:   map[string]*sourceOutput[T]{},
	}
	if now != nil {
		r.emptySince = now()
	}
	if strategy.NewGenerator != nil {
		r.mux = eventtime.NewMultiplexer(r.fwd)
		r.wide = sourceOutput[T]{r: r, gen: strategy.CreateGenerator(r.genCtx), wm: lazyWatermarkOutput[T]{r}}
	} else {
		r.wide = sourceOutput[T]{r: r}
	}
	return r
}

// activateWide registers the reader-wide output with the multiplexer the
// first time the reader uses it, so readers that only emit through split
// outputs are not held back by a generator that never sees a record.
func (r *readerOutput[T]) activateWide() {
	if !r.wideActive && r.mux != nil {
		r.wideActive = true
		r.wide.wm = r.mux.Register(readerWideKey)
		r.endEmptyIdle()
	}
}

// endEmptyIdle makes the output active again when an output registers
// after the reader was marked idle for having none.
func (r *readerOutput[T]) endEmptyIdle() {
	if r.emptyIdle {
		r.emptyIdle = false
		r.fwd.MarkActive()
	}
}

func (r *readerOutput[T]) Collect(v T) {
	r.activateWide()
	r.wide.Collect(v)
}

func (r *readerOutput[T]) CollectWithTimestamp(v T, ts int64) {
	r.activateWide()
	r.wide.CollectWithTimestamp(v, ts)
}

func (r *readerOutput[T]) EmitWatermark(wm int64) {
	r.activateWide()
	r.wide.EmitWatermark(wm)
}

func (r *readerOutput[T]) MarkIdle() {
	r.activateWide()
	r.wide.MarkIdle()
}

func (r *readerOutput[T]) MarkActive() {
	r.activateWide()
	r.wide.MarkActive()
}

// CollectSide sends v to a side output; it touches no watermark generator,
// so the reader-wide output stays inactive.
func (r *readerOutput[T]) CollectSide(tag string, v any, ts int64) {
	r.out.CollectSide(tag, v, ts)
}

func (r *readerOutput[T]) CreateOutputForSplit(splitID string) SourceOutput[T] {
	if o, ok := r.splits[splitID]; ok {
		return o
	}
	o := &sourceOutput[T]{r: r}
	if r.mux != nil {
		o.gen = r.strategy.CreateGenerator(r.genCtx)
		o.wm = r.mux.Register(splitKey(splitID))
		r.endEmptyIdle()
	}
	r.splits[splitID] = o
	r.order = append(r.order, splitID)
	return o
}

func (r *readerOutput[T]) ReleaseOutputForSplit(splitID string) {
	if _, ok := r.splits[splitID]; !ok {
		return
	}
	delete(r.splits, splitID)
	r.order = slices.DeleteFunc(r.order, func(id string) bool { return id == splitID })
	if r.mux != nil {
		r.mux.Unregister(splitKey(splitID))
		if r.mux.Len() == 0 && r.genCtx.Now != nil {
			r.emptySince = r.genCtx.Now()
		}
	}
}

// periodicEmit asks every generator for a watermark. The forwarder holds
// back intermediate results so downstream sees one combined update per
// period rather than one per split.
func (r *readerOutput[T]) periodicEmit() {
	if r.mux == nil {
		return
	}
	if r.mux.Len() == 0 {
		timeout := r.strategy.IdleTimeout.Milliseconds()
		if timeout > 0 && !r.emptyIdle && r.genCtx.Now != nil && r.genCtx.Now()-r.emptySince >= timeout {
			r.emptyIdle = true
			r.fwd.MarkIdle()
		}
		return
	}
	r.fwd.hold()
	for _, id := range r.order {
		o := r.splits[id]
		o.gen.OnPeriodicEmit(o.wm)
	}
	if r.wideActive {
		r.wide.gen.OnPeriodicEmit(r.wide.wm)
	}
	r.fwd.release()
}

// emitFinal emits MaxWatermark once: the source ended, so event time ends.
func (r *readerOutput[T]) emitFinal() {
	r.fwd.final()
}

// sourceOutput is one split's output (or the reader-wide one): timestamps
// records and feeds its generator, whose watermarks go to wm.
type sourceOutput[T any] struct {
	r   *readerOutput[T]
	gen eventtime.WatermarkGenerator[T] // nil: no watermarks
	wm  eventtime.WatermarkOutput
}

func (o *sourceOutput[T]) Collect(v T) { o.CollectWithTimestamp(v, eventtime.NoTimestamp) }

func (o *sourceOutput[T]) CollectWithTimestamp(v T, ts int64) {
	ts = o.r.strategy.Timestamp(v, ts)
	// Record first, then the generator, as Flink does: a watermark the
	// event triggers must not overtake the event itself.
	o.r.out.Collect(v, ts)
	if o.gen != nil {
		o.gen.OnEvent(v, ts, o.wm)
	}
}

func (o *sourceOutput[T]) CollectSide(tag string, v any, ts int64) {
	o.r.out.CollectSide(tag, v, ts)
}

func (o *sourceOutput[T]) EmitWatermark(wm int64) {
	if o.wm != nil {
		o.wm.EmitWatermark(wm)
	}
}

func (o *sourceOutput[T]) MarkIdle() {
	if o.wm != nil {
		o.wm.MarkIdle()
	}
}

func (o *sourceOutput[T]) MarkActive() {
	if o.wm != nil {
		o.wm.MarkActive()
	}
}

// lazyWatermarkOutput stands in for the reader-wide output's multiplexer
// entry until the reader uses that output; it registers on first use.
type lazyWatermarkOutput[T any] struct{ r *readerOutput[T] }

func (l lazyWatermarkOutput[T]) EmitWatermark(ts int64) {
	l.r.activateWide()
	l.r.wide.wm.EmitWatermark(ts)
}

func (l lazyWatermarkOutput[T]) MarkIdle() {
	l.r.activateWide()
	l.r.wide.wm.MarkIdle()
}

func (l lazyWatermarkOutput[T]) MarkActive() {
	l.r.activateWide()
	l.r.wide.wm.MarkActive()
}

// watermarkForwarder turns the combined watermark and idleness into
// operator output calls. Emitting a watermark while idle first marks the
// output active, as a watermark is progress. While held (during periodic
// emission) it only records the latest state and forwards it on release.
type watermarkForwarder[T any] struct {
	out     operator.Output[T]
	emitted int64 // last watermark forwarded
	idle    bool  // last status forwarded
	done    bool  // MaxWatermark was forwarded; nothing follows it

	held        bool
	pendingWm   int64
	pendingIdle bool
}

func (f *watermarkForwarder[T]) EmitWatermark(ts int64) {
	if f.held {
		f.pendingWm = max(f.pendingWm, ts)
		f.pendingIdle = false
		return
	}
	f.forwardWatermark(ts)
}

func (f *watermarkForwarder[T]) MarkIdle() {
	if f.held {
		f.pendingIdle = true
		return
	}
	f.forwardStatus(true)
}

func (f *watermarkForwarder[T]) MarkActive() {
	if f.held {
		f.pendingIdle = false
		return
	}
	f.forwardStatus(false)
}

func (f *watermarkForwarder[T]) hold() {
	f.held = true
	f.pendingWm = f.emitted
	f.pendingIdle = f.idle
}

func (f *watermarkForwarder[T]) release() {
	f.held = false
	if f.pendingWm > f.emitted {
		f.forwardWatermark(f.pendingWm)
	}
	f.forwardStatus(f.pendingIdle)
}

func (f *watermarkForwarder[T]) final() {
	f.held = false
	f.forwardWatermark(eventtime.MaxWatermark)
	f.done = true
}

func (f *watermarkForwarder[T]) forwardWatermark(ts int64) {
	if f.done || ts <= f.emitted {
		return
	}
	f.forwardStatus(false)
	f.emitted = ts
	f.out.EmitWatermark(ts)
}

func (f *watermarkForwarder[T]) forwardStatus(idle bool) {
	if f.done || f.idle == idle {
		return
	}
	f.idle = idle
	f.out.EmitWatermarkStatus(idle)
}
