package local

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/runtime/graph"
)

// The job implements rest.Cluster: a local execution is a cluster with one
// job in it.
var _ rest.Cluster = (*job)(nil)

func (j *job) lookup(id rest.JobID) error {
	if id != j.id {
		return fmt.Errorf("%w: this process runs job %s, not %s", rest.ErrJobNotFound, j.id, id)
	}
	return nil
}

func (j *job) overview() rest.JobOverview {
	j.mu.Lock()
	defer j.mu.Unlock()
	o := rest.JobOverview{ID: j.id, Name: j.name, State: j.mu.status,
		StartTime: rest.Millis(j.mu.start), EndTime: rest.Millis(j.mu.end)}
	for _, ts := range j.mu.timestamps {
		o.LastModification = max(o.LastModification, ts)
	}
	o.Tasks = j.taskCountsLocked()
	return o
}

// taskCountsLocked counts subtasks by the state the job's state implies.
func (j *job) taskCountsLocked() rest.TaskCounts {
	n := 0
	for _, v := range j.jg.Vertices {
		n += v.Parallelism
	}
	var c rest.TaskCounts
	switch j.mu.status {
	case rest.JobRunning:
		c.Running = n
	case rest.JobFinished:
		c.Finished = n
	case rest.JobCanceled:
		c.Canceled = n
	case rest.JobFailed:
		c.Failed = n
	default:
		c.Created = n
	}
	return c
}

// Jobs implements rest.Cluster.
func (j *job) Jobs(context.Context) ([]rest.JobOverview, error) {
	return []rest.JobOverview{j.overview()}, nil
}

// vertexID is a stable 32-hex id for a vertex, as Flink's JobVertexID.
func vertexID(jg *graph.JobGraph, v *graph.Vertex) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", jg.Fingerprint, v.ID))
	return fmt.Sprintf("%x", h[:16])
}

// Job implements rest.Cluster.
func (j *job) Job(_ context.Context, id rest.JobID) (rest.JobDetails, error) {
	if err := j.lookup(id); err != nil {
		return rest.JobDetails{}, err
	}
	o := j.overview()
	j.mu.Lock()
	d := rest.JobDetails{ID: j.id, Name: j.name, IsStoppable: j.cp != nil, State: o.State, JobType: "STREAMING",
		StartTime: o.StartTime, EndTime: o.EndTime, Timestamps: map[rest.JobStatus]int64{}}
	for s, ts := range j.mu.timestamps {
		d.Timestamps[s] = ts
	}
	status := j.mu.status
	j.mu.Unlock()
	d.StatusCounts = rest.StatusCounts(o.Tasks)
	d.Plan = rest.Plan{JobID: j.id, Name: j.name, Type: "STREAMING"}
	exec := map[rest.JobStatus]rest.ExecutionState{rest.JobRunning: rest.ExecRunning, rest.JobFinished: rest.ExecFinished,
		rest.JobCanceled: rest.ExecCanceled, rest.JobFailed: rest.ExecFailed}[status]
	if exec == "" {
		exec = rest.ExecCreated
	}
	for _, v := range j.jg.Vertices {
		d.MaxParallelism = max(d.MaxParallelism, v.MaxParallelism)
		vid := vertexID(j.jg, v)
		var counts rest.TaskCounts
		switch exec {
		case rest.ExecRunning:
			counts.Running = v.Parallelism
		case rest.ExecFinished:
			counts.Finished = v.Parallelism
		case rest.ExecCanceled:
			counts.Canceled = v.Parallelism
		case rest.ExecFailed:
			counts.Failed = v.Parallelism
		default:
			counts.Created = v.Parallelism
		}
		d.Vertices = append(d.Vertices, rest.Vertex{ID: vid, Name: v.Name, MaxParallelism: v.MaxParallelism,
			Parallelism: v.Parallelism, Status: exec, StartTime: o.StartTime, EndTime: o.EndTime, Tasks: rest.StatusCounts(counts)})
		pn := rest.PlanNode{ID: vid, Parallelism: v.Parallelism, Operator: "", OperatorStrategy: "", Description: v.Name}
		seen := map[string]bool{}
		for _, e := range j.jg.Inputs[v.Nodes[0].ID] {
			from := vertexID(j.jg, j.jg.VertexOf[e.From])
			if seen[from] {
				continue
			}
			seen[from] = true
			pn.Inputs = append(pn.Inputs, rest.PlanInput{Num: len(pn.Inputs), ID: from, ShipStrategy: e.Part.String(), Exchange: "pipelined_bounded"})
		}
		d.Plan.Nodes = append(d.Plan.Nodes, pn)
	}
	return d, nil
}

