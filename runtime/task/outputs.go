package task

import (
	"github.com/weirstream/weir/runtime/operator"
)

// tracker remembers which operator of the chain is running, so a panic or
// error deep in a chain of direct calls is reported with that operator's name.
type tracker struct{ current int }

// failure carries an operator error up through a chain of Collect calls,
// which have no error result.
type failure struct {
	op  int
	err error
}

// chained feeds records straight into the next operator of a chain.
type chained[T any] struct {
	op  operator.OneInput[T]
	idx int
	tr  *tracker
}

func (c *chained[T]) Collect(v T, ts int64) {
	prev := c.tr.current
	c.tr.current = c.idx
	if err := c.op.ProcessElement(v, ts); err != nil {
		panic(failure{c.idx, err})
	}
	c.tr.current = prev
}

func (c *chained[T]) EmitWatermark(wm int64) {
	prev := c.tr.current
	c.tr.current = c.idx
	if err := c.op.ProcessWatermark(wm); err != nil {
		panic(failure{c.idx, err})
	}
	c.tr.current = prev
}

func (c *chained[T]) EmitWatermarkStatus(idle bool) {
	prev := c.tr.current
	c.tr.current = c.idx
	if err := c.op.ProcessWatermarkStatus(idle); err != nil {
		panic(failure{c.idx, err})
	}
	c.tr.current = prev
}

// CollectSide drops the record: an operator with side-output consumers gets
// a fanOut as its output, so reaching this means nobody consumes the tag.
func (c *chained[T]) CollectSide(string, any, int64) {}

// fanOut sends an operator's main output to several consumers.
type fanOut[T any] struct {
	outs []operator.Output[T]
	side *sideRouter
}

func (f *fanOut[T]) Collect(v T, ts int64) {
	for _, o := range f.outs {
		o.Collect(v, ts)
	}
}

func (f *fanOut[T]) EmitWatermark(wm int64) {
	for _, o := range f.outs {
		o.EmitWatermark(wm)
	}
	f.side.emitWatermark(wm)
}

func (f *fanOut[T]) EmitWatermarkStatus(idle bool) {
	for _, o := range f.outs {
		o.EmitWatermarkStatus(idle)
	}
	f.side.emitWatermarkStatus(idle)
}

func (f *fanOut[T]) CollectSide(tag string, v any, ts int64) { f.side.collect(tag, v, ts) }

// sideTarget is a consumer of a side output, whose record type is only
// known to the target itself.
type sideTarget interface {
	collectAny(v any, ts int64)
	operator.Output[any]
}

// sideRouter delivers side-output records by tag; tags without consumers
// are dropped as in Flink. Watermarks reach every side consumer.
type sideRouter struct {
	byTag map[string][]sideTarget
	all   []sideTarget
}

func (r *sideRouter) add(tag string, t sideTarget) {
	if r.byTag == nil {
		r.byTag = map[string][]sideTarget{}
	}
	r.byTag[tag] = append(r.byTag[tag], t)
	r.all = append(r.all, t)
}

func (r *sideRouter) collect(tag string, v any, ts int64) {
	if r == nil {
		return
	}
	for _, t := range r.byTag[tag] {
		t.collectAny(v, ts)
	}
}

func (r *sideRouter) emitWatermark(wm int64) {
	if r == nil {
		return
	}
	for _, t := range r.all {
		t.EmitWatermark(wm)
	}
}

func (r *sideRouter) emitWatermarkStatus(idle bool) {
	if r == nil {
		return
	}
	for _, t := range r.all {
		t.EmitWatermarkStatus(idle)
	}
}

// typedSide adapts a typed output to receive side-output values.
type typedSide[T any] struct {
	operator.Output[T]
	name string
}

func (s typedSide[T]) collectAny(v any, ts int64) {
	t, ok := v.(T)
	if !ok {
		var want T
		panic(sideTypeError{tag: s.name, got: v, want: want})
	}
	s.Output.Collect(t, ts)
}

func (s typedSide[T]) Collect(v any, ts int64) { s.collectAny(v, ts) }

type sideTypeError struct {
	tag       string
	got, want any
}
