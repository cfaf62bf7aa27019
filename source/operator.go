package source

import (
	"errors"
	"fmt"
	"os"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/snapshot"
)

// Operator hosts a SourceReader in a subtask (Flink's SourceOperator). It is
// an operator.Operator without input: the task loop calls EmitNext instead of
// reading channels, waits on Available when nothing is available, and hands
// it the coordinator's events through HandleOperatorEvent. All methods run on
// the subtask goroutine.
type Operator[T any] struct {
	typed    typedReader[T]
	strategy eventtime.WatermarkStrategy[T]
	gw       CoordinatorGateway

	rawOut any
	out    operator.Output[T]
	output *readerOutput[T]
	ctx    operator.Context

	// restored are encoded splits from RestoreState, added to the reader in
	// Open before it starts.
	restored [][]byte

	interval     int64 // periodic watermark interval in ms; 0: none
	cancelTimer  func()
	ended        bool
	closed       bool
	finalEmitted bool
}

// typedReader hides the split and checkpoint types from Operator[T], so the
// task can hold an Operator[T] knowing only the record type.
type typedReader[T any] interface {
	create(ctx ReaderContext) error
	reader() sourceReaderOps[T]
	addSplits(splits []any) error
	restore(encoded [][]byte) error
	snapshot(checkpointID int64) ([][]byte, error)
}

// sourceReaderOps is the part of SourceReader[T, S] that does not mention S.
type sourceReaderOps[T any] interface {
	Start() error
	PollNext(out ReaderOutput[T]) (InputStatus, error)
	IsAvailable() <-chan struct{}
	NotifyNoMoreSplits()
	HandleSourceEvent(ev SourceEvent)
	NotifyCheckpointComplete(checkpointID int64) error
	Close() error
}

type typedReaderImpl[T any, S Split, E any] struct {
	src Source[T, S, E]
	r   SourceReader[T, S]
}

func (t *typedReaderImpl[T, S, E]) create(ctx ReaderContext) error {
	r, err := t.src.CreateReader(ctx)
	if err != nil {
		return err
	}
	if r == nil {
		return errors.New("CreateReader returned no reader")
	}
	t.r = r
	return nil
}

func (t *typedReaderImpl[T, S, E]) reader() sourceReaderOps[T] { return t.r }

func (t *typedReaderImpl[T, S, E]) addSplits(splits []any) error {
	typed := make([]S, len(splits))
	for i, sp := range splits {
		s, ok := sp.(S)
		if !ok {
			var want S
			return fmt.Errorf("source: split %d of an AddSplitsEvent is a %T, but this source's splits are %T", i, sp, want)
		}
		typed[i] = s
	}
	t.r.AddSplits(typed)
	return nil
}

func (t *typedReaderImpl[T, S, E]) restore(encoded [][]byte) error {
	c := t.src.SplitCodec()
	splits := make([]S, len(encoded))
	for i, b := range encoded {
		s, err := c.Decode(b)
		if err != nil {
			return fmt.Errorf("source: decode restored split %d: %w", i, err)
		}
		splits[i] = s
	}
	if len(splits) > 0 {
		t.r.AddSplits(splits)
	}
	return nil
}

func (t *typedReaderImpl[T, S, E]) snapshot(checkpointID int64) ([][]byte, error) {
	splits, err := t.r.SnapshotState(checkpointID)
	if err != nil {
		return nil, err
	}
	c := t.src.SplitCodec()
	out := make([][]byte, len(splits))
	for i, s := range splits {
		b, err := c.Encode(s)
		if err != nil {
			return nil, fmt.Errorf("source: encode split %q: %w", s.SplitID(), err)
		}
		out[i] = b
	}
	return out, nil
}

// NewOperator returns the operator that runs src's reader, timestamps its
// records and generates watermarks with wm, and talks to the source's
// coordinator through gw.
func NewOperator[T any, S Split, E any](src Source[T, S, E], wm eventtime.WatermarkStrategy[T], gw CoordinatorGateway) *Operator[T] {
	return &Operator[T]{typed: &typedReaderImpl[T, S, E]{src: src}, strategy: wm, gw: gw}
}

// SetOutput implements operator.Operator; out must be an operator.Output[T]
// (checked in Open, which can report the mismatch).
func (o *Operator[T]) SetOutput(out any) { o.rawOut = out }

