// Package resttest provides an in-memory rest.Cluster for testing code that
// serves or calls the REST API (the server itself, the weir command line,
// the web UI) without running a job.
package resttest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/weirstream/weir/rest"
)

// Cluster is an in-memory [rest.Cluster]. Jobs are added by the test;
// cancelling marks a job CANCELED at once, and savepoints stay in progress
// for a number of status queries the test chooses, then complete or fail.
// It is safe for concurrent use.
type Cluster struct {
	ops *rest.Operations

	// mu guards the fields below.
	mu           sync.Mutex
	order        []rest.JobID
	jobs         map[rest.JobID]*job
	capacity     rest.Capacity
	defaultDir   string
	outcome      Outcome
	pending      map[rest.TriggerID]*pendingOp
	savepointReq []rest.SavepointRequest
	stopReq      []rest.StopRequest
	err          error
}

type job struct {
	details     rest.JobDetails
	lastMod     int64
	checkpoints rest.CheckpointingStatistics
	config      *rest.CheckpointConfig
}

type pendingOp struct {
	job     rest.JobID
	dir     string
	polls   int
	outcome Outcome
	// after is the state the job takes when the savepoint completes, if
	// any (CANCELED for cancel-job, FINISHED for stop).
	after rest.JobStatus
}

// Outcome says how the savepoints triggered from now on end.
type Outcome struct {
	// Polls is how many status queries answer IN_PROGRESS before the
	// operation completes.
	Polls int
	// Err, if set, fails the operation with this cause.
	Err error
}

// New returns a cluster without jobs, with one task manager of four slots.
func New() *Cluster {
	return &Cluster{
		ops:      rest.NewOperations(time.Minute),
		jobs:     map[rest.JobID]*job{},
		capacity: rest.Capacity{TaskManagers: 1, SlotsTotal: 4, SlotsAvailable: 4},
		pending:  map[rest.TriggerID]*pendingOp{},
	}
}

// AddJob adds a job with one vertex of parallelism 1 and returns its id. A
// terminal state gets an end time one minute after start.
func (c *Cluster) AddJob(name string, state rest.JobStatus, start time.Time) rest.JobID {
	id := rest.NewJobID()
	end := int64(-1)
	if state.Terminal() {
		end = start.Add(time.Minute).UnixMilli()
	}
	var counts rest.TaskCounts
	counts.Add(rest.ExecutionState(state))
	d := rest.JobDetails{
		ID: id, Name: name, State: state, JobType: "STREAMING",
		StartTime: start.UnixMilli(), EndTime: end, MaxParallelism: 128,
		Timestamps: map[rest.JobStatus]int64{rest.JobCreated: start.UnixMilli(), state: start.UnixMilli()},
		Vertices: []rest.Vertex{{
			ID: "cbc357ccb763df2852fee8c4fc7d55f2", Name: "Source: numbers -> Sink: print",
			MaxParallelism: 128, Parallelism: 1, Status: rest.ExecutionState(state),
			StartTime: start.UnixMilli(), EndTime: end, Tasks: rest.StatusCounts(counts),
		}},
		StatusCounts: rest.StatusCounts(counts),
		Plan: rest.Plan{JobID: id, Name: name, Type: "STREAMING", Nodes: []rest.PlanNode{{
			ID: "cbc357ccb763df2852fee8c4fc7d55f2", Parallelism: 1,
			Operator: "", OperatorStrategy: "", Description: "Source: numbers -> Sink: print",
		}}},
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order = append(c.order, id)
	c.jobs[id] = &job{details: d, lastMod: start.UnixMilli(), checkpoints: rest.CheckpointingStatistics{}}
	return id
}

// SetCheckpoints sets what Checkpoints reports for job id.
func (c *Cluster) SetCheckpoints(id rest.JobID, st rest.CheckpointingStatistics) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jobs[id].checkpoints = st
}

// SetCheckpointConfig enables checkpointing of job id with cfg.
func (c *Cluster) SetCheckpointConfig(id rest.JobID, cfg rest.CheckpointConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jobs[id].config = &cfg
}

// SetSavepointDir sets the default savepoint directory (state.savepoints.dir);
// without one, savepoint requests without a target directory are rejected.
func (c *Cluster) SetSavepointDir(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.defaultDir = dir
}

// SetOutcome sets how savepoints triggered from now on end.
func (c *Cluster) SetOutcome(o Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outcome = o
}

// SetError makes every method fail with err (nil restores normal answers).
func (c *Cluster) SetError(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// State returns the state of job id.
func (c *Cluster) State(id rest.JobID) rest.JobStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jobs[id].details.State
}

// SavepointRequests returns the savepoint requests received, in order.
func (c *Cluster) SavepointRequests() []rest.SavepointRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]rest.SavepointRequest(nil), c.savepointReq...)
}

// StopRequests returns the stop-with-savepoint requests received, in order.
func (c *Cluster) StopRequests() []rest.StopRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]rest.StopRequest(nil), c.stopReq...)
}

// Location returns where a savepoint of job by trigger is written in dir,
// shaped like Flink's savepoint-<job prefix>-<random> directories.
func Location(dir string, job rest.JobID, trigger rest.TriggerID) string {
	return fmt.Sprintf("%s/savepoint-%s-%s", dir, job.String()[:6], trigger.String()[:12])
}

func (c *Cluster) jobLocked(id rest.JobID) (*job, error) {
	if c.err != nil {
		return nil, c.err
	}
	j := c.jobs[id]
	if j == nil {
		return nil, fmt.Errorf("%w: no job %s in this cluster", rest.ErrJobNotFound, id)
	}
	return j, nil
}

