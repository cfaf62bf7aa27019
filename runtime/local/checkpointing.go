package local

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/queue"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/snapshot"
)

// checkpointer connects the job's checkpoint driver with the tasks of the
// attempt that is running. It lives as long as the job: checkpoint IDs and
// statistics continue across restarts.
type checkpointer struct {
	opts   checkpoint.Options
	store  *checkpoint.Storage
	driver *checkpoint.Driver
	jg     *graph.JobGraph
	log    *slog.Logger
	// writers are the goroutines writing snapshots asynchronously.
	writers sync.WaitGroup
	// writeCtx cancels the writers when the job ends.
	writeCtx      context.Context
	cancelWriters context.CancelFunc

	// mu guards the fields in the struct.
	mu struct {
		sync.Mutex
		a *attempt
		// barriers are the checkpoints triggered and not yet finished.
		barriers map[int64]checkpoint.Barrier
	}
}

// tasks lists the job's subtasks with their upstream subtasks, as the
// coordinator needs them.
func coordinatorTasks(jg *graph.JobGraph) ([]checkpoint.Task, []checkpoint.OperatorInfo) {
	var tasks []checkpoint.Task
	for _, v := range jg.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			t := checkpoint.Task{ID: checkpoint.TaskID{Vertex: v.ID, Subtask: i}}
			for _, e := range jg.Inputs[v.Nodes[0].ID] {
				from := jg.VertexOf[e.From]
				for p, consumers := range graph.Channels(e.Part, from.Parallelism, v.Parallelism) {
					for _, c := range consumers {
						if c == i {
							t.Inputs = append(t.Inputs, checkpoint.TaskID{Vertex: from.ID, Subtask: p})
						}
					}
				}
			}
			tasks = append(tasks, t)
		}
	}
	var ops []checkpoint.OperatorInfo
	for _, n := range jg.Nodes {
		ops = append(ops, checkpoint.OperatorInfo{UID: n.UID, Name: n.Name, Vertex: jg.VertexOf[n.ID].ID,
			Parallelism: n.Parallelism, MaxParallelism: n.MaxParallelism})
	}
	return tasks, ops
}

// attach makes a the attempt checkpoints go to.
func (c *checkpointer) attach(a *attempt) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.mu.a = a
	c.mu.barriers = map[int64]checkpoint.Barrier{}
	c.mu.Unlock()
}

func (c *checkpointer) attempt() *attempt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.a
}

// taskConfig is the checkpointing part of subtask id's configuration, nil
// when checkpointing is off.
func (c *checkpointer) taskConfig(id taskID) *task.CheckpointConfig {
	if c == nil {
		return nil
	}
	cid := checkpoint.TaskID{Vertex: id.vertex, Subtask: id.subtask}
	return &task.CheckpointConfig{
		AtLeastOnce: c.opts.Mode == checkpoint.AtLeastOnce,
		OnSnapshot:  func(b queue.Barrier, snaps []task.OperatorSnapshot) { c.persist(cid, b, snaps) },
		OnDecline: func(id int64, err error) {
			c.driver.Post(checkpoint.Decline{ID: id, Task: cid, Err: err})
		},
		OnEndOfData:       func() { c.driver.Post(checkpoint.EndOfData{Task: cid}) },
		NoFinalCheckpoint: !c.opts.AfterTasksFinish,
	}
}

// taskDone reports a subtask that ended without failing.
func (c *checkpointer) taskDone(id taskID) {
	if c == nil {
		return
	}
	c.driver.Post(checkpoint.TaskFinished{Task: checkpoint.TaskID{Vertex: id.vertex, Subtask: id.subtask}})
}

// persist writes a subtask's snapshot on a goroutine of its own and
// acknowledges it to the coordinator.
func (c *checkpointer) persist(id checkpoint.TaskID, b queue.Barrier, snaps []task.OperatorSnapshot) {
	c.mu.Lock()
	cb, ok := c.mu.barriers[b.ID]
	c.mu.Unlock()
	if !ok {
		// Aborted before this task got to it: nothing will use the state.
		for _, s := range snaps {
			if s.State.Keyed != nil {
				s.State.Keyed.Release()
			}
		}
		return
	}
	c.writers.Go(func() {
		states, err := persistSubtask(c.writeCtx, c.store, cb.Dir, id.Subtask, snaps)
		if err != nil {
			c.driver.Post(checkpoint.Decline{ID: b.ID, Task: id, Err: fmt.Errorf("write state of subtask %s: %w", id, err)})
			return
		}
		ack := checkpoint.Ack{ID: b.ID, Task: id}
		for _, s := range snaps {
			st, ok := states[s.UID]
			if !ok {
				continue
			}
			n := c.node(s.UID)
			ack.Operators = append(ack.Operators, snapshot.OperatorState{
				UID: s.UID, Name: n.Name, Parallelism: n.Parallelism, MaxParallelism: n.MaxParallelism,
				Subtasks: []snapshot.SubtaskState{st},
			})
		}
		c.driver.Post(ack)
	})
}

