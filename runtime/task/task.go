package task

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
	"github.com/weirstream/weir/source"
)

// Config describes one subtask: a chain of operators at one parallel index.
type Config struct {
	// Name is the chain's name, e.g. "Source: numbers -> Map".
	Name        string
	Index       int
	Parallelism int
	Job         *config.Configuration
	Clock       Clock
	// BufferTimeout is how long output may wait in a partly filled batch;
	// 0 flushes after every input batch, negative only when batches fill.
	BufferTimeout time.Duration
	BatchSize     int
	// Checkpoints is nil when checkpointing is off.
	Checkpoints *CheckpointConfig
	// Attempt counts the job's restarts (0 first).
	Attempt int
}

// OperatorSpec is one operator of a chain, head first.
type OperatorSpec struct {
	Name           string
	UID            string
	Operator       operator.Operator
	Out            Port
	Parallelism    int
	MaxParallelism int
	Outputs        []OutEdge
	// Restored is the state the operator starts from (nil: fresh).
	Restored *operator.Restored
}

// OutEdge is one consumer of an operator's main output (Tag "") or of one
// of its side outputs.
type OutEdge struct {
	Tag string
	// Port is the record type on the edge (the operator's Out for Tag "").
	Port Port
	// Chained is the index of the consumer in the same chain, or -1.
	Chained int
	// Writer describes the channels when the consumer is another task.
	Writer WriterSpec
	// Replay holds in-flight records of a restored unaligned checkpoint,
	// written to the edge before anything else; ReplayTo those for one
	// channel each (broadcast edges).
	Replay   [][]byte
	ReplayTo []ChannelReplay
}

// ChannelReplay is restored in-flight data for one channel of an edge.
type ChannelReplay struct {
	Channel int
	Records [][]byte
}

// InputSpec is one logical input of the head operator.
type InputSpec struct {
	Channels []*queue.Queue
	// EdgeKeys names the edge of each channel, for the in-flight data of
	// unaligned checkpoints.
	EdgeKeys []string
	Port     Port
	// Input is 1 for one-input operators and the first input of two-input
	// operators, 2 for the second.
	Input int
}

// SourceDriver is the head of a source chain: the task calls EmitNext
// instead of reading channels.
type SourceDriver interface {
	EmitNext() (source.InputStatus, error)
	Available() <-chan struct{}
}

// Task runs one subtask in one goroutine: a mailbox loop over input
// batches, events, timers and mail.
type Task struct {
	cfg     Config
	mailbox *Mailbox
	pt      *processingTime
	tr      tracker

	ops     []OperatorSpec
	src     SourceDriver
	gate    *queue.Gate
	procs   []inputProcessor // by channel
	inputOf []int            // by channel: logical input number
	valve   *valve
	ended   int
	endedBy []int // per logical input: channels ended
	sizes   []int // per logical input: channel count
	writers []writer
	mailBuf []mail
	done    bool

	// closed marks channels that delivered EndOfPartition.
	closed []bool
	align  alignment
	// dataEnded is set once the operators finished; with checkpointing the
	// task then waits for finalCheckpoint, the first checkpoint it
	// snapshots afterwards, to complete.
	dataEnded       bool
	finalCheckpoint int64
	// stopping is the stop-with-savepoint the task snapshotted: a source
	// emits nothing more until it completes (the task ends) or is aborted.
	stopping int64
	// capture is the unaligned checkpoint whose in-flight input is being
	// recorded; edgeKeys and ports name and type each channel's records.
	capture  *capture
	edgeKeys []string
	ports    []Port
	// replays are in-flight records of a restored unaligned checkpoint,
	// written before anything else.
	replays []replay
}

// replay is restored in-flight data for one output edge (channel -1) or
// one of its channels.
type replay struct {
	w       writer
	port    Port
	channel int
	records [][]byte
}

// New creates a subtask. Wire it with Build before Run.
func New(cfg Config) *Task {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	mb := NewMailbox()
	return &Task{cfg: cfg, mailbox: mb, pt: &processingTime{clock: cfg.Clock, mailbox: mb}}
}

// Mailbox is where other goroutines post work for this subtask.
func (t *Task) Mailbox() *Mailbox { return t.mailbox }

// ProcessingTime is the subtask's timer service.
func (t *Task) ProcessingTime() operator.ProcessingTimeService { return t.pt }