// Cancel implements rest.Cluster.
func (j *job) Cancel(_ context.Context, id rest.JobID) error {
	if err := j.lookup(id); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	switch j.mu.status {
	case rest.JobFinished, rest.JobFailed, rest.JobCanceled:
		return fmt.Errorf("%w: job %s is already %s", rest.ErrJobNotRunning, j.id, j.mu.status)
	}
	j.mu.cancelled = true
	j.mu.status = rest.JobCancelling
	if j.mu.cancel != nil {
		j.mu.cancel(errCancelledByUser)
	}
	return nil
}

// Checkpoints implements rest.Cluster.
func (j *job) Checkpoints(_ context.Context, id rest.JobID) (rest.CheckpointingStatistics, error) {
	if err := j.lookup(id); err != nil {
		return rest.CheckpointingStatistics{}, err
	}
	if j.cp == nil {
		return rest.CheckpointingStatistics{}, fmt.Errorf("%w; set execution.checkpointing.interval", rest.ErrCheckpointingDisabled)
	}
	s := j.cp.driver.Stats()
	out := rest.CheckpointingStatistics{
		Counts: rest.CheckpointCounts{Restored: s.Counts.Restored, Total: s.Counts.Total, InProgress: int(s.Counts.InProgress),
			Completed: s.Counts.Completed, Failed: s.Counts.Failed},
		Summary: rest.CheckpointSummary{
			StateSize:        summary(s.Summary.StateSize),
			CheckpointedSize: summary(s.Summary.StateSize),
			EndToEndDuration: summary(s.Summary.EndToEndDuration),
		},
		Latest: rest.LatestCheckpoints{
			Completed: restCheckpoint(s.Latest.Completed),
			Savepoint: restCheckpoint(s.Latest.Savepoint),
			Failed:    restCheckpoint(s.Latest.Failed),
		},
		History: []rest.CheckpointStatistics{},
	}
	if r := s.Latest.Restored; r != nil {
		out.Latest.Restored = &rest.RestoredCheckpoint{ID: r.ID, RestoreTimestamp: r.RestoreTimestamp, IsSavepoint: r.IsSavepoint, ExternalPath: r.ExternalPath}
	}
	for i := range s.History {
		out.History = append(out.History, *restCheckpoint(&s.History[i]))
	}
	return out, nil
}

func summary(m checkpoint.MinMaxAvg) rest.StatsSummary {
	return rest.StatsSummary{Min: m.Min, Max: m.Max, Avg: m.Avg}
}

func restCheckpoint(c *checkpoint.CheckpointStats) *rest.CheckpointStatistics {
	if c == nil {
		return nil
	}
	r := &rest.CheckpointStatistics{ID: c.ID, Status: rest.CheckpointStatus(c.Status), IsSavepoint: c.IsSavepoint,
		TriggerTimestamp: c.TriggerTimestamp, LatestAckTimestamp: c.LatestAckTimestamp, StateSize: c.StateSize,
		CheckpointedSize: c.StateSize, EndToEndDuration: c.EndToEndDuration, NumSubtasks: c.NumSubtasks,
		NumAckSubtasks: c.NumAcknowledged, CheckpointType: rest.CheckpointType(c.CheckpointType),
		ExternalPath: c.ExternalPath, Discarded: c.Discarded, FailureTimestamp: c.FailureTimestamp, FailureMessage: c.FailureMessage}
	if c.IsSavepoint {
		r.SavepointFormat = rest.FormatCanonical
	}
	return r
}

// CheckpointConfig implements rest.Cluster.
func (j *job) CheckpointConfig(_ context.Context, id rest.JobID) (rest.CheckpointConfig, error) {
	if err := j.lookup(id); err != nil {
		return rest.CheckpointConfig{}, err
	}
	if j.cp == nil {
		return rest.CheckpointConfig{}, fmt.Errorf("%w; set execution.checkpointing.interval", rest.ErrCheckpointingDisabled)
	}
	o := j.cpOpts
	c := rest.CheckpointConfig{Mode: rest.ExactlyOnce, Interval: o.Interval.Milliseconds(), Timeout: o.Timeout.Milliseconds(),
		MinPause: o.MinPause.Milliseconds(), MaxConcurrent: int64(o.MaxConcurrent),
		Externalization: rest.Externalization{Enabled: o.Retention != checkpoint.NoExternalizedCheckpoints,
			DeleteOnCancellation: o.Retention == checkpoint.DeleteOnCancellation},
		StateBackend: "HashMapStateBackend", CheckpointStorage: o.CheckpointsDir, UnalignedCheckpoints: o.Unaligned,
		TolerableFailedCheckpoints: o.TolerableFailures, AlignedCheckpointTimeout: o.AlignedTimeout.Milliseconds(),
		CheckpointsAfterTasksFinish: o.AfterTasksFinish}
	if o.Mode == checkpoint.AtLeastOnce {
		c.Mode = rest.AtLeastOnce
	}
	return c, nil
}

