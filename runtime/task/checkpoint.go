package task

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
)

// CheckpointConfig turns checkpointing on for a task. Its callbacks run in
// the task goroutine and must not block.
type CheckpointConfig struct {
	// AtLeastOnce snapshots on the last barrier without blocking channels
	// whose barrier arrived (no alignment), so records after a barrier may
	// be processed before the snapshot and replayed after a restore.
	AtLeastOnce bool
	// OnSnapshot receives the synchronous snapshot of every stateful
	// operator of the chain, taken when the barrier reached the task and
	// before it was forwarded. The asynchronous part (writing keyed state)
	// belongs to the receiver.
	OnSnapshot func(b queue.Barrier, snaps []OperatorSnapshot)
	// OnDecline reports a checkpoint this task could not take part in.
	OnDecline func(id int64, err error)
	// OnEndOfData reports that the task emitted its last record; it stays
	// alive for a final checkpoint, whose completion ends it.
	OnEndOfData func()
	// NoFinalCheckpoint ends a task right after its last record instead
	// (execution.checkpointing.checkpoints-after-tasks-finish: false);
	// what two-phase-commit sinks pre-committed since the last checkpoint
	// is then never committed, as in Flink.
	NoFinalCheckpoint bool
}

// OperatorSnapshot is one operator's synchronous snapshot.
type OperatorSnapshot struct {
	// Operator is the index in the chain.
	Operator int
	UID      string
	State    operator.StateSnapshot
}

// ErrCheckpointSubsumed declines a checkpoint whose alignment a newer
// barrier overtook.
var ErrCheckpointSubsumed = errors.New("task: checkpoint subsumed by a newer one before its barriers aligned")

// alignment tracks the barriers of the checkpoint the task's inputs are
// delivering.
type alignment struct {
	pending bool
	barrier queue.Barrier
	seen    []bool
	// last is the highest checkpoint the task snapshotted or cancelled;
	// older barriers are stale.
	last int64
}

// TriggerCheckpoint makes a task without running inputs (a source, or a
// task whose inputs all ended) snapshot and emit barrier b. It returns
// false when the task has already ended.
func (t *Task) TriggerCheckpoint(b queue.Barrier) bool {
	return t.mailbox.TryPut("checkpoint", func() error {
		if b.ID <= t.align.last {
			return nil
		}
		t.align.last = b.ID
		if b.Drain && !t.dataEnded {
			if err := t.finish(); err != nil {
				return err
			}
		}
		return t.snapshot(b)
	})
}

// NotifyCheckpointComplete tells every operator that checkpoint id
// completed. A task waiting for its final checkpoint ends afterwards.
func (t *Task) NotifyCheckpointComplete(id int64) {
	t.mailbox.Put("checkpoint complete", func() error {
		for i, op := range t.ops {
			if l, ok := op.Operator.(operator.CheckpointListener); ok {
				t.tr.current = i
				if err := l.NotifyCheckpointComplete(id); err != nil {
					return failure{i, fmt.Errorf("checkpoint %d complete: %w", id, err)}
				}
			}
		}
		switch {
		case t.finalCheckpoint > 0 && id >= t.finalCheckpoint:
			t.endPartitions()
		case t.stopping > 0 && id >= t.stopping:
			// Stop-with-savepoint: every task got the barrier and ends
			// now; no records follow it.
			t.done = true
		}
		return nil
	})
}

// NotifyCheckpointAborted tells every operator that checkpoint id was
// aborted.
func (t *Task) NotifyCheckpointAborted(id int64) {
	t.mailbox.Put("checkpoint aborted", func() error {
		for i, op := range t.ops {
			if l, ok := op.Operator.(operator.CheckpointListener); ok {
				t.tr.current = i
				if err := l.NotifyCheckpointAborted(id); err != nil {
					return failure{i, fmt.Errorf("checkpoint %d aborted: %w", id, err)}
				}
			}
		}
		if t.align.pending && t.align.barrier.ID == id {
			t.cancelAlignment()
		}
		t.abortCapture(id)
		if t.stopping == id {
			// The stop failed; the job goes on.
			t.stopping = 0
		}
		return nil
	})
}

// onBarrier handles a barrier from channel ch.
func (t *Task) onBarrier(ch int, b queue.Barrier) error {
	a := &t.align
	if c := t.capture; c != nil && c.barrier.ID == b.ID {
		return t.captureBarrier(ch, b)
	}
	if b.ID <= a.last {
		return nil
	}
	if b.Unaligned {
		if a.pending {
			t.cfg.Checkpoints.OnDecline(a.barrier.ID, ErrCheckpointSubsumed)
			t.cancelAlignment()
		}
		if t.capture != nil {
			t.cfg.Checkpoints.OnDecline(t.capture.barrier.ID, ErrCheckpointSubsumed)
			t.abortCapture(t.capture.barrier.ID)
		}
		a.last = b.ID
		return t.startCapture(b, ch, nil)
	}
	if a.pending && b.ID > a.barrier.ID {
		t.cfg.Checkpoints.OnDecline(a.barrier.ID, ErrCheckpointSubsumed)
		t.cancelAlignment()
	}
	if !a.pending {
		a.pending, a.barrier = true, b
		if a.seen == nil {
			a.seen = make([]bool, t.gate.NumChannels())
		}
		clear(a.seen)
		if b.AlignedTimeout > 0 && !t.cfg.Checkpoints.AtLeastOnce {
			id := b.ID
			t.pt.RegisterTimer(t.pt.Now()+b.AlignedTimeout, func(int64) error { return t.alignmentTimedOut(id) })
		}
	}
	if !a.seen[ch] {
		a.seen[ch] = true
		if !t.cfg.Checkpoints.AtLeastOnce {
			t.gate.Block(ch)
		}
	}
	return t.maybeAligned()
}