// Context returns the operator.Context for an operator of this subtask;
// restored is the state it starts from (nil for a fresh start).
func (t *Task) Context(name, uid string, parallelism, maxParallelism int, restored *operator.Restored) operator.Context {
	return &opContext{t: t, name: name, uid: uid, par: parallelism, maxPar: maxParallelism, restored: restored}
}

// Build wires the chain: ops head first, their outputs, and the head's
// inputs (or the source driver, which must be ops[0].Operator).
func (t *Task) Build(ops []OperatorSpec, inputs []InputSpec) error {
	t.ops = ops
	outs := make([]any, len(ops))
	// Wire from the tail so every chained consumer exists before its producer.
	for i := len(ops) - 1; i >= 0; i-- {
		spec := ops[i]
		side := &sideRouter{}
		var main []any
		for _, e := range spec.Outputs {
			var out any
			if e.Chained >= 0 {
				if e.Chained <= i {
					return fmt.Errorf("task %s: operator %q chains to an earlier operator", t.cfg.Name, spec.Name)
				}
				c, err := e.Port.newChained(ops[e.Chained].Operator, e.Chained, &t.tr)
				if err != nil {
					return err
				}
				out = c
			} else {
				e.Writer.BatchSize = t.cfg.BatchSize
				w := e.Port.newWriter(e.Writer)
				t.writers = append(t.writers, w)
				if len(e.Replay) > 0 {
					t.replays = append(t.replays, replay{w: w, port: e.Port, channel: -1, records: e.Replay})
				}
				for _, r := range e.ReplayTo {
					t.replays = append(t.replays, replay{w: w, port: e.Port, channel: r.Channel, records: r.Records})
				}
				out = w
			}
			if e.Tag == "" {
				main = append(main, out)
			} else {
				side.add(e.Tag, e.Port.newSide(out, e.Tag))
			}
		}
		if len(main) == 1 && len(side.all) == 0 {
			outs[i] = main[0]
		} else {
			outs[i] = spec.Out.newFanOut(main, side)
		}
		spec.Operator.SetOutput(outs[i])
	}
	if len(inputs) == 0 {
		src, ok := ops[0].Operator.(SourceDriver)
		if !ok {
			return fmt.Errorf("task %s: head operator %q has no inputs and is not a source", t.cfg.Name, ops[0].Name)
		}
		t.src = src
		return nil
	}
	var channels []*queue.Queue
	t.endedBy = make([]int, len(inputs)+1)
	t.sizes = make([]int, len(inputs)+1)
	for _, in := range inputs {
		p, err := in.Port.newInput(ops[0].Operator, in.Input)
		if err != nil {
			return err
		}
		for i, q := range in.Channels {
			channels = append(channels, q)
			t.procs = append(t.procs, p)
			t.inputOf = append(t.inputOf, in.Input)
			t.ports = append(t.ports, in.Port)
			key := ""
			if i < len(in.EdgeKeys) {
				key = in.EdgeKeys[i]
			}
			t.edgeKeys = append(t.edgeKeys, key)
		}
		t.sizes[in.Input] += len(in.Channels)
	}
	t.gate = queue.NewGate(channels)
	t.valve = newValve(len(channels))
	t.closed = make([]bool, len(channels))
	return nil
}

