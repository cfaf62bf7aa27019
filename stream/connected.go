package stream

import (
	"fmt"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/state"
)

// ConnectedStreams pairs two streams, possibly of different types, for an
// operator that sees both and can share state between them.
type ConnectedStreams[A, B any] struct {
	a *DataStream[A]
	b *DataStream[B]
}

// Connect pairs a and b.
func Connect[A, B any](a *DataStream[A], b *DataStream[B]) *ConnectedStreams[A, B] {
	return &ConnectedStreams[A, B]{a: a, b: b}
}

func twoInput[A, B, R any](a *DataStream[A], b *DataStream[B], name string, keyed bool, newOp func() operator.Operator) *DataStream[R] {
	if a.env != b.env {
		panic("stream: cannot connect streams from different environments")
	}
	n := a.env.addNode(&graph.Node{
		Name: name, In: []task.Port{task.PortFor[A](), task.PortFor[B]()}, Out: task.PortFor[R](),
		NewOperator: newOp, Keyed: keyed,
	})
	a.connect(n, 1)
	b.connect(n, 2)
	return &DataStream[R]{env: a.env, node: n}
}

// CoProcessFunction handles the records of two connected streams.
type CoProcessFunction[A, B, R any] interface {
	ProcessElement1(ctx Context, v A, out Collector[R]) error
	ProcessElement2(ctx Context, v B, out Collector[R]) error
}

type coProcessOp[A, B, R any] struct {
	base[R]
	pf   CoProcessFunction[A, B, R]
	rc   recordContext[R]
	coll collector[R]
}

func (o *coProcessOp[A, B, R]) prepare(ts int64) {
	o.rc.b, o.rc.ts = &o.base, ts
	o.coll.out, o.coll.ts = o.out, ts
}

func (o *coProcessOp[A, B, R]) ProcessElement1(v A, ts int64) error {
	o.prepare(ts)
	return o.pf.ProcessElement1(&o.rc, v, &o.coll)
}

func (o *coProcessOp[A, B, R]) ProcessElement2(v B, ts int64) error {
	o.prepare(ts)
	return o.pf.ProcessElement2(&o.rc, v, &o.coll)
}

// CoProcess runs fn over both inputs; fn may implement Opener and Closer.
func CoProcess[A, B, R any](cs *ConnectedStreams[A, B], fn CoProcessFunction[A, B, R]) *DataStream[R] {
	return twoInput[A, B, R](cs.a, cs.b, "CoProcess", false, func() operator.Operator {
		f := instance(fn)
		op := &coProcessOp[A, B, R]{pf: f}
		op.fn = f
		return op
	})
}

type coFuncs[A, B, R any] struct {
	f1 func(A, Collector[R]) error
	f2 func(B, Collector[R]) error
}

func (c coFuncs[A, B, R]) ProcessElement1(_ Context, v A, out Collector[R]) error {
	return c.f1(v, out)
}
func (c coFuncs[A, B, R]) ProcessElement2(_ Context, v B, out Collector[R]) error {
	return c.f2(v, out)
}

// CoMap maps each input with its own function into one output type.
func CoMap[A, B, R any](cs *ConnectedStreams[A, B], f1 func(A) (R, error), f2 func(B) (R, error)) *DataStream[R] {
	return CoFlatMap(cs,
		func(v A, out Collector[R]) error { return emitMapped(f1(v))(out) },
		func(v B, out Collector[R]) error { return emitMapped(f2(v))(out) }).Name("CoMap")
}

func emitMapped[R any](r R, err error) func(Collector[R]) error {
	return func(out Collector[R]) error {
		if err != nil {
			return err
		}
		out.Collect(r)
		return nil
	}
}

// CoFlatMap turns each record of either input into zero or more records.
func CoFlatMap[A, B, R any](cs *ConnectedStreams[A, B], f1 func(A, Collector[R]) error, f2 func(B, Collector[R]) error) *DataStream[R] {
	return CoProcess[A, B, R](cs, coFuncs[A, B, R]{f1: f1, f2: f2}).Name("CoFlatMap")
}

