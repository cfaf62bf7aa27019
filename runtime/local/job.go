package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/restart"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/snapshot"
)

// job runs one job in this process: attempts, restarts, checkpoints, and
// what the REST API reports about it.
type job struct {
	id   rest.JobID
	name string
	jg   *graph.JobGraph
	cfg  *config.Configuration
	opts Options
	log  *slog.Logger

	cpOpts  checkpoint.Options
	restart restart.Strategy
	cp      *checkpointer // nil when checkpointing is off
	// stopDriver ends the checkpoint driver's goroutine; driverDone closes
	// when it returned.
	stopDriver context.CancelFunc
	driverDone chan struct{}
	ops        *rest.Operations
	// restoreSnap is the snapshot execution.savepoint.path opened.
	restoreSnap *checkpoint.Snapshot
	// bg runs savepoints requested through the REST API; bgCtx ends them
	// with the job.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
	// stopped is closed when a stop-with-savepoint completed; statusRead
	// when its result was read through the API afterwards.
	stopOnce   sync.Once
	stopped    chan struct{}
	statusRead chan struct{}

	// mu guards the fields in the struct.
	mu struct {
		sync.Mutex
		status     rest.JobStatus
		start, end time.Time
		timestamps map[rest.JobStatus]int64
		// cancel ends the running attempt (REST cancel).
		cancel    context.CancelCauseFunc
		cancelled bool
	}
}

// errCancelledByUser is the cause of a cancel through the REST API.
var errCancelledByUser = errors.New("local: the job was cancelled")

