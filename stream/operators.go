package stream

import (
	"fmt"
	"reflect"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
)

// base holds what every operator with output R needs.
type base[R any] struct {
	out operator.Output[R]
	ctx operator.Context
	wm  int64
	ops *state.OperatorStore
	// fn is the user function, opened and closed with the operator.
	fn any
}

func (b *base[R]) SetOutput(out any) { b.out = out.(operator.Output[R]) }

func (b *base[R]) Open(ctx operator.Context) error { return b.open(ctx, nil) }

func (b *base[R]) open(ctx operator.Context, keyed state.KeyedBackend) error {
	b.ctx, b.wm, b.ops = ctx, eventtime.MinWatermark, state.NewOperatorStore()
	if r := ctx.Restored(); r != nil {
		if err := b.ops.Restore(r.Lists); err != nil {
			return fmt.Errorf("restore operator state: %w", err)
		}
	}
	if o, ok := b.fn.(Opener); ok {
		return o.Open(&runtimeContext{ctx: ctx, keyed: keyed, ops: b.ops})
	}
	return nil
}

func (b *base[R]) ProcessWatermark(wm int64) error {
	b.wm = wm
	b.out.EmitWatermark(wm)
	return nil
}

func (b *base[R]) ProcessWatermarkStatus(idle bool) error {
	b.out.EmitWatermarkStatus(idle)
	return nil
}

func (b *base[R]) Finish() error { return nil }

// SnapshotState implements operator.Snapshotter: the operator (list,
// union and broadcast) state the user function registered.
func (b *base[R]) SnapshotState(operator.SnapshotContext) (operator.StateSnapshot, error) {
	lists, err := b.ops.Snapshot()
	return operator.StateSnapshot{Lists: lists}, err
}

func (b *base[R]) Close() error {
	if c, ok := b.fn.(Closer); ok {
		return c.Close()
	}
	return nil
}

// Timestamp and the rest implement Context for the record being processed.
type recordContext[R any] struct {
	b  *base[R]
	ts int64
}

func (c *recordContext[R]) Timestamp() int64             { return c.ts }
func (c *recordContext[R]) CurrentWatermark() int64      { return c.b.wm }
func (c *recordContext[R]) CurrentProcessingTime() int64 { return c.b.ctx.ProcessingTime().Now() }
func (c *recordContext[R]) Output(tag Tag, v any)        { c.b.out.CollectSide(tag.ID(), v, c.ts) }

// collector stamps output records with the input record's timestamp.
type collector[R any] struct {
	out operator.Output[R]
	ts  int64
}

func (c *collector[R]) Collect(v R) { c.out.Collect(v, c.ts) }

type runtimeContext struct {
	ctx   operator.Context
	keyed state.KeyedBackend
	ops   *state.OperatorStore
}

func (r *runtimeContext) OperatorName() string                { return r.ctx.OperatorName() }
func (r *runtimeContext) IndexOfThisSubtask() int             { return r.ctx.SubtaskIndex() }
func (r *runtimeContext) NumberOfParallelSubtasks() int       { return r.ctx.Parallelism() }
func (r *runtimeContext) MaxParallelism() int                 { return r.ctx.MaxParallelism() }
func (r *runtimeContext) Config() *config.Configuration       { return r.ctx.Config() }
func (r *runtimeContext) KeyedState() state.KeyedBackend      { return r.keyed }
func (r *runtimeContext) OperatorState() *state.OperatorStore { return r.ops }

// passOp forwards records unchanged (Union).
type passOp[T any] struct{ base[T] }

func (o *passOp[T]) ProcessElement(v T, ts int64) error {
	o.out.Collect(v, ts)
	return nil
}

type mapOp[T, R any] struct {
	base[R]
	mapFn func(T) (R, error)
}

func (o *mapOp[T, R]) ProcessElement(v T, ts int64) error {
	r, err := o.mapFn(v)
	if err != nil {
		return err
	}
	o.out.Collect(r, ts)
	return nil
}

type filterOp[T any] struct {
	base[T]
	pred func(T) (bool, error)
}

func (o *filterOp[T]) ProcessElement(v T, ts int64) error {
	keep, err := o.pred(v)
	if err != nil {
		return err
	}
	if keep {
		o.out.Collect(v, ts)
	}
	return nil
}

type flatMapOp[T, R any] struct {
	base[R]
	flatFn func(T, Collector[R]) error
	coll   collector[R]
}

func (o *flatMapOp[T, R]) ProcessElement(v T, ts int64) error {
	o.coll.out, o.coll.ts = o.out, ts
	return o.flatFn(v, &o.coll)
}

type processOp[T, R any] struct {
	base[R]
	pf   ProcessFunction[T, R]
	rc   recordContext[R]
	coll collector[R]
}

func (o *processOp[T, R]) ProcessElement(v T, ts int64) error {
	o.rc.b, o.rc.ts = &o.base, ts
	o.coll.out, o.coll.ts = o.out, ts
	return o.pf.ProcessElement(&o.rc, v, &o.coll)
}

// Map applies fn to every record.
func Map[T, R any](s *DataStream[T], fn func(T) (R, error)) *DataStream[R] {
	return oneInput[T, R](s, "Map", func() operator.Operator { return &mapOp[T, R]{mapFn: fn} })
}

// FlatMap turns every record into zero or more records.
func FlatMap[T, R any](s *DataStream[T], fn func(T, Collector[R]) error) *DataStream[R] {
	return oneInput[T, R](s, "FlatMap", func() operator.Operator { return &flatMapOp[T, R]{flatFn: fn} })
}

// Filter keeps the records for which fn returns true.
func Filter[T any](s *DataStream[T], fn func(T) (bool, error)) *DataStream[T] {
	return oneInput[T, T](s, "Filter", func() operator.Operator { return &filterOp[T]{pred: fn} })
}

// Process runs fn on every record with a context for timestamps,
// watermarks and side outputs. fn may implement Opener and Closer; each
// subtask gets its own copy of fn (see instance).
func Process[T, R any](s *DataStream[T], fn ProcessFunction[T, R]) *DataStream[R] {
	return oneInput[T, R](s, "Process", func() operator.Operator {
		f := instance(fn)
		op := &processOp[T, R]{pf: f}
		op.fn = f
		return op
	})
}

// instance gives each subtask its own function object, as Flink does by
// deserializing a copy per subtask: a pointer to a struct is copied
// shallowly (fields set in Open stay per subtask; maps and slices the
// struct already holds are shared). Other values are used as they are.
func instance[F any](fn F) F {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fn
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface().(F)
}
