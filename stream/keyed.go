package stream

import (
	"fmt"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/state"
)

// KeyedStream is a stream partitioned by key: every record with the same
// key goes to the same subtask, which keeps the key's state.
type KeyedStream[T any, K comparable] struct {
	in  *DataStream[T]
	key func(T) K
}

// KeyBy partitions s by key. Keys hash as in Flink (Java hashCode for
// strings and integers), other key types may implement keygroup.Hasher.
func KeyBy[T any, K comparable](s *DataStream[T], key func(T) K) *KeyedStream[T, K] {
	hash := keygroup.HasherFor[K]()
	c := *s
	c.part, c.explicit = task.Hash, true
	c.keyHash = func(v T) int32 { return hash(key(v)) }
	return &KeyedStream[T, K]{in: &c, key: key}
}

// keyedInput adds a keyed one-input node consuming ks.
func keyedInput[T any, K comparable, R any](ks *KeyedStream[T, K], name string, newOp func() operator.Operator) *DataStream[R] {
	out := oneInput[T, R](ks.in, name, newOp)
	out.node.Keyed = true
	return out
}

// keyedBase is the part of every keyed operator that owns keyed state,
// timers and the current key.
type keyedBase[K comparable, R any] struct {
	base[R]
	backend *state.HeapBackend
	timers  *state.TimerService
	key     K
}

func (k *keyedBase[K, R]) openKeyed(ctx operator.Context, target state.TimerTarget) error {
	k.backend = state.NewHeapBackend(state.HeapOptions{
		MaxParallelism: ctx.MaxParallelism(), KeyGroups: ctx.KeyGroupRange(), Now: ctx.ProcessingTime().Now,
		KeyCodec: codec.Any(codec.For[K]()),
	})
	if err := k.backend.Restore(ctx.Restored()); err != nil {
		return fmt.Errorf("restore keyed state: %w", err)
	}
	k.timers = state.NewTimerService(k.backend, ctx.ProcessingTime(), target)
	return k.open(ctx, k.backend)
}

// SnapshotState implements operator.Snapshotter: the operator state of
// the base plus every key's state and timers.
func (k *keyedBase[K, R]) SnapshotState(c operator.SnapshotContext) (operator.StateSnapshot, error) {
	st, err := k.base.SnapshotState(c)
	if err != nil {
		return st, err
	}
	if st.Keyed, err = k.backend.Snapshot(); err != nil {
		return operator.StateSnapshot{}, err
	}
	return st, nil
}

func (k *keyedBase[K, R]) setKey(key K) {
	k.key = key
	k.backend.SetCurrentKey(key)
}

func (k *keyedBase[K, R]) ProcessWatermark(wm int64) error {
	k.wm = wm
	if err := k.timers.AdvanceWatermark(wm); err != nil {
		return err
	}
	k.out.EmitWatermark(wm)
	return nil
}

func (k *keyedBase[K, R]) Close() error {
	if k.timers != nil {
		k.timers.Close()
	}
	if k.backend != nil {
		k.backend.Close()
	}
	return k.base.Close()
}

// keyedContext implements KeyedContext, OnTimerContext and TimerService.
type keyedContext[K comparable, R any] struct {
	k      *keyedBase[K, R]
	ts     int64
	domain TimeDomain
}

func (c *keyedContext[K, R]) Timestamp() int64             { return c.ts }
func (c *keyedContext[K, R]) CurrentWatermark() int64      { return c.k.wm }
func (c *keyedContext[K, R]) CurrentProcessingTime() int64 { return c.k.ctx.ProcessingTime().Now() }
func (c *keyedContext[K, R]) Output(tag Tag, v any)        { c.k.out.CollectSide(tag.ID(), v, c.ts) }
func (c *keyedContext[K, R]) CurrentKey() K                { return c.k.key }
func (c *keyedContext[K, R]) TimerService() TimerService   { return c }
func (c *keyedContext[K, R]) TimeDomain() TimeDomain       { return c.domain }
func (c *keyedContext[K, R]) RegisterEventTimeTimer(ts int64) {
	c.k.timers.RegisterEventTimeTimer(state.VoidNamespace{}, ts)
}
func (c *keyedContext[K, R]) RegisterProcessingTimeTimer(ts int64) {
	c.k.timers.RegisterProcessingTimeTimer(state.VoidNamespace{}, ts)
}
func (c *keyedContext[K, R]) DeleteEventTimeTimer(ts int64) {
	c.k.timers.DeleteEventTimeTimer(state.VoidNamespace{}, ts)
}
func (c *keyedContext[K, R]) DeleteProcessingTimeTimer(ts int64) {
	c.k.timers.DeleteProcessingTimeTimer(state.VoidNamespace{}, ts)
}