// RestoreState hands the operator the encoded splits of a snapshot
// (SnapshotState of a previous run of this subtask). Call it before Open;
// Open adds the splits to the reader before starting it.
func (o *Operator[T]) RestoreState(splits [][]byte) error {
	if o.ctx != nil {
		return errors.New("source: RestoreState must be called before Open")
	}
	o.restored = splits
	return nil
}

// Open implements operator.Operator: it creates the reader, adds restored
// splits, registers the reader with the coordinator, starts it and starts
// periodic watermark emission (pipeline.auto-watermark-interval).
//
// Registration comes before Start so a split request sent from Start reaches
// the enumerator after AddReader, as in Flink.
func (o *Operator[T]) Open(ctx operator.Context) error {
	out, ok := o.rawOut.(operator.Output[T])
	if !ok {
		var v T
		return fmt.Errorf("source: operator %q needs an operator.Output[%T], got %T", ctx.OperatorName(), v, o.rawOut)
	}
	if o.gw == nil {
		return fmt.Errorf("source: operator %q has no coordinator gateway", ctx.OperatorName())
	}
	o.out, o.ctx = out, ctx
	pt := ctx.ProcessingTime()
	o.output = newReaderOutput(out, o.strategy, pt.Now)
	host := hostname()
	rctx := &readerContext{op: ctx, gw: o.gw, host: host}
	if err := o.typed.create(rctx); err != nil {
		return fmt.Errorf("source: operator %q: create reader: %w", ctx.OperatorName(), err)
	}
	if l := ctx.Restored().List(SplitsStateName); l != nil {
		o.restored = append(o.restored, l.Elements...)
	}
	if err := o.typed.restore(o.restored); err != nil {
		return fmt.Errorf("source: operator %q: %w", ctx.OperatorName(), err)
	}
	o.restored = nil
	o.gw.SendToCoordinator(ctx.SubtaskIndex(), ReaderRegistrationEvent{Subtask: ctx.SubtaskIndex(), Location: host})
	if err := o.typed.reader().Start(); err != nil {
		return fmt.Errorf("source: operator %q: start reader: %w", ctx.OperatorName(), err)
	}
	if o.strategy.NewGenerator != nil {
		o.interval = config.Get(ctx.Config(), config.AutoWatermarkInterval).Milliseconds()
		if o.interval > 0 {
			o.schedulePeriodic(pt.Now())
		}
	}
	return nil
}

func (o *Operator[T]) schedulePeriodic(now int64) {
	o.cancelTimer = o.ctx.ProcessingTime().RegisterTimer(now+o.interval, o.onPeriodic)
}

func (o *Operator[T]) onPeriodic(int64) error {
	if o.closed || o.ended {
		return nil
	}
	o.output.periodicEmit()
	// Re-register from the current time rather than the due time, so a
	// subtask that fell behind does not fire a burst of catch-up timers.
	o.schedulePeriodic(o.ctx.ProcessingTime().Now())
	return nil
}

// EmitNext polls the reader once. When the reader reports EndOfInput, the
// operator emits eventtime.MaxWatermark (once) and keeps reporting
// EndOfInput.
func (o *Operator[T]) EmitNext() (InputStatus, error) {
	if o.output == nil {
		return EndOfInput, errors.New("source: EmitNext called before Open")
	}
	if o.ended {
		return EndOfInput, nil
	}
	status, err := o.typed.reader().PollNext(o.output)
	if err != nil {
		return status, fmt.Errorf("source: operator %q: %w", o.ctx.OperatorName(), err)
	}
	if status == EndOfInput {
		o.ended = true
		o.stopPeriodic()
		o.emitFinal()
	}
	return status, nil
}

func (o *Operator[T]) emitFinal() {
	if !o.finalEmitted {
		o.finalEmitted = true
		o.output.emitFinal()
	}
}

// Available implements the task's SourceDriver: it is the reader's
// IsAvailable channel.
func (o *Operator[T]) Available() <-chan struct{} {
	if o.output == nil {
		return nil
	}
	return o.typed.reader().IsAvailable()
}

// HandleOperatorEvent applies an event from the coordinator to the reader.
func (o *Operator[T]) HandleOperatorEvent(ev OperatorEvent) error {
	if o.output == nil {
		return fmt.Errorf("source: operator event %T arrived before Open", ev)
	}
	r := o.typed.reader()
	switch e := ev.(type) {
	case AddSplitsEvent:
		if err := o.typed.addSplits(e.Splits); err != nil {
			return fmt.Errorf("source: operator %q: %w", o.ctx.OperatorName(), err)
		}
	case NoMoreSplitsEvent:
		r.NotifyNoMoreSplits()
	case SourceEventWrapper:
		r.HandleSourceEvent(e.Event)
	default:
		return fmt.Errorf("source: operator %q: unexpected operator event %T", o.ctx.OperatorName(), ev)
	}
	return nil
}