func (c *Cluster) setStateLocked(j *job, s rest.JobStatus) {
	now := time.Now().UnixMilli()
	j.details.State = s
	j.details.Timestamps[s] = now
	j.lastMod = now
	if s.Terminal() {
		j.details.EndTime = now
	}
}

// Jobs implements rest.Cluster.
func (c *Cluster) Jobs(context.Context) ([]rest.JobOverview, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	out := make([]rest.JobOverview, 0, len(c.order))
	for _, id := range c.order {
		d := c.jobs[id].details
		out = append(out, rest.JobOverview{
			ID: d.ID, Name: d.Name, State: d.State, StartTime: d.StartTime, EndTime: d.EndTime,
			LastModification: c.jobs[id].lastMod, Tasks: rest.TaskCounts(d.StatusCounts),
		})
	}
	return out, nil
}

// Job implements rest.Cluster.
func (c *Cluster) Job(_ context.Context, id rest.JobID) (rest.JobDetails, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, err := c.jobLocked(id)
	if err != nil {
		return rest.JobDetails{}, err
	}
	d := j.details
	d.Timestamps = make(map[rest.JobStatus]int64, len(j.details.Timestamps))
	for k, v := range j.details.Timestamps {
		d.Timestamps[k] = v
	}
	d.Vertices = append([]rest.Vertex(nil), j.details.Vertices...)
	return d, nil
}

// Cancel implements rest.Cluster.
func (c *Cluster) Cancel(_ context.Context, id rest.JobID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, err := c.jobLocked(id)
	if err != nil {
		return err
	}
	if j.details.State.Terminal() {
		return fmt.Errorf("%w: job %s already reached state %s", rest.ErrJobNotRunning, id, j.details.State)
	}
	c.setStateLocked(j, rest.JobCanceled)
	return nil
}

// Checkpoints implements rest.Cluster.
func (c *Cluster) Checkpoints(_ context.Context, id rest.JobID) (rest.CheckpointingStatistics, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, err := c.jobLocked(id)
	if err != nil {
		return rest.CheckpointingStatistics{}, err
	}
	return j.checkpoints, nil
}

// CheckpointConfig implements rest.Cluster.
func (c *Cluster) CheckpointConfig(_ context.Context, id rest.JobID) (rest.CheckpointConfig, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, err := c.jobLocked(id)
	if err != nil {
		return rest.CheckpointConfig{}, err
	}
	if j.config == nil {
		return rest.CheckpointConfig{}, fmt.Errorf("%w: job %s (set execution.checkpointing.interval)", rest.ErrCheckpointingDisabled, id)
	}
	return *j.config, nil
}

// TriggerSavepoint implements rest.Cluster.
func (c *Cluster) TriggerSavepoint(_ context.Context, id rest.JobID, req rest.SavepointRequest) (rest.TriggerID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.savepointReq = append(c.savepointReq, req)
	after := rest.JobStatus("")
	if req.CancelJob {
		after = rest.JobCanceled
	}
	return c.startLocked(id, req.TargetDirectory, req.TriggerID, after)
}

// StopWithSavepoint implements rest.Cluster.
func (c *Cluster) StopWithSavepoint(_ context.Context, id rest.JobID, req rest.StopRequest) (rest.TriggerID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopReq = append(c.stopReq, req)
	return c.startLocked(id, req.TargetDirectory, req.TriggerID, rest.JobFinished)
}

func (c *Cluster) startLocked(id rest.JobID, dir string, requested rest.TriggerID, after rest.JobStatus) (rest.TriggerID, error) {
	j, err := c.jobLocked(id)
	if err != nil {
		return rest.TriggerID{}, err
	}
	if j.details.State.Terminal() {
		return rest.TriggerID{}, fmt.Errorf("%w: job %s is %s; savepoints are taken of running jobs", rest.ErrJobNotRunning, id, j.details.State)
	}
	if dir == "" {
		dir = c.defaultDir
	}
	if dir == "" {
		return rest.TriggerID{}, fmt.Errorf("%w: no savepoint directory: give a target directory or set state.savepoints.dir", rest.ErrBadRequest)
	}
	trigger, started := c.ops.Start(id, requested)
	if started {
		c.pending[trigger] = &pendingOp{job: id, dir: dir, outcome: c.outcome, after: after}
	}
	return trigger, nil
}

// SavepointStatus implements rest.Cluster. Each query of an operation in
// progress counts towards its Outcome.Polls.
func (c *Cluster) SavepointStatus(_ context.Context, id rest.JobID, trigger rest.TriggerID) (rest.AsyncOperation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.jobLocked(id); err != nil {
		return rest.AsyncOperation{}, err
	}
	if p := c.pending[trigger]; p != nil && p.job == id {
		if p.polls >= p.outcome.Polls {
			delete(c.pending, trigger)
			if err := c.finishLocked(trigger, p); err != nil {
				return rest.AsyncOperation{}, err
			}
		} else {
			p.polls++
		}
	}
	return c.ops.Status(id, trigger)
}

func (c *Cluster) finishLocked(trigger rest.TriggerID, p *pendingOp) error {
	if p.outcome.Err != nil {
		return c.ops.Fail(p.job, trigger, p.outcome.Err)
	}
	if p.after != "" {
		c.setStateLocked(c.jobs[p.job], p.after)
	}
	return c.ops.Complete(p.job, trigger, Location(p.dir, p.job, trigger))
}

// Capacity implements rest.Cluster.
func (c *Cluster) Capacity(context.Context) (rest.Capacity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return rest.Capacity{}, c.err
	}
	return c.capacity, nil
}

var _ rest.Cluster = (*Cluster)(nil)
