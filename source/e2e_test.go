package source

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
)

// cluster wires a coordinator and parallelism source operators the way the
// runtime does: operator events go to the coordinator's queue, coordinator
// events into the subtasks' mailboxes, and each subtask runs a task loop on
// its own goroutine.
type cluster struct {
	t     *testing.T
	src   *memSource
	coord Coordinator
	par   int

	coordCancel context.CancelFunc
	coordDone   chan error

	mu        sync.Mutex
	mailboxes []*mailbox // nil while a subtask is down
	ops       []*Operator[int64]
	outs      []*fakeOutput
	subDone   []chan error
}

func newCluster(t *testing.T, src *memSource, par int) *cluster {
	c := &cluster{t: t, src: src, par: par, coordDone: make(chan error, 1),
		mailboxes: make([]*mailbox, par), ops: make([]*Operator[int64], par), outs: make([]*fakeOutput, par), subDone: make([]chan error, par)}
	c.coord = NewCoordinator("numbers", src, par, testConfig(t), c.toSubtask, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.coordCancel = cancel
	go func() { c.coordDone <- c.coord.Run(ctx) }()
	for i := range par {
		c.outs[i] = &fakeOutput{}
	}
	return c
}

func (c *cluster) toSubtask(subtask int, ev OperatorEvent) error {
	c.mu.Lock()
	mb := c.mailboxes[subtask]
	op := c.ops[subtask]
	c.mu.Unlock()
	if mb == nil {
		return fmt.Errorf("subtask %d is not running", subtask)
	}
	mb.post(func() error { return op.HandleOperatorEvent(ev) })
	return nil
}

// start runs subtask i, restored from splits (nil: fresh).
func (c *cluster) start(i int, splits [][]byte) {
	c.t.Helper()
	op := NewOperator[int64, rangeSplit, enumState](c.src, eventtime.ForMonotonousTimestamps[int64](), coordGateway{c.coord})
	op.SetOutput(c.outs[i])
	if err := op.RestoreState(splits); err != nil {
		c.t.Fatal(err)
	}
	mb := newMailbox()
	done := make(chan error, 1)
	c.mu.Lock()
	c.mailboxes[i], c.ops[i], c.subDone[i] = mb, op, done
	c.mu.Unlock()
	ctx := &fakeContext{subtask: i, parallelism: c.par, cfg: testConfig(c.t), pt: newFakeTime(0)}
	// Open runs on the subtask goroutine, as in a task.
	go func() {
		if err := op.Open(ctx); err != nil {
			op.Close()
			done <- err
			return
		}
		done <- runSubtask(op, mb)
	}()
}

// onSubtask runs fn on subtask i's goroutine and waits for it.
func (c *cluster) onSubtask(i int, fn func(op *Operator[int64]) error) error {
	c.t.Helper()
	c.mu.Lock()
	mb, op := c.mailboxes[i], c.ops[i]
	c.mu.Unlock()
	res := make(chan error, 1)
	mb.post(func() error { err := fn(op); res <- err; return err })
	select {
	case err := <-res:
		return err
	case <-time.After(5 * time.Second):
		c.t.Fatalf("subtask %d did not run mail", i)
		return nil
	}
}

// stopSubtask fails subtask i: its loop ends and its mailbox goes away.
func (c *cluster) stopSubtask(i int) {
	c.t.Helper()
	c.mu.Lock()
	mb, done := c.mailboxes[i], c.subDone[i]
	c.mailboxes[i] = nil
	c.mu.Unlock()
	mb.post(func() error { return errStopSubtask })
	if err := <-done; err != nil && !errors.Is(err, errStopSubtask) {
		c.t.Fatalf("subtask %d: %v", i, err)
	}
}

func (c *cluster) wait() {
	c.t.Helper()
	for i := range c.par {
		c.mu.Lock()
		done := c.subDone[i]
		c.mu.Unlock()
		select {
		case err := <-done:
			if err != nil {
				c.t.Fatalf("subtask %d: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			c.t.Fatalf("subtask %d did not finish", i)
		}
	}
	c.coordCancel()
	if err := <-c.coordDone; err != nil {
		c.t.Fatal(err)
	}
}

type coordGateway struct{ c Coordinator }

func (g coordGateway) SendToCoordinator(subtask int, ev OperatorEvent) {
	g.c.HandleEventFromOperator(subtask, ev)
}

// checkExactlyOnce verifies that the outputs together hold every number of
// splits exactly once, each split's numbers in order within one subtask,
// and that every subtask ended event time.
func (c *cluster) checkExactlyOnce(splits []rangeSplit, size int64) {
	c.t.Helper()
	seen := map[int64]int{}
	for i, out := range c.outs {
		last := map[int64]int64{} // split index -> last number
		evs := out.snapshot()
		for _, e := range evs {
			if !e.isRec() {
				continue
			}
			seen[e.v]++
			if e.ts != e.v {
				c.t.Errorf("subtask %d: record %d has timestamp %d", i, e.v, e.ts)
			}
			sp := e.v / size
			if prev, ok := last[sp]; ok && e.v != prev+1 {
				c.t.Errorf("subtask %d: split %d out of order: %d after %d", i, sp, e.v, prev)
			}
			last[sp] = e.v
		}
		if len(evs) == 0 || evs[len(evs)-1] != maxWm() {
			c.t.Errorf("subtask %d did not end with MaxWatermark", i)
		}
	}
	for _, sp := range splits {
		for v := sp.Next; v < sp.End; v++ {
			if seen[v] != 1 {
				c.t.Errorf("number %d emitted %d times", v, seen[v])
			}
		}
	}
}

func TestEndToEnd(t *testing.T) {
	tests := []struct {
		name     string
		perSplit bool
		par      int
	}{
		{"single fetcher", false, 3},
		{"fetcher per split", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := checkGoroutines(t)
			splits := makeSplits(10, 100)
			src := &memSource{splits: splits, perSplit: tt.perSplit, batch: 7, queueCap: 2}
			c := newCluster(t, src, tt.par)
			for i := range tt.par {
				c.start(i, nil)
			}
			c.wait()
			c.checkExactlyOnce(splits, 100)
			check()
		})
	}
}

// TestEndToEndFailover checkpoints, fails one subtask after more splits
// were assigned, restores it from the checkpoint and discards what it
// emitted since: the splits it got after the checkpoint go back to the
// enumerator, so the result is still exactly once.
func TestEndToEndFailover(t *testing.T) {
	check := checkGoroutines(t)
	splits := makeSplits(12, 50)
	src := &memSource{splits: splits, batch: 5, queueCap: 1, delay: time.Millisecond}
	c := newCluster(t, src, 2)
	c.start(0, nil)
	c.start(1, nil)
	ctx := context.Background()

	eventually(t, "both subtasks emitting", func() bool { return c.outs[0].len() > 0 && c.outs[1].len() > 0 })
	// Checkpoint 1: the coordinator first, then each subtask through its
	// mailbox, behind every event the coordinator sent before.
	if _, err := c.coord.Checkpoint(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var state0 [][]byte
	var emitted0 int
	if err := c.onSubtask(0, func(op *Operator[int64]) error {
		var err error
		state0, err = op.SnapshotSplits(1)
		emitted0 = c.outs[0].len()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.onSubtask(1, func(op *Operator[int64]) error { _, err := op.SnapshotSplits(1); return err }); err != nil {
		t.Fatal(err)
	}
	c.coord.NotifyCheckpointComplete(1)
	for i := range 2 {
		if err := c.onSubtask(i, func(op *Operator[int64]) error { return op.NotifyCheckpointComplete(1) }); err != nil {
			t.Fatal(err)
		}
	}

	// Let subtask 0 finish its split and read two more (splits have 50
	// numbers, taken one at a time), then fail it.
	eventually(t, "progress after the checkpoint", func() bool { return c.outs[0].len() > emitted0+100 })
	c.stopSubtask(0)
	c.outs[0].truncate(emitted0)
	c.coord.SubtaskReset(0, 1)
	c.start(0, state0)
	c.wait()
	c.checkExactlyOnce(splits, 50)
	if n := len(src.enumerator().addedBack); n < 1 {
		t.Errorf("%d splits added back after the failure, want the ones subtask 0 got after the checkpoint", n)
	}
	check()
}