func (c *checkpointer) node(uid string) *graph.Node {
	for _, n := range c.jg.Nodes {
		if n.UID == uid {
			return n
		}
	}
	panic(fmt.Sprintf("local: no operator with UID %q", uid))
}

// SnapshotCoordinators implements checkpoint.Runtime.
func (c *checkpointer) SnapshotCoordinators(ctx context.Context, id int64, _ checkpoint.Kind) (map[string][]byte, error) {
	a := c.attempt()
	if a == nil {
		return nil, fmt.Errorf("local: checkpoint %d: the job is not running", id)
	}
	states := map[string][]byte{}
	for _, h := range a.hosts {
		st, err := h.coord.Checkpoint(ctx, id)
		if err != nil {
			for _, h := range a.hosts {
				h.coord.ReleaseEvents(id) // no trigger follows
			}
			return nil, fmt.Errorf("source %q: %w", h.name, err)
		}
		states[h.uid] = st
	}
	return states, nil
}

// TriggerTasks implements checkpoint.Runtime.
func (c *checkpointer) TriggerTasks(b checkpoint.Barrier, tasks []checkpoint.TaskID) {
	c.mu.Lock()
	a := c.mu.a
	if c.mu.barriers != nil {
		c.mu.barriers[b.ID] = b
	}
	c.mu.Unlock()
	if a == nil {
		return
	}
	qb := queue.Barrier{ID: b.ID, Timestamp: b.Timestamp.UnixMilli(), Savepoint: b.Kind == checkpoint.KindSavepoint,
		Stop: b.Stop, Drain: b.Drain, Unaligned: b.Unaligned && b.AlignedTimeout == 0}
	if b.Unaligned && b.AlignedTimeout > 0 {
		qb.AlignedTimeout = b.AlignedTimeout.Milliseconds()
	}
	for _, id := range tasks {
		if t := a.task(taskID{id.Vertex, id.Subtask}); t != nil {
			// A task that already ended reports TaskFinished, which
			// counts as its acknowledgement.
			t.TriggerCheckpoint(qb)
		}
	}
	// Split assignments the enumerators made after their snapshots now
	// reach the readers behind the trigger.
	for _, h := range a.hosts {
		h.coord.ReleaseEvents(b.ID)
	}
}

// NotifyComplete implements checkpoint.Runtime.
func (c *checkpointer) NotifyComplete(id int64) {
	c.forget(id)
	a := c.attempt()
	if a == nil {
		return
	}
	for _, h := range a.hosts {
		h.coord.NotifyCheckpointComplete(id)
	}
	for _, ts := range a.tasks {
		for _, t := range ts {
			t.NotifyCheckpointComplete(id)
		}
	}
}

// NotifyAborted implements checkpoint.Runtime.
func (c *checkpointer) NotifyAborted(id int64, reason error) {
	c.forget(id)
	c.log.Warn("checkpoint aborted", "checkpoint", id, "reason", reason)
	a := c.attempt()
	if a == nil {
		return
	}
	for _, h := range a.hosts {
		h.coord.ReleaseEvents(id)
	}
	for _, ts := range a.tasks {
		for _, t := range ts {
			t.NotifyCheckpointAborted(id)
		}
	}
}

func (c *checkpointer) forget(id int64) {
	c.mu.Lock()
	delete(c.mu.barriers, id)
	c.mu.Unlock()
}

// FailJob implements checkpoint.Runtime.
func (c *checkpointer) FailJob(err error) {
	if a := c.attempt(); a != nil {
		a.fail(err)
	}
}

// running tells the coordinator the attempt's tasks run, restored from rp
// (nil for a fresh start).
func (c *checkpointer) running(rp *restorePoint) {
	if c == nil {
		return
	}
	var r *checkpoint.Restored
	if rp != nil {
		r = &checkpoint.Restored{ID: rp.id, Path: rp.path, IsSavepoint: rp.savepoint, At: time.Now()}
	}
	c.driver.Post(checkpoint.JobRunning{Restored: r})
}