type keyedProcessOp[T any, K comparable, R any] struct {
	keyedBase[K, R]
	keyOf func(T) K
	pf    KeyedProcessFunction[K, T, R]
	kc    keyedContext[K, R]
	coll  collector[R]
}

func (o *keyedProcessOp[T, K, R]) Open(ctx operator.Context) error {
	o.kc.k = &o.keyedBase
	return o.openKeyed(ctx, o)
}

func (o *keyedProcessOp[T, K, R]) ProcessElement(v T, ts int64) error {
	o.setKey(o.keyOf(v))
	o.kc.ts = ts
	o.coll.out, o.coll.ts = o.out, ts
	return o.pf.ProcessElement(&o.kc, v, &o.coll)
}

func (o *keyedProcessOp[T, K, R]) OnEventTime(t state.Timer) error {
	return fireTimer(&o.keyedBase, &o.kc, &o.coll, o.pf, t, EventTime)
}

func (o *keyedProcessOp[T, K, R]) OnProcessingTime(t state.Timer) error {
	return fireTimer(&o.keyedBase, &o.kc, &o.coll, o.pf, t, ProcessingTime)
}

// KeyedProcess runs fn on every record of a keyed stream with keyed state
// and timers. fn may implement Opener, Closer and TimerHandler; each
// subtask gets its own copy of fn.
func KeyedProcess[T any, K comparable, R any](ks *KeyedStream[T, K], fn KeyedProcessFunction[K, T, R]) *DataStream[R] {
	return keyedInput[T, K, R](ks, "KeyedProcess", func() operator.Operator {
		f := instance(fn)
		op := &keyedProcessOp[T, K, R]{keyOf: ks.key, pf: f}
		op.fn = f
		return op
	})
}

// rollingOp keeps one accumulator per key and emits the current result
// after every record (Flink's keyed reduce / aggregate).
type rollingOp[T any, K comparable, ACC, R any] struct {
	keyedBase[K, R]
	keyOf  func(T) K
	acc    state.ValueState[ACC]
	create func() ACC
	add    func(T, ACC) (ACC, error)
	result func(ACC) R
	first  func(T) ACC
}

func (o *rollingOp[T, K, ACC, R]) Open(ctx operator.Context) error {
	if err := o.openKeyed(ctx, nil); err != nil {
		return err
	}
	var err error
	o.acc, err = state.GetValueState(o.backend, state.ValueDescriptor[ACC]{Name: "rolling"})
	return err
}

func (o *rollingOp[T, K, ACC, R]) ProcessElement(v T, ts int64) error {
	o.setKey(o.keyOf(v))
	acc, ok, err := o.acc.Value()
	if err != nil {
		return err
	}
	switch {
	case !ok && o.first != nil:
		acc = o.first(v)
	case !ok:
		acc = o.create()
		fallthrough
	default:
		if acc, err = o.add(v, acc); err != nil {
			return err
		}
	}
	if err := o.acc.Update(acc); err != nil {
		return err
	}
	o.out.Collect(o.result(acc), ts)
	return nil
}

// Reduce keeps a running reduction per key and emits it after every record.
func Reduce[T any, K comparable](ks *KeyedStream[T, K], fn func(a, b T) (T, error)) *DataStream[T] {
	return keyedInput[T, K, T](ks, "Reduce", func() operator.Operator {
		return &rollingOp[T, K, T, T]{
			keyOf:  ks.key,
			first:  func(v T) T { return v },
			add:    func(v, acc T) (T, error) { return fn(acc, v) },
			result: func(acc T) T { return acc },
		}
	})
}

// Aggregate keeps a running aggregate per key and emits its result after
// every record.
func Aggregate[T any, K comparable, ACC, R any](ks *KeyedStream[T, K], agg state.AggregateFunction[T, ACC, R]) *DataStream[R] {
	return keyedInput[T, K, R](ks, "Aggregate", func() operator.Operator {
		return &rollingOp[T, K, ACC, R]{
			keyOf:  ks.key,
			create: agg.CreateAccumulator,
			add:    func(v T, acc ACC) (ACC, error) { return agg.Add(v, acc), nil },
			result: agg.GetResult,
		}
	})
}