func newJob(ctx context.Context, name string, jg *graph.JobGraph, cfg *config.Configuration, opts Options, log *slog.Logger) (*job, error) {
	cpOpts, err := checkpoint.OptionsFrom(cfg)
	if err != nil {
		return nil, err
	}
	strategy, err := restart.FromConfig(cfg, cpOpts.Enabled())
	if err != nil {
		return nil, err
	}
	j := &job{id: rest.NewJobID(), name: name, jg: jg, cfg: cfg, opts: opts, log: log,
		cpOpts: cpOpts, restart: strategy, ops: rest.NewOperations(config.Get(cfg, rest.AsyncStoreDuration))}
	j.mu.status = rest.JobCreated
	j.mu.timestamps = map[rest.JobStatus]int64{}
	j.bgCtx, j.bgCancel = context.WithCancel(context.WithoutCancel(ctx))
	j.stopped, j.statusRead = make(chan struct{}), make(chan struct{}, 1)
	j.setStatus(rest.JobCreated)
	if cpOpts.Enabled() {
		if err := j.startCheckpointing(ctx); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// startCheckpointing opens the job's checkpoint storage and starts the
// checkpoint driver.
func (j *job) startCheckpointing(ctx context.Context) error {
	store, err := checkpoint.OpenStorage(ctx, j.cpOpts.CheckpointsDir, j.id.String())
	if err != nil {
		return fmt.Errorf("local: checkpoint storage %s: %w", j.cpOpts.CheckpointsDir, err)
	}
	tasks, ops := coordinatorTasks(j.jg)
	cfg := checkpoint.Config{Options: j.cpOpts, JobID: j.id.String(), JobDir: store.JobDir(), Tasks: tasks, Operators: ops, StartID: 1}
	if path := j.cpOpts.RestorePath; path != "" {
		// Checkpoint IDs continue after the restored one, so a retained
		// checkpoint directory never gets a second meaning.
		snap, err := checkpoint.OpenSnapshot(ctx, path)
		if err != nil {
			_ = store.Close()
			return fmt.Errorf("local: restore from %s: %w", path, err)
		}
		cfg.StartID = snap.Metadata.CheckpointID + 1
		if j.cpOpts.ClaimMode == checkpoint.Claim && snap.Metadata.Kind == checkpoint.KindCheckpoint {
			cfg.Retained = []checkpoint.Retained{{ID: snap.Metadata.CheckpointID, Dir: snap.Dir}}
		}
		_ = snap.Close()
	}
	coord, err := checkpoint.NewCoordinator(cfg)
	if err != nil {
		_ = store.Close()
		return err
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	wctx, cancelWriters := context.WithCancel(cctx)
	j.cp = &checkpointer{opts: j.cpOpts, store: store, jg: j.jg, log: j.log, writeCtx: wctx, cancelWriters: cancelWriters}
	j.cp.driver = checkpoint.NewDriver(coord, store, j.cp, checkpoint.DriverOptions{Logger: j.log})
	j.stopDriver, j.driverDone = cancel, make(chan struct{})
	go func() {
		defer close(j.driverDone)
		if err := j.cp.driver.Run(cctx); err != nil {
			j.log.Error("checkpoint driver stopped", "error", err)
		}
	}()
	return nil
}

// close ends checkpointing once the job is over and waits for it.
func (j *job) close(cause checkpoint.StopCause) {
	j.bgCancel()
	j.bg.Wait()
	if j.restoreSnap != nil {
		_ = j.restoreSnap.Close()
	}
	if j.cp == nil {
		return
	}
	// Writers first: a state file finished after the driver discarded its
	// pending checkpoint would be left behind.
	j.cp.cancelWriters()
	j.cp.writers.Wait()
	j.cp.driver.Post(checkpoint.JobStopped{Cause: cause})
	select {
	case <-j.driverDone:
	case <-time.After(time.Minute):
		j.log.Warn("checkpoint driver did not stop within a minute; abandoning pending checkpoint I/O")
	}
	j.stopDriver()
	<-j.driverDone
	if err := j.cp.store.Close(); err != nil {
		j.log.Warn("close checkpoint storage", "error", err)
	}
}

func (j *job) setStatus(s rest.JobStatus) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.status = s
	now := time.Now()
	j.mu.timestamps[s] = now.UnixMilli()
	switch s {
	case rest.JobCreated:
		j.mu.start = now
	case rest.JobFinished, rest.JobFailed, rest.JobCanceled:
		j.mu.end = now
	}
}

// run executes attempts until the job ends, restarting failed ones as
// the restart strategy allows.
func (j *job) run(ctx context.Context) (err error) {
	cause := checkpoint.StopFinished
	defer func() { j.close(cause) }()
	restore, err := j.initialRestore(ctx)
	if err != nil {
		cause = checkpoint.StopFailed
		j.setStatus(rest.JobFailed)
		return err
	}
	for number := 0; ; number++ {
		actx, cancel := context.WithCancelCause(ctx)
		j.mu.Lock()
		j.mu.cancel = cancel
		cancelled := j.mu.cancelled
		j.mu.Unlock()
		if cancelled {
			cancel(errCancelledByUser)
		}
		j.setStatus(rest.JobRunning)
		a := &attempt{name: j.name, jg: j.jg, cfg: j.cfg, opts: j.opts, log: j.log, restore: restore, cp: j.cp, number: number}
		if err := a.checkUnclaimed(j.cpOpts.IgnoreUnclaimedState); err != nil {
			cancel(nil)
			cause = checkpoint.StopFailed
			j.setStatus(rest.JobFailed)
			return err
		}
		err = a.run(actx)
		cancel(nil)
		switch {
		case err == nil:
			j.setStatus(rest.JobFinished)
			return nil
		case ctx.Err() != nil || errors.Is(err, errCancelledByUser):
			cause = checkpoint.StopCanceled
			j.setStatus(rest.JobCanceled)
			return err
		}
		ok, delay := j.restart.OnFailure(time.Now(), err)
		if !ok {
			cause = checkpoint.StopFailed
			j.setStatus(rest.JobFailed)
			return restart.GiveUp(j.restart, err)
		}
		j.setStatus(rest.JobRestarting)
		j.log.Warn("job failed; restarting", "job", j.name, "error", err, "delay", delay, "strategy", j.restart.Describe())
		if j.cp != nil {
			j.cp.driver.Post(checkpoint.JobStopped{Cause: checkpoint.StopRestart})
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			cause = checkpoint.StopCanceled
			j.setStatus(rest.JobCanceled)
			return err
		case <-timer.C:
		}
		if latest, lerr := j.latestRestore(ctx); lerr != nil {
			cause = checkpoint.StopFailed
			j.setStatus(rest.JobFailed)
			return fmt.Errorf("%w; restoring the latest checkpoint failed too: %w", err, lerr)
		} else if latest != nil {
			restore = latest
		}
	}
}

// initialRestore opens the snapshot execution.savepoint.path names.
func (j *job) initialRestore(ctx context.Context) (*restorePoint, error) {
	path := j.cpOpts.RestorePath
	if path == "" {
		return nil, nil
	}
	snap, err := checkpoint.OpenSnapshot(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("local: restore from %s: %w; check the path (a savepoint directory, a chk-<n> directory or its _metadata file)", path, err)
	}
	j.restoreSnap = snap
	j.log.Info("restoring", "from", snap.Dir, "checkpoint", snap.Metadata.CheckpointID)
	rp := restoreFrom(snap.Dir, snap.Metadata, func(ctx context.Context, name string, off, n int64) ([]byte, error) {
		return snap.ReadRange(ctx, name, off, n)
	})
	return rp, nil
}

// latestRestore returns the latest checkpoint this job completed, or nil
// when it completed none (the attempt then restarts from where the
// previous one started).
func (j *job) latestRestore(ctx context.Context) (*restorePoint, error) {
	if j.cp == nil {
		return nil, nil
	}
	latest, err := j.cp.store.Latest(ctx)
	if errors.Is(err, checkpoint.ErrNoCheckpoint) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, skipped := range latest.Skipped {
		j.log.Warn("skipping an unreadable checkpoint", "reason", skipped)
	}
	store := j.cp.store
	return restoreFrom(latest.Dir, latest.Metadata, func(ctx context.Context, name string, off, n int64) ([]byte, error) {
		return store.ReadRange(ctx, latest.Dir, name, off, n)
	}), nil
}

func restoreFrom(dir string, md *checkpoint.Metadata, read readRange) *restorePoint {
	rp := &restorePoint{id: md.CheckpointID, savepoint: md.Kind == checkpoint.KindSavepoint, path: dir, read: read,
		operators: map[string]*snapshot.OperatorState{}}
	for i := range md.Operators {
		rp.operators[md.Operators[i].UID] = &md.Operators[i]
	}
	return rp
}
