package rest

import (
	"context"
	"errors"
)

// Errors a Cluster returns (wrapped with %w and a message for the user) so
// the server answers with the right HTTP status. Any other error is a 500.
var (
	// ErrJobNotFound: no job has the id (404).
	ErrJobNotFound = errors.New("rest: job not found")
	// ErrOperationNotFound: no asynchronous operation of the job has the
	// trigger id, or its result has expired (404).
	ErrOperationNotFound = errors.New("rest: operation not found")
	// ErrCheckpointingDisabled: the job takes no checkpoints, so it has no
	// checkpoint configuration (404, as Flink answers).
	ErrCheckpointingDisabled = errors.New("rest: checkpointing is not enabled for this job")
	// ErrJobNotRunning: the job is in a state that does not allow the
	// request, such as cancelling a finished job (409).
	ErrJobNotRunning = errors.New("rest: job is not running")
	// ErrBadRequest: the request is invalid for this job, such as a
	// savepoint without a target directory when none is configured (400).
	ErrBadRequest = errors.New("rest: bad request")
)

// Cluster is what the server asks about jobs and tells them to do; the
// runtime implements it. Methods are called concurrently from request
// goroutines and must not block on the job's progress: triggering returns a
// trigger id at once and the result is reported through SavepointStatus
// ([Operations] does the bookkeeping). ctx is the request's.
//
// Errors wrap the sentinels above to choose the HTTP status; their text is
// shown to the user, so it says what was wrong and what to do.
type Cluster interface {
	// Jobs returns every job the cluster knows, running or ended.
	Jobs(ctx context.Context) ([]JobOverview, error)
	// Job returns the details of one job, or ErrJobNotFound.
	Job(ctx context.Context, id JobID) (JobDetails, error)
	// Cancel starts cancelling a job and returns without waiting for it.
	// ErrJobNotFound, or ErrJobNotRunning if it already ended.
	Cancel(ctx context.Context, id JobID) error
	// Checkpoints returns the job's checkpoint statistics.
	Checkpoints(ctx context.Context, id JobID) (CheckpointingStatistics, error)
	// CheckpointConfig returns the job's checkpointing settings, or
	// ErrCheckpointingDisabled.
	CheckpointConfig(ctx context.Context, id JobID) (CheckpointConfig, error)
	// TriggerSavepoint starts a savepoint and returns its trigger id. req
	// has been validated and its FormatType is set. If req.TriggerID is set
	// and an operation with that id exists, it returns that id and starts
	// nothing ([Operations.Start] implements this).
	TriggerSavepoint(ctx context.Context, id JobID, req SavepointRequest) (TriggerID, error)
	// StopWithSavepoint starts a stop-with-savepoint, like TriggerSavepoint.
	// Its status is read with SavepointStatus.
	StopWithSavepoint(ctx context.Context, id JobID, req StopRequest) (TriggerID, error)
	// SavepointStatus returns the state of a savepoint or stop-with-savepoint
	// operation, or ErrOperationNotFound.
	SavepointStatus(ctx context.Context, id JobID, trigger TriggerID) (AsyncOperation, error)
	// Capacity returns the cluster's task managers and slots.
	Capacity(ctx context.Context) (Capacity, error)
}
