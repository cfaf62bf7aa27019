package source

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
)

// ErrCoordinatorStopped is returned by Checkpoint when the coordinator is
// not running any more.
var ErrCoordinatorStopped = errors.New("source: coordinator stopped")

// Coordinator runs a source's SplitEnumerator (Flink's SourceCoordinator):
// one goroutine, the one calling Run, owns the enumerator and handles every
// event, checkpoint and async result in turn, so the enumerator needs no
// locks. All other methods may be called from any goroutine; they queue
// work for the coordinator goroutine.
type Coordinator interface {
	// Run creates (or restores) and starts the enumerator and processes
	// events one at a time until ctx is cancelled, then closes the
	// enumerator. It returns nil after cancellation, or the first error of
	// the enumerator or of a handler it scheduled, wrapped with the source
	// name. No goroutine the coordinator started outlives Run. Run may be
	// called once.
	Run(ctx context.Context) error
	// HandleEventFromOperator queues an event a source operator sent
	// (ReaderRegistrationEvent, RequestSplitEvent, SourceEventWrapper).
	// Events queued before Run starts wait for it; after Run returned they
	// are dropped.
	HandleEventFromOperator(subtask int, ev OperatorEvent)
	// Checkpoint snapshots the enumerator on the coordinator goroutine and
	// returns the state encoded with the source's CheckpointCodec. Splits
	// assigned before it are attributed to checkpointID for SubtaskReset.
	// A failing snapshot fails only this checkpoint.
	Checkpoint(ctx context.Context, checkpointID int64) ([]byte, error)
	// NotifyCheckpointComplete tells the enumerator checkpointID completed
	// and forgets split assignments it covers.
	NotifyCheckpointComplete(checkpointID int64)
	// ReleaseEvents ends the hold Checkpoint put on events to readers: the
	// runtime calls it once it triggered checkpointID in the source
	// subtasks, or when the checkpoint was aborted. Events the enumerator
	// sent after its snapshot (split assignments) then reach the readers
	// behind the checkpoint's trigger, so a split is never both pending in
	// the enumerator's snapshot and held in a reader's snapshot of the same
	// checkpoint (Flink's operator event valve).
	ReleaseEvents(checkpointID int64)
	// SubtaskReset handles a failed subtask that will restart from
	// checkpointID (or from scratch when no checkpoint completed: pass a
	// value below every checkpoint ID, e.g. 0): the reader is unregistered
	// until it registers again, and the splits assigned to it after that
	// checkpoint go back to the enumerator through AddSplitsBack.
	SubtaskReset(subtask int, checkpointID int64)
}

// NewCoordinator returns the coordinator of src, named name in errors, for
// a source with parallelism readers. toSubtask delivers events to readers.
// restored is an enumerator checkpoint from Checkpoint, or nil to create a
// fresh enumerator.
func NewCoordinator[T any, S Split, E any](name string, src Source[T, S, E], parallelism int, cfg *config.Configuration, toSubtask SubtaskGateway, restored []byte) Coordinator {
	c := &coordinator[T, S, E]{
		name:        name,
		src:         src,
		parallelism: parallelism,
		cfg:         cfg,
		toSubtask:   toSubtask,
		restored:    restored,
		splitCodec:  src.SplitCodec(),
		readers:     map[int]ReaderInfo{},
		tracker:     newAssignmentTracker(),
		signal:      make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	return c
}

type coordinator[T any, S Split, E any] struct {
	name        string
	src         Source[T, S, E]
	parallelism int
	cfg         *config.Configuration
	toSubtask   SubtaskGateway
	restored    []byte
	splitCodec  codec.Codec[S]

	// mu guards the work queue and the lifecycle flags.
	mu struct {
		sync.Mutex
		queue   []func() error
		started bool
		stopped bool
		// runCtx is cancelled when Run returns; async goroutines watch it.
		runCtx context.Context
	}
	// signal has a token whenever queue may be non-empty.
	signal chan struct{}
	// done is closed when Run has returned.
	done chan struct{}
	// async counts CallAsync goroutines; Run waits for them.
	async sync.WaitGroup

	// Owned by the coordinator goroutine.
	enum    SplitEnumerator[S, E]
	readers map[int]ReaderInfo
	tracker *assignmentTracker
	valve   eventValve
}

// eventValve holds events to readers between an enumerator snapshot and
// the trigger of the same checkpoint in the subtasks.
type eventValve struct {
	// holding is the checkpoint whose snapshot closed the valve, 0 if open.
	holding int64
	// released is the highest checkpoint released: a release can overtake
	// the snapshot it ends (an abort while the snapshot was queued), and a
	// snapshot of a released checkpoint must not close the valve.
	released int64
	held     []heldEvent
}

type heldEvent struct {
	subtask int
	ev      OperatorEvent
}

// send delivers ev to a reader, or holds it while the valve is closed.
func (c *coordinator[T, S, E]) send(subtask int, ev OperatorEvent) error {
	if c.valve.holding != 0 {
		c.valve.held = append(c.valve.held, heldEvent{subtask, ev})
		return nil
	}
	return c.toSubtask(subtask, ev)
}

// release opens the valve if checkpoint id (or a later one) holds it and
// delivers what it held, in order.
func (c *coordinator[T, S, E]) release(id int64) error {
	c.valve.released = max(c.valve.released, id)
	if c.valve.holding == 0 || c.valve.holding > id {
		return nil
	}
	c.valve.holding = 0
	held := c.valve.held
	c.valve.held = nil
	for _, h := range held {
		if err := c.toSubtask(h.subtask, h.ev); err != nil {
			return c.wrap(fmt.Errorf("send %T held for checkpoint %d to subtask %d: %w", h.ev, id, h.subtask, err))
		}
	}
	return nil
}

func (c *coordinator[T, S, E]) wrap(err error) error {
	return fmt.Errorf("source: coordinator of %q: %w", c.name, err)
}

// enqueue queues fn for the coordinator goroutine; it reports false (and
// drops fn) once Run has returned.
func (c *coordinator[T, S, E]) enqueue(fn func() error) bool {
	c.mu.Lock()
	if c.mu.stopped {
		c.mu.Unlock()
		return false
	}
	c.mu.queue = append(c.mu.queue, fn)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
	return true
}

func (c *coordinator[T, S, E]) take(buf []func() error) []func() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	buf = append(buf[:0], c.mu.queue...)
	clear(c.mu.queue)
	c.mu.queue = c.mu.queue[:0]
	return buf
}

