package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/internal/failpoint"
	"github.com/weirstream/weir/internal/stopctx"
	"github.com/weirstream/weir/sink"
)

// closeAbortTimeout bounds the abort of the open transaction in Close: a
// transaction left open is aborted by the next start's cleanup anyway, so
// a failing job need not wait long for it.
const closeAbortTimeout = 10 * time.Second

// Writer writes one subtask's records. It implements
// sink.CommittingWriter[T, Committable] and, like every sink.Writer, is used
// from one goroutine; franz-go delivers records in the background.
type Writer[T any] struct {
	s       *Sink[T]
	subtask int
	life    *stopctx.Context
	// cl is the producer: for none and at-least-once one client for the
	// writer's life; for exactly-once the client of the open transaction,
	// nil until the first record after a pre-commit.
	cl *kgo.Client
	// txnID names the open transaction; next numbers the one after it.
	txnID string
	next  int64
	// maxRecords and maxBytes are the client's buffer limits (0: none);
	// roomRecords and roomBytes are what it surely still takes (see
	// bufferFull).
	maxRecords, maxBytes   int64
	roomRecords, roomBytes int64

	// failed is set once a record was not delivered; mu.err holds the
	// first such failure. Delivery callbacks run on franz-go's goroutines.
	failed atomic.Bool
	// mu guards err.
	mu struct {
		sync.Mutex
		err error
	}
	closed bool
}

var _ sink.CommittingWriter[string, Committable] = (*Writer[string])(nil)

func (s *Sink[T]) newWriter(ictx sink.InitContext) (_ *Writer[T], err error) {
	w := &Writer[T]{s: s, subtask: ictx.SubtaskIndex(), life: stopctx.New(), next: 1}
	cl, err := s.newClient()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil || s.guarantee == ExactlyOnce {
			// Exactly-once writes through one client per transaction;
			// this one only checked and cleaned up.
			cl.Close()
		}
		if err != nil {
			w.life.Stop()
		}
	}()
	w.maxRecords, w.maxBytes = optInt(cl, kgo.MaxBufferedRecords), optInt(cl, kgo.MaxBufferedBytes)
	if err := s.checkJob(ictx.Config(), transactionTimeout(cl)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(w.life, s.timeout)
	defer cancel()
	if err := s.checkCluster(ctx, cl); err != nil {
		return nil, err
	}
	if s.guarantee != ExactlyOnce {
		w.cl = cl
		return w, nil
	}
	if id, ok := sink.RestoredCheckpointID(ictx); ok {
		// The restore committed what the checkpoint recorded and aborted
		// the rest (CleanupAfterRestore); numbering after the checkpoint
		// never reuses a recorded transactional id.
		w.next = id + 1
		return w, nil
	}
	// A start without a restore: abort what an earlier run left open, for
	// the subtask indices this writer answers for, so that the writers of
	// this run never abort each other's transactions.
	p, i := ictx.Parallelism(), ictx.SubtaskIndex()
	if _, err := abortLingering(ctx, cl, s.prefix, func(j int) bool { return j%p == i }, transactionTimeout(cl)); err != nil {
		return nil, err
	}
	return w, nil
}

// Write implements sink.Writer. It hands the record to franz-go and
// returns; a record Kafka does not accept fails a later Write, Flush or
// PrepareCommit.
func (w *Writer[T]) Write(v T, ctx sink.Context) error {
	if w.closed {
		return errors.New("kafkasink: Write after Close; create a new writer")
	}
	if w.failed.Load() {
		return w.failure()
	}
	rec, err := w.s.ser.Serialize(v, ctx)
	if err != nil {
		if _, own := w.s.ser.(validator); own {
			return err
		}
		return fmt.Errorf("kafkasink: the serializer failed: %w", err)
	}
	if rec == nil || rec.Topic == "" {
		return errors.New("kafkasink: the serializer returned a record without a topic; set Record.Topic")
	}
	if rec.Timestamp.IsZero() && ctx.Timestamp != eventtime.NoTimestamp {
		rec.Timestamp = time.UnixMilli(ctx.Timestamp)
	}
	if w.cl == nil {
		if err := w.beginTransaction(); err != nil {
			return err
		}
	}
	if !w.bufferFull(rec) {
		w.cl.Produce(w.life, rec, w.delivered)
		return nil
	}
	// Produce blocks until the client has room, which a broker outage can
	// delay forever (records are retried without a deadline): a watchdog
	// fails the writer when the wait exceeds the timeout.
	watchdog := time.AfterFunc(w.s.timeout, w.stalled)
	w.cl.Produce(w.life, rec, w.delivered)
	watchdog.Stop()
	return w.failure()
}

