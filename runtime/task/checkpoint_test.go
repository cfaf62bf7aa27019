package task

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
	"github.com/weirstream/weir/snapshot"
)

// summer sums its input; its snapshot is the sum so far, so a test sees
// exactly which records a checkpoint includes.
type summer struct {
	out  operator.Output[int64]
	mu   sync.Mutex
	sum  int64
	seen []int64
}

func (s *summer) SetOutput(out any)                    { s.out = out.(operator.Output[int64]) }
func (s *summer) Open(operator.Context) error          { return nil }
func (s *summer) ProcessWatermark(wm int64) error      { s.out.EmitWatermark(wm); return nil }
func (s *summer) ProcessWatermarkStatus(bool) error    { return nil }
func (s *summer) Finish() error                        { return nil }
func (s *summer) Close() error                         { return nil }
func (s *summer) NotifyCheckpointComplete(int64) error { return nil }
func (s *summer) NotifyCheckpointAborted(int64) error  { return nil }

func (s *summer) ProcessElement(v, ts int64) error {
	s.mu.Lock()
	s.sum += v
	s.seen = append(s.seen, v)
	s.mu.Unlock()
	s.out.Collect(v, ts)
	return nil
}

func (s *summer) processed() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

func (s *summer) SnapshotState(operator.SnapshotContext) (operator.StateSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var e snapshot.Encoder
	e.Varint(s.sum)
	return operator.StateSnapshot{Lists: []snapshot.ListState{{Name: "sum", Elements: [][]byte{slices.Clone(e.Data())}}}}, nil
}

// rig is one task with two input channels and one output channel.
type rig struct {
	in   [2]*queue.Queue
	out  *queue.Queue
	op   *summer
	snap chan snapTaken
	wait func() error
}

type snapTaken struct {
	barrier queue.Barrier
	sum     int64
	lists   []snapshot.ListState
}

func batchOf(vs ...int64) *operator.Batch[int64] {
	b := &operator.Batch[int64]{}
	for _, v := range vs {
		b.Append(v, 0)
	}
	return b
}

func startRig(t *testing.T, atLeastOnce bool) *rig {
	t.Helper()
	r := &rig{in: [2]*queue.Queue{queue.New(64), queue.New(64)}, out: queue.New(64), op: &summer{}, snap: make(chan snapTaken, 4)}
	tk := New(Config{Name: "sum", Parallelism: 1, BatchSize: 1, BufferTimeout: 0, Checkpoints: &CheckpointConfig{
		AtLeastOnce: atLeastOnce,
		OnSnapshot: func(b queue.Barrier, snaps []OperatorSnapshot) {
			st := snapTaken{barrier: b}
			for _, s := range snaps {
				for _, l := range s.State.Lists {
					if l.Name == "sum" {
						st.sum = snapshot.NewDecoder(l.Elements[0]).Varint()
					} else {
						st.lists = append(st.lists, l)
					}
				}
			}
			r.snap <- st
		},
		OnDecline:   func(id int64, err error) { t.Errorf("checkpoint %d declined: %v", id, err) },
		OnEndOfData: func() {},
	}})
	spec := OperatorSpec{Name: "sum", UID: "sum", Operator: r.op, Out: PortFor[int64](), Parallelism: 1, MaxParallelism: 128,
		Outputs: []OutEdge{{Port: PortFor[int64](), Chained: -1, Writer: WriterSpec{Channels: []*queue.Queue{r.out}, Partitioning: Forward}}}}
	in := InputSpec{Channels: r.in[:], EdgeKeys: []string{"edge", "edge"}, Port: PortFor[int64](), Input: 1}
	if err := tk.Build([]OperatorSpec{spec}, []InputSpec{in}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tk.Run(ctx) }()
	r.wait = func() error { cancel(); return <-done }
	t.Cleanup(func() { _ = r.wait() })
	return r
}