// maybeAligned snapshots once every open channel delivered the barrier.
func (t *Task) maybeAligned() error {
	a := &t.align
	if !a.pending {
		return nil
	}
	for ch, seen := range a.seen {
		if !seen && !t.closed[ch] {
			return nil
		}
	}
	b := a.barrier
	a.pending, a.last = false, b.ID
	err := t.snapshot(b)
	t.gate.UnblockAll()
	return err
}

// maybeChannelDone re-checks alignment and capture after channel ch closed.
func (t *Task) maybeChannelDone(ch int) error {
	if t.capture != nil && t.capture.waiting[ch] {
		t.capture.waiting[ch] = false
		if err := t.maybeCaptured(); err != nil {
			return err
		}
	}
	return t.maybeAligned()
}

// onCancelBarrier drops the alignment of an aborted checkpoint and passes
// the cancellation on.
func (t *Task) onCancelBarrier(c queue.CancelBarrier) {
	if c.ID <= t.align.last {
		return
	}
	if t.align.pending && t.align.barrier.ID == c.ID {
		t.cancelAlignment()
	}
	t.abortCapture(c.ID)
	t.align.last = max(t.align.last, c.ID)
	for _, w := range t.writers {
		w.emitEvent(c)
	}
}

func (t *Task) cancelAlignment() {
	t.align.last = max(t.align.last, t.align.barrier.ID)
	t.align.pending = false
	t.gate.UnblockAll()
}

// snapshot takes the synchronous snapshot of every stateful operator,
// forwards the barrier and hands the snapshots on. An unaligned barrier
// first records the in-flight data it overtook (startCapture).
func (t *Task) snapshot(b queue.Barrier) error {
	if b.Unaligned {
		return t.startCapture(b, -1, nil)
	}
	snaps, ok := t.takeSnapshots(b)
	if !ok {
		return nil
	}
	t.emitBarrier(b)
	t.handOver(b, snaps)
	return nil
}

// takeSnapshots runs every stateful operator's SnapshotState. On failure
// it declines the checkpoint, cancels it downstream and reports false.
func (t *Task) takeSnapshots(b queue.Barrier) ([]OperatorSnapshot, bool) {
	ctx := operator.SnapshotContext{CheckpointID: b.ID, Timestamp: b.Timestamp, Savepoint: b.Savepoint}
	var snaps []OperatorSnapshot
	for i, op := range t.ops {
		s, ok := op.Operator.(operator.Snapshotter)
		if !ok {
			continue
		}
		t.tr.current = i
		st, err := s.SnapshotState(ctx)
		if err != nil {
			releaseSnapshots(snaps)
			t.cfg.Checkpoints.OnDecline(b.ID, t.operatorError(i, fmt.Errorf("snapshot for checkpoint %d: %w", b.ID, err)))
			for _, w := range t.writers {
				w.emitEvent(queue.CancelBarrier{ID: b.ID})
			}
			return nil, false
		}
		snaps = append(snaps, OperatorSnapshot{Operator: i, UID: op.UID, State: st})
	}
	return snaps, true
}

// emitBarrier forwards b: behind the data already emitted, or, unaligned,
// ahead of it.
func (t *Task) emitBarrier(b queue.Barrier) {
	b.Overtaken = 0
	for _, w := range t.writers {
		if b.Unaligned {
			w.emitPriorityBarrier(b)
		} else {
			w.emitEvent(b)
		}
	}
	if t.dataEnded && t.finalCheckpoint == 0 {
		t.finalCheckpoint = b.ID
	}
	if b.Stop {
		t.stopping = b.ID
	}
}

// handOver passes the checkpoint's snapshots to the runtime.
func (t *Task) handOver(b queue.Barrier, snaps []OperatorSnapshot) {
	t.cfg.Checkpoints.OnSnapshot(b, snaps)
}

// alignmentTimedOut turns the pending aligned checkpoint id unaligned: it
// snapshots now and records what the channels still waiting for their
// barrier deliver until it arrives.
func (t *Task) alignmentTimedOut(id int64) error {
	a := &t.align
	if !a.pending || a.barrier.ID != id {
		return nil
	}
	b := a.barrier
	seen := append([]bool(nil), a.seen...)
	a.pending, a.last = false, b.ID
	t.gate.UnblockAll()
	return t.startCapture(b, -1, seen)
}

// endPartitions sends EndOfPartition downstream and ends the task.
func (t *Task) endPartitions() {
	for _, w := range t.writers {
		w.EndPartition()
	}
	t.done = true
}