func (c *coordinator[T, S, E]) Run(ctx context.Context) (err error) {
	runCtx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	if c.mu.started {
		c.mu.Unlock()
		cancel()
		return c.wrap(errors.New("Run called twice"))
	}
	c.mu.started = true
	c.mu.runCtx = runCtx
	c.mu.Unlock()

	defer func() {
		c.mu.Lock()
		c.mu.stopped = true
		c.mu.queue = nil
		c.mu.Unlock()
		cancel()
		c.async.Wait()
		if c.enum != nil {
			if cerr := c.enum.Close(); cerr != nil && err == nil {
				err = c.wrap(fmt.Errorf("close enumerator: %w", cerr))
			}
		}
		close(c.done)
	}()

	if err := c.createEnumerator(); err != nil {
		return c.wrap(err)
	}
	var buf []func() error
	for {
		buf = c.take(buf)
		for i, fn := range buf {
			buf[i] = nil
			if err := fn(); err != nil {
				return c.wrap(err)
			}
		}
		select {
		case <-c.signal:
		case <-ctx.Done():
			return nil
		}
	}
}

func (c *coordinator[T, S, E]) createEnumerator() error {
	ectx := &enumeratorContext[T, S, E]{c: c}
	var (
		enum SplitEnumerator[S, E]
		err  error
	)
	if c.restored != nil {
		cp, derr := c.src.CheckpointCodec().Decode(c.restored)
		if derr != nil {
			return fmt.Errorf("decode enumerator checkpoint: %w", derr)
		}
		enum, err = c.src.RestoreEnumerator(ectx, cp)
		if err != nil {
			return fmt.Errorf("restore enumerator: %w", err)
		}
	} else {
		enum, err = c.src.CreateEnumerator(ectx)
		if err != nil {
			return fmt.Errorf("create enumerator: %w", err)
		}
	}
	if enum == nil {
		return errors.New("the source returned no enumerator")
	}
	c.enum = enum
	if err := enum.Start(); err != nil {
		return fmt.Errorf("start enumerator: %w", err)
	}
	return nil
}

func (c *coordinator[T, S, E]) HandleEventFromOperator(subtask int, ev OperatorEvent) {
	c.enqueue(func() error { return c.handleEvent(subtask, ev) })
}

func (c *coordinator[T, S, E]) handleEvent(subtask int, ev OperatorEvent) error {
	if subtask < 0 || subtask >= c.parallelism {
		return fmt.Errorf("event %T from subtask %d, but the source has %d subtasks", ev, subtask, c.parallelism)
	}
	switch e := ev.(type) {
	case ReaderRegistrationEvent:
		c.readers[subtask] = ReaderInfo{Subtask: subtask, Location: e.Location}
		c.enum.AddReader(subtask)
	case RequestSplitEvent:
		c.enum.HandleSplitRequest(subtask, e.Hostname)
	case SourceEventWrapper:
		c.enum.HandleSourceEvent(subtask, e.Event)
	default:
		return fmt.Errorf("unexpected operator event %T from subtask %d", ev, subtask)
	}
	return nil
}