// TriggerSavepoint implements rest.Cluster.
func (j *job) TriggerSavepoint(ctx context.Context, id rest.JobID, req rest.SavepointRequest) (rest.TriggerID, error) {
	return j.savepoint(ctx, id, req.TriggerID, req.TargetDirectory, req.CancelJob, false, false)
}

// StopWithSavepoint implements rest.Cluster.
func (j *job) StopWithSavepoint(ctx context.Context, id rest.JobID, req rest.StopRequest) (rest.TriggerID, error) {
	return j.savepoint(ctx, id, req.TriggerID, req.TargetDirectory, false, true, req.Drain)
}

// savepoint starts a savepoint (or stop-with-savepoint) in the background;
// cancelAfter cancels the job once the savepoint completed.
func (j *job) savepoint(_ context.Context, id rest.JobID, requested rest.TriggerID, dir string, cancelAfter, stop, drain bool) (rest.TriggerID, error) {
	if err := j.lookup(id); err != nil {
		return rest.TriggerID{}, err
	}
	if j.cp == nil {
		return rest.TriggerID{}, fmt.Errorf("%w: savepoints need checkpointing; set execution.checkpointing.interval", rest.ErrBadRequest)
	}
	if dir == "" && j.cpOpts.SavepointsDir == "" {
		return rest.TriggerID{}, fmt.Errorf("%w: no target directory given and state.savepoints.dir is not set", rest.ErrBadRequest)
	}
	j.mu.Lock()
	status := j.mu.status
	j.mu.Unlock()
	if status != rest.JobRunning {
		return rest.TriggerID{}, fmt.Errorf("%w: job %s is %s", rest.ErrJobNotRunning, j.id, status)
	}
	trigger, started := j.ops.Start(j.id, requested)
	if !started {
		return trigger, nil
	}
	j.bg.Go(func() {
		path, err := j.cp.driver.Savepoint(j.bgCtx, dir, stop, drain)
		if err != nil {
			_ = j.ops.Fail(j.id, trigger, err)
			return
		}
		_ = j.ops.Complete(j.id, trigger, path)
		j.log.Info("savepoint completed", "path", path, "stop", stop)
		if stop {
			j.stopOnce.Do(func() { close(j.stopped) })
		}
		if cancelAfter {
			_ = j.Cancel(context.WithoutCancel(j.bgCtx), j.id)
		}
	})
	return trigger, nil
}

// SavepointStatus implements rest.Cluster.
func (j *job) SavepointStatus(_ context.Context, id rest.JobID, trigger rest.TriggerID) (rest.AsyncOperation, error) {
	if err := j.lookup(id); err != nil {
		return rest.AsyncOperation{}, err
	}
	op, err := j.ops.Status(j.id, trigger)
	if err == nil && op.Status.ID == rest.OperationCompleted {
		select {
		case j.statusRead <- struct{}{}:
		default:
		}
	}
	return op, err
}

// linger keeps the REST API up a little after a stop-with-savepoint ended
// the job, so the client that asked can read where the savepoint went.
func (j *job) linger(ctx context.Context) {
	select {
	case <-j.stopped:
	default:
		return
	}
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-j.statusRead:
	case <-timer.C:
	case <-ctx.Done():
	}
}

// Capacity implements rest.Cluster: one embedded task manager with a slot
// per subtask of the widest vertex.
func (j *job) Capacity(context.Context) (rest.Capacity, error) {
	slots := 0
	for _, v := range j.jg.Vertices {
		slots = max(slots, v.Parallelism)
	}
	return rest.Capacity{TaskManagers: 1, SlotsTotal: slots, SlotsAvailable: 0}, nil
}

// listenREST opens the REST listener; a taken port is not fatal for a
// local job: it runs without the API and says so.
func (j *job) listenREST() net.Listener {
	ln, err := rest.Listen(j.cfg)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			j.log.Warn("REST API disabled: its port is in use (another job?); set rest.port=0 to pick a free port", "error", err)
		} else {
			j.log.Warn("REST API disabled", "error", err)
		}
		return nil
	}
	return ln
}
