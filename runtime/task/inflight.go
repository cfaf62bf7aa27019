package task

import (
	"encoding/binary"
	"fmt"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
	"github.com/weirstream/weir/snapshot"
)

// In-flight data of unaligned checkpoints: the records a barrier overtook
// in a queue, and the records of channels whose barrier had not arrived
// when the consumer snapshotted. The consumer records them as list state of
// its head operator, one list per input edge (InputSpec.EdgeKeys); on
// restore the runtime hands each list to the edge's producer, which
// replays the records through its writer before anything else
// (OutEdge.Replay), so they are partitioned for the new parallelism.

// encodeRecords appends every record of batch b (a *operator.Batch[T]) to
// dst, each as a varint timestamp followed by the value in T's default
// codec.
func (port[T]) encodeRecords(b any, dst [][]byte) ([][]byte, error) {
	batch, ok := b.(*operator.Batch[T])
	if !ok {
		return dst, fmt.Errorf("task: in-flight data: expected batches of %T, got %T", batch, b)
	}
	c := codec.For[T]()
	for i, v := range batch.Values {
		enc, err := codec.Append(c, binary.AppendVarint(nil, batch.Timestamps[i]), v)
		if err != nil {
			return dst, fmt.Errorf("task: record an in-flight %T for an unaligned checkpoint: %w; give the type a codec or use aligned checkpoints", v, err)
		}
		dst = append(dst, enc)
	}
	return dst, nil
}

// replay decodes recorded in-flight records and writes them to w (a
// *RecordWriter[T]): partitioned as new records, or, with channel >= 0,
// to that channel only (broadcast edges, where each consumer recorded its
// own copy).
func (port[T]) replay(w writer, channel int, records [][]byte) error {
	rw, ok := w.(*RecordWriter[T])
	if !ok {
		return fmt.Errorf("task: in-flight replay: writer %T does not write %T", w, *new(T))
	}
	c := codec.For[T]()
	for i, rec := range records {
		d := snapshot.NewDecoder(rec)
		ts := d.Varint()
		if err := d.Err(); err != nil {
			return fmt.Errorf("task: in-flight record %d: %w", i, err)
		}
		v, err := c.Decode(rec[len(rec)-d.Len():])
		if err != nil {
			return fmt.Errorf("task: in-flight record %d: %w", i, err)
		}
		if channel >= 0 {
			rw.appendTo(channel, v, ts)
		} else {
			rw.Collect(v, ts)
		}
	}
	return nil
}

// capture is an unaligned checkpoint a task snapshotted and whose
// in-flight input it is still recording.
type capture struct {
	barrier queue.Barrier
	snaps   []OperatorSnapshot
	// waiting marks channels whose barrier has not arrived: what they
	// deliver until it does is in-flight data.
	waiting []bool
	lists   map[string][][]byte
	err     error
}

func (c *capture) done() bool {
	for _, w := range c.waiting {
		if w {
			return false
		}
	}
	return true
}

// startCapture snapshots for unaligned barrier b and forwards it ahead of
// everything. first is the channel it arrived on (-1 for a task triggered
// directly or a timed-out alignment), seen the channels whose barrier
// already arrived.
func (t *Task) startCapture(b queue.Barrier, first int, seen []bool) error {
	b.Unaligned = true
	snaps, ok := t.takeSnapshots(b)
	if !ok {
		return nil
	}
	t.emitBarrier(b)
	c := &capture{barrier: b, snaps: snaps, lists: map[string][][]byte{}}
	t.capture = c
	if t.gate != nil {
		c.waiting = make([]bool, t.gate.NumChannels())
		for ch := range c.waiting {
			switch {
			case t.closed[ch] || (seen != nil && seen[ch]):
			case ch == first:
				c.record(t, ch, t.gate.Channel(ch).Peek(b.Overtaken))
			default:
				// A barrier already queued is taken out of turn: what
				// is ahead of it, and what an unaligned one overtook, is
				// in-flight data.
				if qb, ahead, found := t.gate.Channel(ch).ExtractBarrier(b.ID); found {
					c.record(t, ch, t.gate.Channel(ch).Peek(ahead+qb.Overtaken))
				} else {
					c.waiting[ch] = true
				}
			}
		}
	}
	return t.maybeCaptured()
}

// record encodes the records among elements of channel ch.
func (c *capture) record(t *Task, ch int, elements []any) {
	for _, x := range elements {
		if _, isEvent := x.(queue.Event); isEvent || c.err != nil {
			continue
		}
		key := t.edgeKeys[ch]
		c.lists[key], c.err = t.ports[ch].encodeRecords(x, c.lists[key])
	}
}

// captureElement records element x polled from channel ch if it belongs
// to the checkpoint being captured.
func (t *Task) captureElement(ch int, x any) {
	if t.capture.waiting[ch] {
		t.capture.record(t, ch, []any{x})
	}
}

// captureBarrier handles channel ch's barrier of the checkpoint being
// captured: what it overtook is the channel's last in-flight data.
func (t *Task) captureBarrier(ch int, b queue.Barrier) error {
	c := t.capture
	if c.waiting[ch] {
		c.waiting[ch] = false
		c.record(t, ch, t.gate.Channel(ch).Peek(b.Overtaken))
	}
	return t.maybeCaptured()
}

// maybeCaptured hands the snapshot on once every channel's in-flight data
// is recorded.
func (t *Task) maybeCaptured() error {
	c := t.capture
	if c == nil {
		return nil
	}
	if c.err != nil {
		t.capture = nil
		releaseSnapshots(c.snaps)
		t.cfg.Checkpoints.OnDecline(c.barrier.ID, c.err)
		return nil
	}
	if !c.done() {
		return nil
	}
	t.capture = nil
	if len(c.lists) > 0 {
		var lists []snapshot.ListState
		for key, recs := range c.lists {
			lists = append(lists, snapshot.ListState{Name: key, Mode: snapshot.Split, Elements: recs})
		}
		if len(c.snaps) > 0 && c.snaps[0].Operator == 0 {
			c.snaps[0].State.Lists = append(c.snaps[0].State.Lists, lists...)
		} else {
			c.snaps = append([]OperatorSnapshot{{Operator: 0, UID: t.ops[0].UID, State: operator.StateSnapshot{Lists: lists}}}, c.snaps...)
		}
	}
	t.handOver(c.barrier, c.snaps)
	return nil
}

// abortCapture drops the capture of checkpoint id.
func (t *Task) abortCapture(id int64) {
	if t.capture != nil && t.capture.barrier.ID == id {
		releaseSnapshots(t.capture.snaps)
		t.capture = nil
	}
}

func releaseSnapshots(snaps []OperatorSnapshot) {
	for _, p := range snaps {
		if p.State.Keyed != nil {
			p.State.Keyed.Release()
		}
	}
}