// Run opens the operators, processes input until it ends or ctx is
// cancelled, finishes and closes them. It returns the first failure,
// naming the operator that caused it.
func (t *Task) Run(ctx context.Context) (err error) {
	defer t.mailbox.close()
	defer t.pt.close()
	for _, w := range t.writers {
		w.setContext(ctx)
	}
	defer func() {
		if cerr := t.closeAll(); err == nil && cerr != nil && ctx.Err() == nil {
			err = cerr
		}
	}()
	if err := t.guard(-1, func() error { return t.openAll() }); err != nil {
		return err
	}
	if t.cfg.BufferTimeout > 0 && len(t.writers) > 0 {
		t.scheduleFlush()
	}
	for _, r := range t.replays {
		if err := t.guard(-1, func() error { return r.port.replay(r.w, r.channel, r.records) }); err != nil {
			return err
		}
	}
	t.replays = nil
	for !t.done {
		if err := t.guard(-1, func() error { return t.step(ctx) }); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
	return nil
}

func (t *Task) openAll() error {
	for i := len(t.ops) - 1; i >= 0; i-- {
		t.tr.current = i
		if err := t.ops[i].Operator.Open(t.Context(t.ops[i].Name, t.ops[i].UID, t.ops[i].Parallelism, t.ops[i].MaxParallelism, t.ops[i].Restored)); err != nil {
			return failure{i, fmt.Errorf("open: %w", err)}
		}
	}
	return nil
}

func (t *Task) closeAll() error {
	var errs []error
	for i, op := range t.ops {
		i, op := i, op
		if err := t.guard(i, op.Operator.Close); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t *Task) scheduleFlush() {
	var flush func(int64) error
	flush = func(int64) error {
		for _, w := range t.writers {
			w.Flush()
		}
		t.pt.RegisterTimer(t.pt.Now()+t.cfg.BufferTimeout.Milliseconds(), flush)
		return nil
	}
	t.pt.RegisterTimer(t.pt.Now()+t.cfg.BufferTimeout.Milliseconds(), flush)
}

// step does one unit of work: pending mail, then one input batch or source
// poll, or waits for something to do.
func (t *Task) step(ctx context.Context) error {
	t.mailBuf = t.mailbox.take(t.mailBuf)
	for _, m := range t.mailBuf {
		if err := m.fn(); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Backpressure: take no new input while an output queue is full, but
	// keep serving mail (timers, checkpoints) meanwhile.
	for _, w := range t.writers {
		if space := w.waitSpace(); space != nil {
			select {
			case <-space:
			case <-t.mailbox.Signal():
			case <-ctx.Done():
			}
			return nil
		}
	}
	if t.src != nil {
		return t.stepSource(ctx)
	}
	return t.stepInput(ctx)
}

func (t *Task) stepSource(ctx context.Context) error {
	if t.dataEnded || t.stopping > 0 {
		// Waiting for the final checkpoint or a stop: only mail matters.
		select {
		case <-t.mailbox.Signal():
		case <-ctx.Done():
		}
		return nil
	}
	t.tr.current = 0
	status, err := t.src.EmitNext()
	if err != nil {
		return failure{0, err}
	}
	switch status {
	case source.MoreAvailable:
		t.flushIfUnbuffered()
	case source.NothingAvailable:
		t.flushIfUnbuffered()
		select {
		case <-t.src.Available():
		case <-t.mailbox.Signal():
		case <-ctx.Done():
		}
	case source.EndOfInput:
		return t.finish()
	}
	return nil
}

func (t *Task) flushIfUnbuffered() {
	if t.cfg.BufferTimeout == 0 {
		for _, w := range t.writers {
			w.Flush()
		}
	}
}

func (t *Task) stepInput(ctx context.Context) error {
	x, ch, ok := t.gate.Poll()
	if !ok {
		select {
		case <-t.gate.Ready():
		case <-t.mailbox.Signal():
		case <-ctx.Done():
		}
		return nil
	}
	t.tr.current = 0
	op := t.ops[0].Operator
	if t.capture != nil {
		if _, isBarrier := x.(queue.Barrier); !isBarrier {
			t.captureElement(ch, x)
		}
	}
	switch ev := x.(type) {
	case queue.Watermark:
		if wm, adv := t.valve.watermark(ch, ev.Timestamp); adv {
			if err := op.ProcessWatermark(wm); err != nil {
				return failure{0, err}
			}
		}
	case queue.WatermarkStatus:
		changed, idle, wm, adv := t.valve.status(ch, ev.Idle)
		if adv {
			if err := op.ProcessWatermark(wm); err != nil {
				return failure{0, err}
			}
		}
		if changed {
			if err := op.ProcessWatermarkStatus(idle); err != nil {
				return failure{0, err}
			}
		}
	case queue.Barrier:
		if t.cfg.Checkpoints == nil {
			return fmt.Errorf("task %s: checkpoint barrier %d arrived but checkpointing is off", t.cfg.Name, ev.ID)
		}
		return t.onBarrier(ch, ev)
	case queue.CancelBarrier:
		t.onCancelBarrier(ev)
	case queue.EndOfData:
		return t.endChannel(ch)
	case queue.EndOfPartition:
		t.closed[ch] = true
		if t.cfg.Checkpoints != nil {
			return t.maybeChannelDone(ch)
		}
	default:
		if err := t.procs[ch].processBatch(x); err != nil {
			return failure{0, err}
		}
		t.flushIfUnbuffered()
	}
	return nil
}

func (t *Task) endChannel(ch int) error {
	op := t.ops[0].Operator
	if wm, adv := t.valve.end(ch); adv {
		if err := op.ProcessWatermark(wm); err != nil {
			return failure{0, err}
		}
	}
	in := t.inputOf[ch]
	t.endedBy[in]++
	if t.endedBy[in] == t.sizes[in] {
		if e, ok := op.(operator.InputEnder); ok {
			if err := e.EndInput(in); err != nil {
				return failure{0, err}
			}
		}
	}
	t.ended++
	if t.ended == t.gate.NumChannels() {
		return t.finish()
	}
	return nil
}

// finish runs when all input is consumed: operators finish head to tail so
// each sees the last output of its predecessor, then the outputs end. With
// checkpointing the task stays until a final checkpoint completes, so
// two-phase-commit sinks commit their last output.
func (t *Task) finish() error {
	for i, op := range t.ops {
		t.tr.current = i
		if err := op.Operator.Finish(); err != nil {
			return failure{i, fmt.Errorf("finish: %w", err)}
		}
	}
	for _, w := range t.writers {
		w.emitEvent(queue.EndOfData{})
	}
	t.dataEnded = true
	if t.cfg.Checkpoints == nil || t.cfg.Checkpoints.NoFinalCheckpoint {
		t.endPartitions()
		return nil
	}
	t.cfg.Checkpoints.OnEndOfData()
	return nil
}

// guard runs fn and turns errors and panics into an error naming the
// operator that caused them (op -1: the one the tracker points at).
func (t *Task) guard(op int, fn func() error) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		switch p := r.(type) {
		case aborted:
			err = p.err
		case failure:
			err = t.operatorError(p.op, p.err)
		case operator.Abort:
			err = t.operatorError(t.tr.current, p.Err)
		case sideTypeError:
			err = t.operatorError(t.tr.current, fmt.Errorf("side output %q carries %T, but its consumer expects %T", p.tag, p.got, p.want))
		default:
			idx := op
			if idx < 0 {
				idx = t.tr.current
			}
			err = t.operatorError(idx, fmt.Errorf("%w: %v\n%s", ErrPanic, r, debug.Stack()))
		}
	}()
	err = fn()
	var f failure
	if errors.As(err, &f) {
		return t.operatorError(f.op, f.err)
	}
	if err != nil && op >= 0 {
		return t.operatorError(op, err)
	}
	return err
}

// ErrPanic marks a failure caused by a panic in user code.
var ErrPanic = errors.New("panic")

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// OperatorError is a failure of one operator in one subtask.
type OperatorError struct {
	Operator    string
	Subtask     int
	Parallelism int
	Err         error
}

func (e *OperatorError) Error() string {
	return fmt.Sprintf("operator %q (subtask %d/%d) failed: %v", e.Operator, e.Subtask+1, e.Parallelism, e.Err)
}

func (e *OperatorError) Unwrap() error { return e.Err }

func (t *Task) operatorError(idx int, err error) error {
	var oe *OperatorError
	if errors.As(err, &oe) {
		return err
	}
	name := t.cfg.Name
	if idx >= 0 && idx < len(t.ops) {
		name = t.ops[idx].Name
	}
	return &OperatorError{Operator: name, Subtask: t.cfg.Index, Parallelism: t.cfg.Parallelism, Err: err}
}

// opContext implements operator.Context for one operator of the task.
type opContext struct {
	t           *Task
	name, uid   string
	par, maxPar int
	restored    *operator.Restored
}

func (c *opContext) Restored() *operator.Restored { return c.restored }

func (c *opContext) AttemptNumber() int { return c.t.cfg.Attempt }

func (c *opContext) OperatorName() string                           { return c.name }
func (c *opContext) UID() string                                    { return c.uid }
func (c *opContext) SubtaskIndex() int                              { return c.t.cfg.Index }
func (c *opContext) Parallelism() int                               { return c.par }
func (c *opContext) MaxParallelism() int                            { return c.maxPar }
func (c *opContext) Config() *config.Configuration                  { return c.t.cfg.Job }
func (c *opContext) ProcessingTime() operator.ProcessingTimeService { return c.t.pt }
func (c *opContext) KeyGroupRange() keygroup.Range {
	return keygroup.RangeFor(c.maxPar, c.par, c.t.cfg.Index)
}
func (c *opContext) Execute(name string, fn func() error) { c.t.mailbox.Put(name, fn) }
