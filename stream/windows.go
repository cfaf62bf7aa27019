package stream

import (
	"fmt"
	"time"

	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/window"
)

// WindowedStream is a keyed stream cut into windows by an assigner; finish
// it with WindowReduce, WindowAggregate or WindowProcess.
type WindowedStream[T any, K comparable, W window.Window] struct {
	ks  *KeyedStream[T, K]
	cfg window.Config[K, T, W]
}

// Window groups each key's records into windows.
func Window[T any, K comparable, W window.Window](ks *KeyedStream[T, K], assigner window.Assigner[T, W]) *WindowedStream[T, K, W] {
	return &WindowedStream[T, K, W]{ks: ks, cfg: window.Config[K, T, W]{Key: ks.key, Assigner: assigner}}
}

// Trigger replaces the assigner's default trigger.
func (w *WindowedStream[T, K, W]) Trigger(t window.Trigger[T, W]) *WindowedStream[T, K, W] {
	w.cfg.Trigger = t
	return w
}

// Evictor removes records from a window before or after the function runs;
// windows with an evictor buffer every record.
func (w *WindowedStream[T, K, W]) Evictor(e window.Evictor[T, W]) *WindowedStream[T, K, W] {
	w.cfg.Evictor = e
	return w
}

// AllowedLateness keeps event-time windows this long after they fired, so
// late records update them (each late record fires the window again).
func (w *WindowedStream[T, K, W]) AllowedLateness(d time.Duration) *WindowedStream[T, K, W] {
	w.cfg.AllowedLateness = d
	return w
}

// SideOutputLateData sends records that arrive after their windows were
// purged to tag instead of dropping them.
func (w *WindowedStream[T, K, W]) SideOutputLateData(tag OutputTag[T]) *WindowedStream[T, K, W] {
	w.cfg.LateDataTag = tag.ID()
	return w
}

func windowed[T any, K comparable, W window.Window, R any](w *WindowedStream[T, K, W], name string, newOp func(cfg window.Config[K, T, W]) (operator.Operator, error)) *DataStream[R] {
	cfg := w.cfg
	env := w.ks.in.env
	// Build one operator now so configuration mistakes surface from
	// Execute, before anything runs.
	check := cfg
	if check.Name == "" {
		check.Name = name
	}
	if _, err := newOp(check); err != nil {
		env.buildErrs = append(env.buildErrs, fmt.Errorf("stream: %w", err))
	}
	return keyedInput[T, K, R](w.ks, name, func() operator.Operator {
		op, err := newOp(cfg)
		if err != nil {
			panic(err) // unreachable: the same config built above
		}
		return op
	})
}

// WindowReduce folds each window's records with fn and emits one result per
// firing.
func WindowReduce[T any, K comparable, W window.Window](w *WindowedStream[T, K, W], fn func(a, b T) (T, error)) *DataStream[T] {
	return WindowReduceProcess(w, fn, passWindow[T, K, W]())
}

// WindowReduceProcess folds records with fn and hands the result to pf with
// the window's metadata.
func WindowReduceProcess[T any, K comparable, W window.Window, R any](w *WindowedStream[T, K, W], fn func(a, b T) (T, error), pf window.ProcessFunction[T, R, K, W]) *DataStream[R] {
	return windowAggregate[T, K, W, *reduceAcc[T], T, R](w, "Window(Reduce)", reduceAggregate[T]{fn}, pf)
}

// WindowAggregate aggregates each window incrementally with agg.
func WindowAggregate[T any, K comparable, W window.Window, ACC, R any](w *WindowedStream[T, K, W], agg state.AggregateFunction[T, ACC, R]) *DataStream[R] {
	return WindowAggregateProcess(w, agg, passWindow[R, K, W]())
}

// WindowAggregateProcess aggregates incrementally with agg and hands the
// result to pf with the window's metadata.
func WindowAggregateProcess[T any, K comparable, W window.Window, ACC, V, R any](w *WindowedStream[T, K, W], agg state.AggregateFunction[T, ACC, V], pf window.ProcessFunction[V, R, K, W]) *DataStream[R] {
	return windowAggregate(w, "Window(Aggregate)", agg, pf)
}

func windowAggregate[T any, K comparable, W window.Window, ACC, V, R any](w *WindowedStream[T, K, W], name string, agg state.AggregateFunction[T, ACC, V], pf window.ProcessFunction[V, R, K, W]) *DataStream[R] {
	if w.cfg.Evictor != nil {
		// Evicting windows keep every record; aggregate after eviction.
		return windowed[T, K, W, R](w, name, func(cfg window.Config[K, T, W]) (operator.Operator, error) {
			return window.NewBufferingOperator(cfg, window.ProcessFunction[T, R, K, W](&aggregateAfterEvict[T, K, W, ACC, V, R]{agg: agg, pf: instance(pf)}))
		})
	}
	return windowed[T, K, W, R](w, name, func(cfg window.Config[K, T, W]) (operator.Operator, error) {
		return window.NewAggregatingOperator(cfg, agg, instance(pf))
	})
}

// WindowProcess hands every window's records to pf when it fires.
func WindowProcess[T any, K comparable, W window.Window, R any](w *WindowedStream[T, K, W], pf window.ProcessFunction[T, R, K, W]) *DataStream[R] {
	return windowed[T, K, W, R](w, "Window(Process)", func(cfg window.Config[K, T, W]) (operator.Operator, error) {
		return window.NewBufferingOperator(cfg, instance(pf))
	})
}

func passWindow[T any, K comparable, W window.Window]() window.ProcessFunction[T, T, K, W] {
	return window.ProcessFunc[T, T, K, W](func(_ K, _ window.ProcessContext[W], elements []T, out operator.Collector[T]) error {
		for _, e := range elements {
			out.Collect(e)
		}
		return nil
	})
}

// reduceAcc is a window's reduced value; its fields are exported so the
// default codec can checkpoint it.
type reduceAcc[T any] struct {
	V   T
	Set bool
}

// reduceAggregate turns a reduce function into an AggregateFunction.
type reduceAggregate[T any] struct{ fn func(a, b T) (T, error) }

func (r reduceAggregate[T]) CreateAccumulator() *reduceAcc[T] { return &reduceAcc[T]{} }

func (r reduceAggregate[T]) Add(v T, acc *reduceAcc[T]) *reduceAcc[T] {
	if !acc.Set {
		return &reduceAcc[T]{V: v, Set: true}
	}
	out, err := r.fn(acc.V, v)
	if err != nil {
		operator.Fail(err)
	}
	return &reduceAcc[T]{V: out, Set: true}
}

func (r reduceAggregate[T]) GetResult(acc *reduceAcc[T]) T { return acc.V }

func (r reduceAggregate[T]) Merge(a, b *reduceAcc[T]) *reduceAcc[T] {
	switch {
	case !a.Set:
		return b
	case !b.Set:
		return a
	}
	return r.Add(b.V, a)
}

type aggregateAfterEvict[T any, K comparable, W window.Window, ACC, V, R any] struct {
	agg state.AggregateFunction[T, ACC, V]
	pf  window.ProcessFunction[V, R, K, W]
}

func (a *aggregateAfterEvict[T, K, W, ACC, V, R]) Process(key K, ctx window.ProcessContext[W], elements []T, out operator.Collector[R]) error {
	acc := a.agg.CreateAccumulator()
	for _, e := range elements {
		acc = a.agg.Add(e, acc)
	}
	return a.pf.Process(key, ctx, []V{a.agg.GetResult(acc)}, out)
}