func (r *rig) push(t *testing.T, ch int, xs ...any) {
	t.Helper()
	for _, x := range xs {
		if err := r.in[ch].Push(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
}

func waitProcessed(t *testing.T, op *summer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(op.processed()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("processed %v, want %d records", op.processed(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *rig) takeSnapshot(t *testing.T) snapTaken {
	t.Helper()
	select {
	case s := <-r.snap:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot within 5s")
		return snapTaken{}
	}
}

func noSnapshot(t *testing.T, r *rig) {
	t.Helper()
	select {
	case s := <-r.snap:
		t.Fatalf("snapshot %d taken early (sum %d)", s.barrier.ID, s.sum)
	case <-time.After(50 * time.Millisecond):
	}
}

// Aligned exactly-once: a channel whose barrier arrived is blocked until
// the other's arrives, so the snapshot holds exactly the records before
// the barriers.
func TestAlignedCheckpointBlocksChannelsUntilAligned(t *testing.T) {
	r := startRig(t, false)
	r.push(t, 0, batchOf(1), queue.Barrier{ID: 1}, batchOf(100))
	r.push(t, 1, batchOf(10))
	waitProcessed(t, r.op, 2)
	noSnapshot(t, r)
	if got := r.op.processed(); slices.Contains(got, 100) {
		t.Fatalf("processed %v: the record after channel 0's barrier went through before alignment", got)
	}
	r.push(t, 1, queue.Barrier{ID: 1})
	s := r.takeSnapshot(t)
	if s.sum != 11 {
		t.Fatalf("snapshot sum %d, want 11 (records before the barriers only)", s.sum)
	}
	waitProcessed(t, r.op, 3)
}

// At-least-once: no blocking; records after a barrier go through before
// the last barrier, and the snapshot (on the last barrier) includes them.
func TestAtLeastOnceCheckpointDoesNotBlock(t *testing.T) {
	r := startRig(t, true)
	r.push(t, 0, batchOf(1), queue.Barrier{ID: 1}, batchOf(100))
	r.push(t, 1, batchOf(10))
	waitProcessed(t, r.op, 3)
	noSnapshot(t, r)
	r.push(t, 1, queue.Barrier{ID: 1})
	if s := r.takeSnapshot(t); s.sum != 111 {
		t.Fatalf("snapshot sum %d, want 111: at-least-once snapshots on the last barrier, after what followed the first", s.sum)
	}
}

// Unaligned: the snapshot is taken on the first barrier, which overtook
// queued data; the overtaken records and those the other channel delivers
// before its barrier become the checkpoint's in-flight data, and the
// barrier leaves the task ahead of its output.
func TestUnalignedCheckpointRecordsInFlightData(t *testing.T) {
	r := startRig(t, false)
	r.push(t, 0, batchOf(1))
	waitProcessed(t, r.op, 1)
	r.in[0].Push(context.Background(), batchOf(2, 3))
	r.in[0].PushBarrier(queue.Barrier{ID: 1, Unaligned: true})
	r.push(t, 1, batchOf(40))
	waitProcessed(t, r.op, 4)
	r.in[1].PushBarrier(queue.Barrier{ID: 1, Unaligned: true})
	s := r.takeSnapshot(t)
	inflight := inflightValues(t, s)
	if s.sum+sumOf(inflight) != 1+2+3+40 {
		t.Fatalf("snapshot sum %d + in-flight %v != every record before the barriers (46)", s.sum, inflight)
	}
	// The barrier left ahead of the records the task had emitted.
	first, _ := r.out.Poll()
	if b, ok := first.(queue.Barrier); !ok || b.ID != 1 || !b.Unaligned {
		t.Fatalf("first output element %#v, want the unaligned barrier 1", first)
	}
}

// Aligned with a timeout: a checkpoint that cannot align in time turns
// unaligned: the snapshot is taken at the timeout, the blocked channel
// goes on, and what the late channel delivers before its barrier is
// in-flight data.
func TestAlignmentTimeoutSwitchesToUnaligned(t *testing.T) {
	r := startRig(t, false)
	r.push(t, 0, queue.Barrier{ID: 1, AlignedTimeout: 30}, batchOf(100))
	waitProcessed(t, r.op, 1) // unblocked by the timeout, not by alignment
	r.push(t, 1, batchOf(7), queue.Barrier{ID: 1, AlignedTimeout: 30})
	s := r.takeSnapshot(t)
	if s.sum != 0 {
		t.Fatalf("snapshot sum %d, want 0: it is taken when the alignment times out", s.sum)
	}
	if got := inflightValues(t, s); !slices.Equal(got, []int64{7}) {
		t.Fatalf("in-flight data %v, want [7] (channel 1's record before its barrier)", got)
	}
}

func inflightValues(t *testing.T, s snapTaken) []int64 {
	t.Helper()
	var out []int64
	c := codec.For[int64]()
	for _, l := range s.lists {
		for _, rec := range l.Elements {
			d := snapshot.NewDecoder(rec)
			d.Varint()
			v, err := c.Decode(rec[len(rec)-d.Len():])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

func sumOf(vs []int64) int64 {
	var s int64
	for _, v := range vs {
		s += v
	}
	return s
}

// Both channels' unaligned barriers are queued before the task sees
// either: the second is taken out of turn, and what it overtook is still
// in-flight data.
func TestUnalignedBarriersOnEveryChannelRecordAllOvertakenData(t *testing.T) {
	r := startRig(t, false)
	ctx := context.Background()
	// Keep the task busy elsewhere: fill both channels at once.
	for ch, vs := range [][]int64{{1, 2}, {30, 40}} {
		if err := r.in[ch].Push(ctx, batchOf(vs...)); err != nil {
			t.Fatal(err)
		}
	}
	r.in[1].PushBarrier(queue.Barrier{ID: 1, Unaligned: true})
	r.in[0].PushBarrier(queue.Barrier{ID: 1, Unaligned: true})
	s := r.takeSnapshot(t)
	if got := s.sum + sumOf(inflightValues(t, s)); got != 73 {
		t.Fatalf("snapshot sum %d + in-flight %v = %d, want 73: overtaken records were lost", s.sum, inflightValues(t, s), got)
	}
	waitProcessed(t, r.op, 4)
}
