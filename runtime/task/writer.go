package task

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sync"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
)

// Partitioning says how a writer picks the downstream channel of a record.
type Partitioning int

const (
	// Forward sends everything to the one connected channel.
	Forward Partitioning = iota
	// Rebalance spreads records round-robin over all channels.
	Rebalance
	// Rescale spreads records round-robin over the locally connected subset.
	Rescale
	// Broadcast sends every record to every channel.
	Broadcast
	// Hash sends a record to the subtask owning its key group.
	Hash
	// Shuffle picks a random channel per record.
	Shuffle
	// Global sends everything to subtask 0.
	Global
)

var partitioningNames = [...]string{"FORWARD", "REBALANCE", "RESCALE", "BROADCAST", "HASH", "SHUFFLE", "GLOBAL"}

func (p Partitioning) String() string { return partitioningNames[p] }

// Pointwise reports whether a producer connects only to a subset of the
// consumers (Flink's POINTWISE distribution) rather than to all of them.
func (p Partitioning) Pointwise() bool { return p == Forward || p == Rescale }

// aborted unwinds a chain when a blocked push is cancelled; the task turns
// it back into the context's error.
type aborted struct{ err error }

// WriterSpec describes one output edge of a subtask.
type WriterSpec struct {
	Channels     []*queue.Queue
	Partitioning Partitioning
	// KeyHash returns the hash code of a record's key (Hash only); it is
	// a func(T) int32 for the edge's record type T.
	KeyHash any
	// MaxParallelism and ConsumerParallelism place key groups (Hash only).
	MaxParallelism      int
	ConsumerParallelism int
	BatchSize           int
}

// RecordWriter is the output at the end of a chain for one edge: it fills a
// batch per channel and pushes it to the channel's queue when full, on
// flush, and before any event so events keep their place in the stream.
type RecordWriter[T any] struct {
	ctx       context.Context
	channels  []*queue.Queue
	pending   []*operator.Batch[T]
	batchSize int
	pool      *sync.Pool

	part     Partitioning
	keyHash  func(T) int32
	maxPar   int
	nextChan int
}

func newRecordWriter[T any](spec WriterSpec) *RecordWriter[T] {
	w := &RecordWriter[T]{
		channels:  spec.Channels,
		pending:   make([]*operator.Batch[T], len(spec.Channels)),
		batchSize: max(spec.BatchSize, 1),
		pool:      poolFor[T](),
		part:      spec.Partitioning,
		maxPar:    spec.MaxParallelism,
	}
	if len(spec.Channels) > 0 {
		w.nextChan = rand.IntN(len(spec.Channels))
	}
	if spec.KeyHash != nil {
		w.keyHash = spec.KeyHash.(func(T) int32)
	}
	for i := range w.pending {
		w.pending[i] = w.newBatch()
	}
	return w
}

func (w *RecordWriter[T]) newBatch() *operator.Batch[T] {
	b := w.pool.Get().(*operator.Batch[T])
	if cap(b.Values) < w.batchSize {
		b.Values = make([]T, 0, w.batchSize)
		b.Timestamps = make([]int64, 0, w.batchSize)
	}
	return b
}

// Collect implements operator.Output.
func (w *RecordWriter[T]) Collect(v T, ts int64) {
	var c int
	switch w.part {
	case Forward, Global:
		c = 0
	case Rebalance, Rescale:
		c = w.nextChan
		w.nextChan++
		if w.nextChan == len(w.channels) {
			w.nextChan = 0
		}
	case Hash:
		kg := keygroup.ForHash(w.keyHash(v), w.maxPar)
		c = keygroup.OperatorIndex(kg, w.maxPar, len(w.channels))
	case Shuffle:
		c = rand.IntN(len(w.channels))
	case Broadcast:
		for c := range w.pending {
			w.appendTo(c, v, ts)
		}
		return
	}
	w.appendTo(c, v, ts)
}

func (w *RecordWriter[T]) appendTo(c int, v T, ts int64) {
	b := w.pending[c]
	b.Values = append(b.Values, v)
	b.Timestamps = append(b.Timestamps, ts)
	if len(b.Values) >= w.batchSize {
		w.push(c)
	}
}

func (w *RecordWriter[T]) push(c int) {
	b := w.pending[c]
	w.pending[c] = w.newBatch()
	w.send(c, b)
}

func (w *RecordWriter[T]) send(c int, x any) {
	if err := w.channels[c].Push(w.ctx, x); err != nil {
		panic(aborted{err})
	}
}

// Flush pushes every non-empty batch.
func (w *RecordWriter[T]) Flush() {
	for c, b := range w.pending {
		if len(b.Values) > 0 {
			w.push(c)
		}
	}
}

func (w *RecordWriter[T]) broadcastEvent(ev queue.Event) {
	w.Flush()
	for c := range w.channels {
		w.send(c, ev)
	}
}

// EmitWatermark implements operator.Output.
func (w *RecordWriter[T]) EmitWatermark(wm int64) {
	w.broadcastEvent(queue.Watermark{Timestamp: wm})
}

// EmitWatermarkStatus implements operator.Output.
func (w *RecordWriter[T]) EmitWatermarkStatus(idle bool) {
	w.broadcastEvent(queue.WatermarkStatus{Idle: idle})
}

// CollectSide drops the record: side outputs with consumers are routed by
// the producer's fanOut before they reach a writer.
func (w *RecordWriter[T]) CollectSide(string, any, int64) {}

// EndPartition flushes and sends EndOfPartition on every channel.
func (w *RecordWriter[T]) EndPartition() { w.broadcastEvent(queue.EndOfPartition{}) }

// emitEvent flushes and sends ev on every channel.
func (w *RecordWriter[T]) emitEvent(ev queue.Event) { w.broadcastEvent(ev) }

// emitPriorityBarrier sends an unaligned barrier ahead of the data queued
// on every channel, after appending the partial batches without blocking
// (the barrier overtakes them too, so consumers record them).
func (w *RecordWriter[T]) emitPriorityBarrier(b queue.Barrier) {
	for c, q := range w.channels {
		if len(w.pending[c].Values) > 0 {
			batch := w.pending[c]
			w.pending[c] = w.newBatch()
			q.PushOverflow(batch)
		}
		q.PushBarrier(b)
	}
}

// setContext gives the writer the context that cancels blocked pushes.
func (w *RecordWriter[T]) setContext(ctx context.Context) { w.ctx = ctx }

// waitSpace returns a channel to wait on when some queue is full, or nil
// when every queue has space.
func (w *RecordWriter[T]) waitSpace() <-chan struct{} {
	for _, q := range w.channels {
		if !q.HasSpace() {
			return q.SpaceSignal()
		}
	}
	return nil
}

// writer is the type-erased face of a RecordWriter the task drives.
type writer interface {
	Flush()
	EndPartition()
	emitEvent(ev queue.Event)
	emitPriorityBarrier(b queue.Barrier)
	setContext(ctx context.Context)
	waitSpace() <-chan struct{}
}

var pools sync.Map // reflect.Type -> *sync.Pool

// poolFor returns the process-wide pool of batches of T: batches go back
// to it once their consumer has processed them.
func poolFor[T any]() *sync.Pool {
	t := reflect.TypeFor[T]()
	if p, ok := pools.Load(t); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(t, &sync.Pool{New: func() any { return new(operator.Batch[T]) }})
	return p.(*sync.Pool)
}
