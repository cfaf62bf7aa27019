package stream

import (
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
)

// BroadcastStream is a stream every subtask of the connected operator
// receives in full, to keep broadcast state (rules, configuration).
type BroadcastStream[B any] struct{ s *DataStream[B] }

// NewBroadcastStream broadcasts s. Connect it with BroadcastConnect or
// KeyedBroadcastConnect; the function keeps what it learns in broadcast
// state (state.GetBroadcastState on RuntimeContext.OperatorState()).
func NewBroadcastStream[B any](s *DataStream[B]) *BroadcastStream[B] {
	return &BroadcastStream[B]{s: s.Broadcast()}
}

// BroadcastProcessFunction handles a non-broadcast input and a broadcast
// input. Only ProcessBroadcastElement may modify broadcast state, and it
// must make the same change on every subtask (it sees the same records).
type BroadcastProcessFunction[A, B, R any] interface {
	ProcessElement(ctx Context, v A, out Collector[R]) error
	ProcessBroadcastElement(ctx Context, v B, out Collector[R]) error
}

type broadcastFuncs[A, B, R any] struct {
	BroadcastProcessFunction[A, B, R]
}

func (f broadcastFuncs[A, B, R]) ProcessElement1(ctx Context, v A, out Collector[R]) error {
	return f.ProcessElement(ctx, v, out)
}

func (f broadcastFuncs[A, B, R]) ProcessElement2(ctx Context, v B, out Collector[R]) error {
	return f.ProcessBroadcastElement(ctx, v, out)
}

// BroadcastConnect runs fn over a and the broadcast stream b.
func BroadcastConnect[A, B, R any](a *DataStream[A], b *BroadcastStream[B], fn BroadcastProcessFunction[A, B, R]) *DataStream[R] {
	return twoInput[A, B, R](a, b.s, "BroadcastProcess", false, func() operator.Operator {
		f := instance(fn)
		op := &coProcessOp[A, B, R]{pf: broadcastFuncs[A, B, R]{f}}
		op.fn = f
		return op
	})
}

// KeyedBroadcastContext is given to ProcessBroadcastElement on a keyed
// stream: it can visit the keyed state of every key of this subtask.
type KeyedBroadcastContext interface {
	Context
	// ApplyToKeyedState calls fn once per key that has state stateName,
	// with that key current, so fn may read and update its keyed state.
	ApplyToKeyedState(stateName string, fn func(key any) error) error
}

// KeyedBroadcastProcessFunction is BroadcastProcessFunction on a keyed
// stream, with keyed state and timers for the keyed input.
type KeyedBroadcastProcessFunction[K comparable, A, B, R any] interface {
	ProcessElement(ctx KeyedContext[K], v A, out Collector[R]) error
	ProcessBroadcastElement(ctx KeyedBroadcastContext, v B, out Collector[R]) error
}

type keyedBroadcastOp[A any, K comparable, B, R any] struct {
	keyedBase[K, R]
	keyOf func(A) K
	pf    KeyedBroadcastProcessFunction[K, A, B, R]
	kc    keyedContext[K, R]
	bc    keyedBroadcastContext[K, R]
	coll  collector[R]
}

type keyedBroadcastContext[K comparable, R any] struct {
	recordContext[R]
	k *keyedBase[K, R]
}

func (c *keyedBroadcastContext[K, R]) ApplyToKeyedState(stateName string, fn func(key any) error) error {
	return c.k.backend.ForEachKey(stateName, state.VoidNamespace{}, func(key any) error {
		c.k.key = key.(K)
		return fn(key)
	})
}

func (o *keyedBroadcastOp[A, K, B, R]) Open(ctx operator.Context) error {
	o.kc.k = &o.keyedBase
	o.bc.k = &o.keyedBase
	return o.openKeyed(ctx, o)
}

func (o *keyedBroadcastOp[A, K, B, R]) ProcessElement1(v A, ts int64) error {
	o.setKey(o.keyOf(v))
	o.kc.ts = ts
	o.coll.out, o.coll.ts = o.out, ts
	return o.pf.ProcessElement(&o.kc, v, &o.coll)
}

func (o *keyedBroadcastOp[A, K, B, R]) ProcessElement2(v B, ts int64) error {
	o.bc.b, o.bc.ts = &o.base, ts
	o.coll.out, o.coll.ts = o.out, ts
	return o.pf.ProcessBroadcastElement(&o.bc, v, &o.coll)
}

func (o *keyedBroadcastOp[A, K, B, R]) OnEventTime(t state.Timer) error {
	return fireTimer(&o.keyedBase, &o.kc, &o.coll, o.pf, t, EventTime)
}

func (o *keyedBroadcastOp[A, K, B, R]) OnProcessingTime(t state.Timer) error {
	return fireTimer(&o.keyedBase, &o.kc, &o.coll, o.pf, t, ProcessingTime)
}

// KeyedBroadcastConnect runs fn over the keyed stream ks and the broadcast
// stream b.
func KeyedBroadcastConnect[A any, K comparable, B, R any](ks *KeyedStream[A, K], b *BroadcastStream[B], fn KeyedBroadcastProcessFunction[K, A, B, R]) *DataStream[R] {
	return twoInput[A, B, R](ks.in, b.s, "KeyedBroadcastProcess", true, func() operator.Operator {
		f := instance(fn)
		op := &keyedBroadcastOp[A, K, B, R]{keyOf: ks.key, pf: f}
		op.fn = f
		return op
	})
}
