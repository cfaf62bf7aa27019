package eventtime

import (
	"math"
	"time"
)

const (
	// NoTimestamp marks a record without an event timestamp.
	NoTimestamp int64 = math.MinInt64
	// MinWatermark is the watermark before any progress.
	MinWatermark int64 = math.MinInt64
	// MaxWatermark ends event time: every event-time timer fires. Bounded
	// sources emit it when their input is exhausted.
	MaxWatermark int64 = math.MaxInt64
)

// WatermarkOutput receives watermarks and idleness from a generator.
type WatermarkOutput interface {
	// EmitWatermark announces that no more records with timestamp <= ts are
	// expected. Watermarks that do not advance are ignored.
	EmitWatermark(ts int64)
	// MarkIdle excludes this output from the minimum until it emits again.
	MarkIdle()
	// MarkActive includes this output in the minimum again.
	MarkActive()
}

// WatermarkGenerator derives watermarks from events (punctuated) or on a
// period (pipeline.auto-watermark-interval). It is called from one goroutine.
type WatermarkGenerator[T any] interface {
	OnEvent(event T, timestamp int64, out WatermarkOutput)
	OnPeriodicEmit(out WatermarkOutput)
}

// TimestampAssigner extracts an event timestamp (ms) from a record.
// recordTimestamp is the timestamp the source attached, or NoTimestamp.
type TimestampAssigner[T any] func(event T, recordTimestamp int64) int64

// GeneratorContext is handed to generator factories.
type GeneratorContext struct {
	// Now returns the processing time in ms; injected so tests control it.
	Now func() int64
}

// WatermarkStrategy bundles how to timestamp records and generate watermarks.
// The zero value assigns no timestamps and emits no watermarks.
type WatermarkStrategy[T any] struct {
	// NewGenerator builds one generator per split / input (nil: no watermarks).
	NewGenerator func(GeneratorContext) WatermarkGenerator[T]
	// Assigner extracts timestamps (nil: keep the source's timestamp).
	Assigner TimestampAssigner[T]
	// IdleTimeout marks an input idle after this long without records (0: never).
	IdleTimeout time.Duration
}

// NoWatermarks is a strategy that generates neither timestamps nor watermarks.
func NoWatermarks[T any]() WatermarkStrategy[T] { return WatermarkStrategy[T]{} }

// ForBoundedOutOfOrderness emits watermark = maxTimestamp - maxOutOfOrderness - 1
// periodically, tolerating records up to maxOutOfOrderness late.
func ForBoundedOutOfOrderness[T any](maxOutOfOrderness time.Duration) WatermarkStrategy[T] {
	bound := maxOutOfOrderness.Milliseconds()
	return WatermarkStrategy[T]{NewGenerator: func(GeneratorContext) WatermarkGenerator[T] {
		return &boundedOutOfOrderness[T]{bound: bound, maxTs: math.MinInt64 + bound + 1}
	}}
}

// ForMonotonousTimestamps is bounded out-of-orderness with zero delay: for
// sources whose timestamps never decrease.
func ForMonotonousTimestamps[T any]() WatermarkStrategy[T] {
	return ForBoundedOutOfOrderness[T](0)
}

// ForGenerator uses a custom generator.
func ForGenerator[T any](newGen func(GeneratorContext) WatermarkGenerator[T]) WatermarkStrategy[T] {
	return WatermarkStrategy[T]{NewGenerator: newGen}
}

// WithTimestampAssigner returns s with a timestamp assigner.
func (s WatermarkStrategy[T]) WithTimestampAssigner(a TimestampAssigner[T]) WatermarkStrategy[T] {
	s.Assigner = a
	return s
}

// WithIdleness returns s that marks an input idle after timeout without
// records, so it no longer holds back the combined watermark.
func (s WatermarkStrategy[T]) WithIdleness(timeout time.Duration) WatermarkStrategy[T] {
	s.IdleTimeout = timeout
	return s
}

// CreateGenerator builds the generator for one input, wrapped with idleness
// detection when configured. It returns nil when the strategy has none.
func (s WatermarkStrategy[T]) CreateGenerator(ctx GeneratorContext) WatermarkGenerator[T] {
	if s.NewGenerator == nil {
		return nil
	}
	g := s.NewGenerator(ctx)
	if s.IdleTimeout > 0 {
		if ctx.Now == nil {
			ctx.Now = func() int64 { return time.Now().UnixMilli() }
		}
		g = &idleness[T]{inner: g, timeout: s.IdleTimeout.Milliseconds(), now: ctx.Now, lastSeen: ctx.Now()}
	}
	return g
}

// Timestamp applies the assigner, or keeps recordTimestamp without one.
func (s WatermarkStrategy[T]) Timestamp(event T, recordTimestamp int64) int64 {
	if s.Assigner == nil {
		return recordTimestamp
	}
	return s.Assigner(event, recordTimestamp)
}

type boundedOutOfOrderness[T any] struct {
	bound, maxTs int64
}

func (g *boundedOutOfOrderness[T]) OnEvent(_ T, ts int64, _ WatermarkOutput) {
	if ts > g.maxTs {
		g.maxTs = ts
	}
}

func (g *boundedOutOfOrderness[T]) OnPeriodicEmit(out WatermarkOutput) {
	out.EmitWatermark(g.maxTs - g.bound - 1)
}

// idleness marks the output idle when no event arrived for timeout ms of
// processing time, and active again on the next event.
type idleness[T any] struct {
	inner    WatermarkGenerator[T]
	timeout  int64
	now      func() int64
	lastSeen int64
	idle     bool
}

func (g *idleness[T]) OnEvent(e T, ts int64, out WatermarkOutput) {
	g.lastSeen = g.now()
	if g.idle {
		g.idle = false
		out.MarkActive()
	}
	g.inner.OnEvent(e, ts, out)
}

func (g *idleness[T]) OnPeriodicEmit(out WatermarkOutput) {
	if g.idle {
		return
	}
	if g.now()-g.lastSeen >= g.timeout {
		g.idle = true
		out.MarkIdle()
		return
	}
	g.inner.OnPeriodicEmit(out)
}
