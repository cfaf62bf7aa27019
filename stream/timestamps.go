package stream

import (
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
)

// AssignTimestampsAndWatermarks stamps records with wm's assigner and
// generates watermarks from them, replacing upstream watermarks (the end
// of input still passes through, so windows fire at the end). Prefer
// passing the strategy to FromSource: there watermarks are per split.
func AssignTimestampsAndWatermarks[T any](s *DataStream[T], wm eventtime.WatermarkStrategy[T]) *DataStream[T] {
	return oneInput[T, T](s, "Timestamps/Watermarks", func() operator.Operator {
		return &timestampsOp[T]{strategy: wm}
	})
}

type timestampsOp[T any] struct {
	base[T]
	strategy eventtime.WatermarkStrategy[T]
	gen      eventtime.WatermarkGenerator[T]
	emit     wmOut[T]
	cancel   func()
}

// wmOut turns generator calls into operator output, never going backwards.
type wmOut[T any] struct {
	out  operator.Output[T]
	last int64
	idle bool
}

func (w *wmOut[T]) EmitWatermark(ts int64) {
	if w.idle {
		w.MarkActive()
	}
	if ts > w.last {
		w.last = ts
		w.out.EmitWatermark(ts)
	}
}

func (w *wmOut[T]) MarkIdle() {
	if !w.idle {
		w.idle = true
		w.out.EmitWatermarkStatus(true)
	}
}

func (w *wmOut[T]) MarkActive() {
	if w.idle {
		w.idle = false
		w.out.EmitWatermarkStatus(false)
	}
}

func (o *timestampsOp[T]) Open(ctx operator.Context) error {
	if err := o.open(ctx, nil); err != nil {
		return err
	}
	pt := ctx.ProcessingTime()
	o.emit = wmOut[T]{out: o.out, last: eventtime.MinWatermark}
	o.gen = o.strategy.CreateGenerator(eventtime.GeneratorContext{Now: pt.Now})
	interval := config.Get(ctx.Config(), config.AutoWatermarkInterval).Milliseconds()
	if o.gen != nil && interval > 0 {
		var tick func(int64) error
		tick = func(int64) error {
			o.gen.OnPeriodicEmit(&o.emit)
			o.cancel = pt.RegisterTimer(pt.Now()+interval, tick)
			return nil
		}
		o.cancel = pt.RegisterTimer(pt.Now()+interval, tick)
	}
	return nil
}

func (o *timestampsOp[T]) ProcessElement(v T, ts int64) error {
	ts = o.strategy.Timestamp(v, ts)
	// Record before any watermark it triggers, so the record is not late.
	o.out.Collect(v, ts)
	if o.gen != nil {
		o.gen.OnEvent(v, ts, &o.emit)
	}
	return nil
}

func (o *timestampsOp[T]) ProcessWatermark(wm int64) error {
	if wm == eventtime.MaxWatermark {
		o.emit.EmitWatermark(wm)
	}
	return nil
}

func (o *timestampsOp[T]) ProcessWatermarkStatus(bool) error { return nil }

func (o *timestampsOp[T]) Finish() error {
	if o.gen != nil {
		o.gen.OnPeriodicEmit(&o.emit)
	}
	return nil
}

func (o *timestampsOp[T]) Close() error {
	if o.cancel != nil {
		o.cancel()
	}
	return o.base.Close()
}