// SplitsStateName is the operator state holding a source subtask's
// unfinished splits in checkpoints.
const SplitsStateName = "source-splits"

// SnapshotState implements operator.Snapshotter: the reader's unfinished
// splits become operator list state, split over the subtasks on restore.
func (o *Operator[T]) SnapshotState(ctx operator.SnapshotContext) (operator.StateSnapshot, error) {
	splits, err := o.SnapshotSplits(ctx.CheckpointID)
	if err != nil {
		return operator.StateSnapshot{}, err
	}
	return operator.StateSnapshot{Lists: []snapshot.ListState{{Name: SplitsStateName, Mode: snapshot.Split, Elements: splits}}}, nil
}

// SnapshotSplits returns the reader's unfinished splits, each encoded with
// the source's SplitCodec.
func (o *Operator[T]) SnapshotSplits(checkpointID int64) ([][]byte, error) {
	if o.output == nil {
		return nil, errors.New("source: SnapshotSplits called before Open")
	}
	states, err := o.typed.snapshot(checkpointID)
	if err != nil {
		return nil, fmt.Errorf("source: operator %q: snapshot for checkpoint %d: %w", o.ctx.OperatorName(), checkpointID, err)
	}
	return states, nil
}

// NotifyCheckpointComplete forwards to the reader (Kafka-style readers
// commit offsets here).
func (o *Operator[T]) NotifyCheckpointComplete(id int64) error {
	if o.output == nil {
		return nil
	}
	return o.typed.reader().NotifyCheckpointComplete(id)
}

// NotifyCheckpointAborted implements operator.CheckpointListener; readers
// have nothing to undo.
func (o *Operator[T]) NotifyCheckpointAborted(int64) error { return nil }

// ProcessWatermark implements operator.Operator. A source has no input, so
// a watermark arriving here is a wiring error.
func (o *Operator[T]) ProcessWatermark(int64) error {
	return errors.New("source: a source operator has no input and cannot process watermarks")
}

// ProcessWatermarkStatus implements operator.Operator; see ProcessWatermark.
func (o *Operator[T]) ProcessWatermarkStatus(bool) error {
	return errors.New("source: a source operator has no input and cannot process watermark status")
}

// Finish implements operator.Operator: the input is exhausted, so event
// time ends. It emits MaxWatermark unless EmitNext already did.
func (o *Operator[T]) Finish() error {
	if o.output == nil {
		return nil
	}
	o.stopPeriodic()
	o.emitFinal()
	return nil
}

// Close implements operator.Operator: it stops periodic emission and closes
// the reader. Safe to call more than once and without Open.
func (o *Operator[T]) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	o.stopPeriodic()
	if o.output == nil {
		return nil
	}
	if err := o.typed.reader().Close(); err != nil {
		return fmt.Errorf("source: operator %q: close reader: %w", o.ctx.OperatorName(), err)
	}
	return nil
}

func (o *Operator[T]) stopPeriodic() {
	if o.cancelTimer != nil {
		o.cancelTimer()
		o.cancelTimer = nil
	}
}

// readerContext is the ReaderContext an Operator gives its reader.
type readerContext struct {
	op   operator.Context
	gw   CoordinatorGateway
	host string
}

func (c *readerContext) SubtaskIndex() int { return c.op.SubtaskIndex() }

func (c *readerContext) Parallelism() int { return c.op.Parallelism() }

func (c *readerContext) SendSplitRequest() {
	c.gw.SendToCoordinator(c.op.SubtaskIndex(), RequestSplitEvent{Subtask: c.op.SubtaskIndex(), Hostname: c.host})
}

func (c *readerContext) SendSourceEventToCoordinator(ev SourceEvent) {
	c.gw.SendToCoordinator(c.op.SubtaskIndex(), SourceEventWrapper{Event: ev})
}

func (c *readerContext) Config() *config.Configuration { return c.op.Config() }

func (c *readerContext) Now() int64 { return c.op.ProcessingTime().Now() }

// hostname is the reader's location for locality-aware assignment.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}