type checkpointResult struct {
	b   []byte
	err error
}

func (c *coordinator[T, S, E]) Checkpoint(ctx context.Context, checkpointID int64) ([]byte, error) {
	res := make(chan checkpointResult, 1)
	ok := c.enqueue(func() error {
		b, err := c.snapshot(checkpointID)
		res <- checkpointResult{b, err}
		return nil
	})
	if !ok {
		return nil, ErrCoordinatorStopped
	}
	select {
	case r := <-res:
		return r.b, r.err
	case <-c.done:
		// Run may have finished the snapshot just before returning.
		select {
		case r := <-res:
			return r.b, r.err
		default:
			return nil, ErrCoordinatorStopped
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *coordinator[T, S, E]) snapshot(checkpointID int64) ([]byte, error) {
	// Events held for an earlier checkpoint go first. With one checkpoint
	// at a time (the default) its trigger, if any, is already in the
	// subtasks' mailboxes; with concurrent checkpoints the earlier one
	// loses the hold here, as the valve keeps one checkpoint at a time.
	if err := c.release(checkpointID - 1); err != nil {
		return nil, err
	}
	st, err := c.enum.SnapshotState(checkpointID)
	if err != nil {
		return nil, c.wrap(fmt.Errorf("snapshot enumerator for checkpoint %d: %w", checkpointID, err))
	}
	b, err := c.src.CheckpointCodec().Encode(st)
	if err != nil {
		return nil, c.wrap(fmt.Errorf("encode enumerator checkpoint %d: %w", checkpointID, err))
	}
	c.tracker.onCheckpoint(checkpointID)
	if checkpointID > c.valve.released {
		c.valve.holding = checkpointID
	}
	return b, nil
}

func (c *coordinator[T, S, E]) ReleaseEvents(checkpointID int64) {
	c.enqueue(func() error { return c.release(checkpointID) })
}

func (c *coordinator[T, S, E]) NotifyCheckpointComplete(checkpointID int64) {
	c.enqueue(func() error {
		if err := c.release(checkpointID); err != nil {
			return err
		}
		c.tracker.onCheckpointComplete(checkpointID)
		if err := c.enum.NotifyCheckpointComplete(checkpointID); err != nil {
			return fmt.Errorf("notify checkpoint %d complete: %w", checkpointID, err)
		}
		return nil
	})
}

func (c *coordinator[T, S, E]) SubtaskReset(subtask int, checkpointID int64) {
	c.enqueue(func() error {
		delete(c.readers, subtask)
		// Held events were for the failed reader; its splits come back
		// through AddSplitsBack below.
		c.valve.held = slices.DeleteFunc(c.valve.held, func(h heldEvent) bool { return h.subtask == subtask })
		encoded := c.tracker.takeSince(subtask, checkpointID)
		if len(encoded) == 0 {
			return nil
		}
		splits := make([]S, len(encoded))
		for i, b := range encoded {
			s, err := c.splitCodec.Decode(b)
			if err != nil {
				return fmt.Errorf("decode split to add back for subtask %d: %w", subtask, err)
			}
			splits[i] = s
		}
		c.enum.AddSplitsBack(splits, subtask)
		return nil
	})
}

// callAsync starts the goroutine behind SplitEnumeratorContext.CallAsync.
func (c *coordinator[T, S, E]) callAsync(callable func() (any, error), handler func(any, error) error, initialDelay, period time.Duration) {
	c.mu.Lock()
	if c.mu.stopped || c.mu.runCtx == nil {
		c.mu.Unlock()
		return
	}
	ctx := c.mu.runCtx
	// Add under mu: Run sets stopped under mu before it waits, so no Add
	// races with that Wait.
	c.async.Add(1)
	c.mu.Unlock()

	go func() {
		defer c.async.Done()
		delay := time.NewTimer(initialDelay)
		defer delay.Stop()
		select {
		case <-delay.C:
		case <-ctx.Done():
			return
		}
		var tick <-chan time.Time
		if period > 0 {
			t := time.NewTicker(period)
			defer t.Stop()
			tick = t.C
		}
		for {
			v, err := callable()
			if ctx.Err() != nil {
				return
			}
			if handler != nil {
				c.enqueue(func() error {
					if herr := handler(v, err); herr != nil {
						return fmt.Errorf("async call handler: %w", herr)
					}
					return nil
				})
			}
			if tick == nil {
				return
			}
			select {
			case <-tick:
			case <-ctx.Done():
				return
			}
		}
	}()
}

// enumeratorContext is the SplitEnumeratorContext the coordinator gives its
// enumerator. Except for CallAsync and RunInCoordinatorThread, its methods
// must be called on the coordinator goroutine, i.e. from enumerator methods
// and handlers.
type enumeratorContext[T any, S Split, E any] struct {
	c *coordinator[T, S, E]
}

func (x *enumeratorContext[T, S, E]) CurrentParallelism() int { return x.c.parallelism }

func (x *enumeratorContext[T, S, E]) RegisteredReaders() map[int]ReaderInfo {
	return maps.Clone(x.c.readers)
}

func (x *enumeratorContext[T, S, E]) checkRegistered(subtask int) error {
	if _, ok := x.c.readers[subtask]; !ok {
		return fmt.Errorf("source: coordinator of %q: subtask %d has no registered reader (of %d subtasks); assign only to RegisteredReaders", x.c.name, subtask, x.c.parallelism)
	}
	return nil
}

// AssignSplits checks every target first, so an assignment to an
// unregistered reader sends nothing at all.
func (x *enumeratorContext[T, S, E]) AssignSplits(assignment map[int][]S) error {
	for subtask := range assignment {
		if err := x.checkRegistered(subtask); err != nil {
			return err
		}
	}
	// Send in subtask order, so a failing send leaves a predictable prefix.
	for _, subtask := range slices.Sorted(maps.Keys(assignment)) {
		splits := assignment[subtask]
		if len(splits) == 0 {
			continue
		}
		encoded := make([][]byte, len(splits))
		copies := make([]any, len(splits))
		for i, s := range splits {
			b, err := x.c.splitCodec.Encode(s)
			if err != nil {
				return fmt.Errorf("source: coordinator of %q: encode split %q: %w", x.c.name, s.SplitID(), err)
			}
			// The reader gets its own copy: in-process it must share no
			// memory with the enumerator, as it would not across processes.
			cp, err := x.c.splitCodec.Decode(b)
			if err != nil {
				return fmt.Errorf("source: coordinator of %q: split %q does not survive its codec: %w", x.c.name, s.SplitID(), err)
			}
			encoded[i], copies[i] = b, cp
		}
		if err := x.c.send(subtask, AddSplitsEvent{Splits: copies}); err != nil {
			return fmt.Errorf("source: coordinator of %q: send splits to subtask %d: %w", x.c.name, subtask, err)
		}
		for _, b := range encoded {
			x.c.tracker.recordAssignment(subtask, b)
		}
	}
	return nil
}

func (x *enumeratorContext[T, S, E]) AssignSplit(split S, subtask int) error {
	return x.AssignSplits(map[int][]S{subtask: {split}})
}

func (x *enumeratorContext[T, S, E]) SignalNoMoreSplits(subtask int) error {
	if err := x.checkRegistered(subtask); err != nil {
		return err
	}
	if err := x.c.send(subtask, NoMoreSplitsEvent{}); err != nil {
		return fmt.Errorf("source: coordinator of %q: signal no more splits to subtask %d: %w", x.c.name, subtask, err)
	}
	return nil
}

func (x *enumeratorContext[T, S, E]) SendEventToSourceReader(subtask int, ev SourceEvent) error {
	if err := x.checkRegistered(subtask); err != nil {
		return err
	}
	if err := x.c.send(subtask, SourceEventWrapper{Event: ev}); err != nil {
		return fmt.Errorf("source: coordinator of %q: send event to subtask %d: %w", x.c.name, subtask, err)
	}
	return nil
}

// CallAsync may be called from any goroutine. callable runs on its own
// goroutine; handler runs on the coordinator goroutine and an error from it
// ends Run. When Run returns, pending results are dropped and the goroutine
// stops (after a running callable returns: keep callables short).
func (x *enumeratorContext[T, S, E]) CallAsync(callable func() (any, error), handler func(any, error) error, initialDelay, period time.Duration) {
	x.c.callAsync(callable, handler, initialDelay, period)
}

// RunInCoordinatorThread may be called from any goroutine; an error from fn
// ends Run. fn is dropped once Run has returned.
func (x *enumeratorContext[T, S, E]) RunInCoordinatorThread(fn func() error) {
	x.c.enqueue(fn)
}

// Context may be called from any goroutine. It is cancelled when Run
// returns, before Run waits for CallAsync goroutines.
func (x *enumeratorContext[T, S, E]) Context() context.Context {
	x.c.mu.Lock()
	defer x.c.mu.Unlock()
	return x.c.mu.runCtx
}

func (x *enumeratorContext[T, S, E]) Config() *config.Configuration { return x.c.cfg }