// KeyedConnectedStreams pairs two keyed streams with the same key type:
// records of both with equal keys meet in the same subtask and state.
type KeyedConnectedStreams[A, B any, K comparable] struct {
	a *KeyedStream[A, K]
	b *KeyedStream[B, K]
}

// ConnectKeyed pairs two keyed streams.
func ConnectKeyed[A, B any, K comparable](a *KeyedStream[A, K], b *KeyedStream[B, K]) *KeyedConnectedStreams[A, B, K] {
	return &KeyedConnectedStreams[A, B, K]{a: a, b: b}
}

// KeyedCoProcessFunction handles two keyed inputs with keyed state and
// timers (implement TimerHandler for timers).
type KeyedCoProcessFunction[K comparable, A, B, R any] interface {
	ProcessElement1(ctx KeyedContext[K], v A, out Collector[R]) error
	ProcessElement2(ctx KeyedContext[K], v B, out Collector[R]) error
}

type keyedCoProcessOp[A, B any, K comparable, R any] struct {
	keyedBase[K, R]
	key1 func(A) K
	key2 func(B) K
	pf   KeyedCoProcessFunction[K, A, B, R]
	kc   keyedContext[K, R]
	coll collector[R]
}

func (o *keyedCoProcessOp[A, B, K, R]) Open(ctx operator.Context) error {
	o.kc.k = &o.keyedBase
	return o.openKeyed(ctx, o)
}

func (o *keyedCoProcessOp[A, B, K, R]) prepare(key K, ts int64) {
	o.setKey(key)
	o.kc.ts = ts
	o.coll.out, o.coll.ts = o.out, ts
}

func (o *keyedCoProcessOp[A, B, K, R]) ProcessElement1(v A, ts int64) error {
	o.prepare(o.key1(v), ts)
	return o.pf.ProcessElement1(&o.kc, v, &o.coll)
}

func (o *keyedCoProcessOp[A, B, K, R]) ProcessElement2(v B, ts int64) error {
	o.prepare(o.key2(v), ts)
	return o.pf.ProcessElement2(&o.kc, v, &o.coll)
}

func (o *keyedCoProcessOp[A, B, K, R]) OnEventTime(t state.Timer) error {
	return fireTimer(&o.keyedBase, &o.kc, &o.coll, o.pf, t, EventTime)
}

func (o *keyedCoProcessOp[A, B, K, R]) OnProcessingTime(t state.Timer) error {
	return fireTimer(&o.keyedBase, &o.kc, &o.coll, o.pf, t, ProcessingTime)
}

// fireTimer calls fn's OnTimer for t with the key and output timestamp set
// as Flink does: event-time timers stamp output with the timer time,
// processing-time timers with none.
func fireTimer[K comparable, R any](k *keyedBase[K, R], kc *keyedContext[K, R], coll *collector[R], fn any, t state.Timer, domain TimeDomain) error {
	h, ok := fn.(TimerHandler[K, R])
	if !ok {
		return fmt.Errorf("stream: a timer fired but %T has no OnTimer method; implement stream.TimerHandler", fn)
	}
	k.key = t.Key.(K)
	outTs := t.Timestamp
	if domain == ProcessingTime {
		outTs = eventtime.NoTimestamp
	}
	kc.ts, kc.domain = t.Timestamp, domain
	coll.out, coll.ts = k.out, outTs
	defer func() { kc.domain = EventTime }()
	return h.OnTimer(kc, t.Timestamp, coll)
}

// KeyedCoProcess runs fn over both keyed inputs.
func KeyedCoProcess[A, B any, K comparable, R any](cs *KeyedConnectedStreams[A, B, K], fn KeyedCoProcessFunction[K, A, B, R]) *DataStream[R] {
	return twoInput[A, B, R](cs.a.in, cs.b.in, "KeyedCoProcess", true, func() operator.Operator {
		f := instance(fn)
		op := &keyedCoProcessOp[A, B, K, R]{key1: cs.a.key, key2: cs.b.key, pf: f}
		op.fn = f
		return op
	})
}