// bufferFull reports whether producing rec could block. Only this
// goroutine adds records to the client, so the room measured once lasts
// until this writer's own records use it up: the client's counters (behind
// its producer lock) are read only then.
func (w *Writer[T]) bufferFull(rec *kgo.Record) bool {
	var size int64
	if w.maxBytes > 0 {
		size = int64(len(rec.Key) + len(rec.Value))
		for _, h := range rec.Headers {
			size += int64(len(h.Key) + len(h.Value))
		}
	}
	if w.roomRecords <= 0 || w.roomBytes < size {
		w.roomRecords, w.roomBytes = math.MaxInt64, math.MaxInt64
		if w.maxRecords > 0 {
			w.roomRecords = w.maxRecords - w.cl.BufferedProduceRecords()
		}
		if w.maxBytes > 0 {
			w.roomBytes = w.maxBytes - w.cl.BufferedProduceBytes()
		}
		if w.roomRecords <= 0 || w.roomBytes < size {
			w.roomRecords = 0 // measure again next time
			return true
		}
	}
	w.roomRecords--
	w.roomBytes -= size
	return false
}

// stalled fails the writer after a Write waited longer than the timeout
// for room in the client's buffer; ending the lifetime unblocks it and
// fails the records not yet sent.
func (w *Writer[T]) stalled() {
	w.fail(fmt.Errorf("kafkasink: Kafka acknowledged too few records for %v to make room for the next one in the client's buffer (%s)", w.s.timeout, unreachableAdvice(context.DeadlineExceeded)))
	w.life.Stop()
}

// beginTransaction opens the writer's next transaction with a client of
// its own: a pre-committed transaction stays open after its client is
// closed, for the committer to end.
func (w *Writer[T]) beginTransaction() error {
	id := transactionalID(w.s.prefix, w.subtask, w.next)
	cl, err := w.s.newClient(kgo.TransactionalID(id))
	if err != nil {
		return err
	}
	if err := cl.BeginTransaction(); err != nil {
		cl.Close()
		return fmt.Errorf("kafkasink: begin transaction %s: %w", id, err)
	}
	w.next++
	w.cl, w.txnID = cl, id
	w.roomRecords = 0
	return nil
}

// delivered records the first record Kafka did not accept.
func (w *Writer[T]) delivered(r *kgo.Record, err error) {
	if err != nil {
		w.fail(fmt.Errorf("kafkasink: write a record to topic %s: %w (%s)", r.Topic, err, produceAdvice(err)))
	}
}

// fail records err unless an earlier failure was recorded.
func (w *Writer[T]) fail(err error) {
	w.mu.Lock()
	if w.mu.err == nil {
		w.mu.err = err
	}
	w.mu.Unlock()
	w.failed.Store(true)
}

func (w *Writer[T]) failure() error {
	if !w.failed.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.err
}

// flush waits until Kafka acknowledged every record handed to the client.
func (w *Writer[T]) flush() error {
	if w.cl == nil {
		return w.failure()
	}
	ctx, cancel := context.WithTimeout(w.life, w.s.timeout)
	defer cancel()
	if err := w.cl.Flush(ctx); err != nil {
		if ferr := w.failure(); ferr != nil {
			return ferr
		}
		return fmt.Errorf("kafkasink: Kafka did not acknowledge the records written within %v: %w (%s)", w.s.timeout, err, unreachableAdvice(err))
	}
	return w.failure()
}

// Flush implements sink.Writer. The runtime calls it often; records are
// sent in the background, so only the end of input waits for them (in
// every mode, as Flink's writer does).
func (w *Writer[T]) Flush(endOfInput bool) error {
	if endOfInput {
		return w.flush()
	}
	return w.failure()
}

// PrepareCommit implements sink.CommittingWriter; the runtime calls it at
// every checkpoint. At-least-once waits for every record to be
// acknowledged; exactly-once does the same for the open transaction and
// hands it out without ending it.
func (w *Writer[T]) PrepareCommit() ([]Committable, error) {
	switch w.s.guarantee {
	case None:
		return nil, w.failure()
	case AtLeastOnce:
		return nil, w.flush()
	}
	if w.cl == nil {
		return nil, w.failure() // no record since the last checkpoint: no transaction
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(w.life, w.s.timeout)
	defer cancel()
	pid, epoch, err := w.cl.ProducerID(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafkasink: read the producer id of transaction %s: %w (%s)", w.txnID, err, txnAdvice(err))
	}
	c := Committable{TransactionalID: w.txnID, ProducerID: pid, Epoch: epoch}
	failpoint.Crash("kafkasink/after-precommit")
	// Closing the client leaves the transaction open on the broker.
	w.cl.Close()
	w.cl, w.txnID = nil, ""
	return []Committable{c}, nil
}

// Close implements sink.Writer. An exactly-once writer aborts its open
// transaction, which no checkpoint covers.
func (w *Writer[T]) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.life.Stop()
	if w.cl == nil {
		return nil
	}
	defer w.cl.Close()
	if w.s.guarantee != ExactlyOnce {
		return nil
	}
	ctx, cancel := context.WithTimeout(w.life, min(w.s.timeout, closeAbortTimeout))
	defer cancel()
	err := w.cl.AbortBufferedRecords(ctx)
	if err == nil {
		err = w.cl.EndTransaction(ctx, kgo.TryAbort)
	}
	if err != nil {
		return fmt.Errorf("kafkasink: abort open transaction %s on close: %w (the next start of the job aborts it; %s)", w.txnID, err, txnAdvice(err))
	}
	return nil
}

// optInt reads an int64 option of cl (the buffer limits).
func optInt(cl *kgo.Client, opt any) int64 {
	v, _ := cl.OptValue(opt).(int64)
	return v
}
