package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The types below are the JSON bodies of the API, field for field as Flink
// names them. Times are milliseconds since the Unix epoch (see [Millis]),
// durations are milliseconds, and -1 stands for "not yet" (an end time of a
// job still running).

// Millis returns t as milliseconds since the Unix epoch, or -1 for the zero
// time, as the API writes times.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return t.UnixMilli()
}

// JobStatus is the state of a job, with Flink's names.
type JobStatus string

// Job states.
const (
	JobInitializing JobStatus = "INITIALIZING"
	JobCreated      JobStatus = "CREATED"
	JobRunning      JobStatus = "RUNNING"
	JobFailing      JobStatus = "FAILING"
	JobFailed       JobStatus = "FAILED"
	JobCancelling   JobStatus = "CANCELLING"
	JobCanceled     JobStatus = "CANCELED"
	JobFinished     JobStatus = "FINISHED"
	JobRestarting   JobStatus = "RESTARTING"
	JobSuspended    JobStatus = "SUSPENDED"
	JobReconciling  JobStatus = "RECONCILING"
)

// Terminal reports whether a job in state s will never run again: it
// finished, failed or was cancelled.
func (s JobStatus) Terminal() bool {
	return s == JobFinished || s == JobFailed || s == JobCanceled
}

// ExecutionState is the state of one subtask, with Flink's names.
type ExecutionState string

// Subtask states.
const (
	ExecCreated      ExecutionState = "CREATED"
	ExecScheduled    ExecutionState = "SCHEDULED"
	ExecDeploying    ExecutionState = "DEPLOYING"
	ExecRunning      ExecutionState = "RUNNING"
	ExecFinished     ExecutionState = "FINISHED"
	ExecCanceling    ExecutionState = "CANCELING"
	ExecCanceled     ExecutionState = "CANCELED"
	ExecFailed       ExecutionState = "FAILED"
	ExecReconciling  ExecutionState = "RECONCILING"
	ExecInitializing ExecutionState = "INITIALIZING"
)

// TaskCounts counts subtasks per state. In a job overview it is written as
// Flink's "tasks" object (lower-case state names plus "total"); see also
// [StatusCounts].
type TaskCounts struct {
	Created, Scheduled, Deploying, Running, Finished       int
	Canceling, Canceled, Failed, Reconciling, Initializing int
}

// Total returns the number of subtasks counted.
func (c TaskCounts) Total() int {
	n := 0
	for _, f := range c.fields() {
		n += *f.n
	}
	return n
}

// Add counts one more subtask in state s; unknown states are not counted.
func (c *TaskCounts) Add(s ExecutionState) {
	for _, f := range c.fields() {
		if f.state == s {
			*f.n++
			return
		}
	}
}

type countField struct {
	state ExecutionState
	n     *int
}

func (c *TaskCounts) fields() [10]countField {
	return [10]countField{
		{ExecCreated, &c.Created}, {ExecScheduled, &c.Scheduled}, {ExecDeploying, &c.Deploying},
		{ExecRunning, &c.Running}, {ExecFinished, &c.Finished}, {ExecCanceling, &c.Canceling},
		{ExecCanceled, &c.Canceled}, {ExecFailed, &c.Failed}, {ExecReconciling, &c.Reconciling},
		{ExecInitializing, &c.Initializing},
	}
}

func (c *TaskCounts) marshal(key func(ExecutionState) string, total bool) ([]byte, error) {
	m := make(map[string]int, 11)
	for _, f := range c.fields() {
		m[key(f.state)] = *f.n
	}
	if total {
		m["total"] = c.Total()
	}
	return json.Marshal(m)
}

func (c *TaskCounts) unmarshal(b []byte, key func(ExecutionState) string) error {
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for _, f := range c.fields() {
		*f.n = m[key(f.state)]
	}
	return nil
}

func lowerState(s ExecutionState) string { return strings.ToLower(string(s)) }
func upperState(s ExecutionState) string { return string(s) }

// MarshalJSON writes lower-case state names and "total".
func (c TaskCounts) MarshalJSON() ([]byte, error) { return c.marshal(lowerState, true) }

// UnmarshalJSON reads what MarshalJSON writes.
func (c *TaskCounts) UnmarshalJSON(b []byte) error { return c.unmarshal(b, lowerState) }

// StatusCounts is [TaskCounts] written as Flink writes the "status-counts"
// of a job and the "tasks" of a vertex: upper-case state names, no total.
type StatusCounts TaskCounts

// MarshalJSON writes upper-case state names.
func (c StatusCounts) MarshalJSON() ([]byte, error) {
	return (*TaskCounts)(&c).marshal(upperState, false)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *StatusCounts) UnmarshalJSON(b []byte) error {
	return (*TaskCounts)(c).unmarshal(b, upperState)
}

// JobIDWithStatus is an entry of GET /jobs.
type JobIDWithStatus struct {
	ID     JobID     `json:"id"`
	Status JobStatus `json:"status"`
}

// JobOverview is an entry of GET /jobs/overview (Flink's JobDetails).
type JobOverview struct {
	ID    JobID     `json:"jid"`
	Name  string    `json:"name"`
	State JobStatus `json:"state"`
	// StartTime and EndTime are epoch milliseconds; EndTime is -1 until
	// the job reaches a terminal state.
	StartTime int64 `json:"start-time"`
	EndTime   int64 `json:"end-time"`
	// Duration is filled in by the server from StartTime and EndTime (or
	// the current time while the job runs); a Cluster leaves it zero.
	Duration         int64      `json:"duration"`
	LastModification int64      `json:"last-modification"`
	Tasks            TaskCounts `json:"tasks"`
}

// JobDetails is the body of GET /jobs/:jobid (Flink's JobDetailsInfo).
type JobDetails struct {
	ID          JobID     `json:"jid"`
	Name        string    `json:"name"`
	IsStoppable bool      `json:"isStoppable"`
	State       JobStatus `json:"state"`
	// JobType is "STREAMING" or "BATCH".
	JobType   string `json:"job-type"`
	StartTime int64  `json:"start-time"`
	EndTime   int64  `json:"end-time"`
	// Duration and Now are filled in by the server.
	Duration       int64 `json:"duration"`
	MaxParallelism int   `json:"maxParallelism"`
	Now            int64 `json:"now"`
	// Timestamps holds when the job entered each state it has been in.
	Timestamps   map[JobStatus]int64 `json:"timestamps"`
	Vertices     []Vertex            `json:"vertices"`
	StatusCounts StatusCounts        `json:"status-counts"`
	Plan         Plan                `json:"plan"`
}

// Vertex is one operator chain of a job in [JobDetails].
type Vertex struct {
	// ID is the vertex id: Flink writes 32 hexadecimal characters, any
	// stable string works for the web UI.
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	MaxParallelism int            `json:"maxParallelism"`
	Parallelism    int            `json:"parallelism"`
	Status         ExecutionState `json:"status"`
	StartTime      int64          `json:"start-time"`
	EndTime        int64          `json:"end-time"`
	// Duration is filled in by the server, like JobOverview.Duration.
	Duration int64        `json:"duration"`
	Tasks    StatusCounts `json:"tasks"`
	Metrics  IOMetrics    `json:"metrics"`
}

// IOMetrics are a vertex's record and byte counters, summed over its
// subtasks. The *Complete flags say whether every subtask reported.
type IOMetrics struct {
	ReadBytes                    int64   `json:"read-bytes"`
	ReadBytesComplete            bool    `json:"read-bytes-complete"`
	WriteBytes                   int64   `json:"write-bytes"`
	WriteBytesComplete           bool    `json:"write-bytes-complete"`
	ReadRecords                  int64   `json:"read-records"`
	ReadRecordsComplete          bool    `json:"read-records-complete"`
	WriteRecords                 int64   `json:"write-records"`
	WriteRecordsComplete         bool    `json:"write-records-complete"`
	AccumulatedBackpressuredTime int64   `json:"accumulated-backpressured-time"`
	AccumulatedIdleTime          int64   `json:"accumulated-idle-time"`
	AccumulatedBusyTime          float64 `json:"accumulated-busy-time"`
}

// Plan is the dataflow plan the web UI draws.
type Plan struct {
	JobID JobID  `json:"jid"`
	Name  string `json:"name"`
	// Type is "STREAMING" or "BATCH".
	Type  string     `json:"type"`
	Nodes []PlanNode `json:"nodes"`
}

// PlanNode is a vertex of a [Plan].
type PlanNode struct {
	ID               string      `json:"id"`
	Parallelism      int         `json:"parallelism"`
	Operator         string      `json:"operator"`
	OperatorStrategy string      `json:"operator_strategy"`
	Description      string      `json:"description"`
	Inputs           []PlanInput `json:"inputs,omitempty"`
	// OptimizerProperties is always empty; the web UI expects the key.
	OptimizerProperties struct{} `json:"optimizer_properties"`
}

// PlanInput is an edge into a [PlanNode].
type PlanInput struct {
	Num int    `json:"num"`
	ID  string `json:"id"`
	// ShipStrategy is the partitioning, e.g. "FORWARD", "HASH", "REBALANCE".
	ShipStrategy string `json:"ship_strategy"`
	// Exchange is "pipelined" for streaming jobs.
	Exchange string `json:"exchange"`
}

// CheckpointStatus is the state of one checkpoint.
type CheckpointStatus string

// Checkpoint states.
const (
	CheckpointInProgress CheckpointStatus = "IN_PROGRESS"
	CheckpointCompleted  CheckpointStatus = "COMPLETED"
	CheckpointFailed     CheckpointStatus = "FAILED"
)

// CheckpointType is the kind of a checkpoint, with Flink's names.
type CheckpointType string

// Checkpoint kinds; SyncSavepoint is the savepoint of a stop-with-savepoint.
const (
	TypeCheckpoint          CheckpointType = "CHECKPOINT"
	TypeUnalignedCheckpoint CheckpointType = "UNALIGNED_CHECKPOINT"
	TypeSavepoint           CheckpointType = "SAVEPOINT"
	TypeSyncSavepoint       CheckpointType = "SYNC_SAVEPOINT"
)

// SavepointFormat is the binary format of a savepoint.
type SavepointFormat string

// Savepoint formats: canonical is backend independent (the default), native
// is the state backend's own and faster.
const (
	FormatCanonical SavepointFormat = "CANONICAL"
	FormatNative    SavepointFormat = "NATIVE"
)

// ParseSavepointFormat accepts "canonical" or "native" in any case; empty
// means canonical.
func ParseSavepointFormat(s string) (SavepointFormat, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", string(FormatCanonical):
		return FormatCanonical, nil
	case string(FormatNative):
		return FormatNative, nil
	}
	return "", fmt.Errorf("savepoint format %q is neither CANONICAL nor NATIVE", s)
}

// CheckpointingStatistics is the body of GET /jobs/:jobid/checkpoints.
type CheckpointingStatistics struct {
	Counts  CheckpointCounts  `json:"counts"`
	Summary CheckpointSummary `json:"summary"`
	Latest  LatestCheckpoints `json:"latest"`
	// History lists recent checkpoints, newest first.
	History []CheckpointStatistics `json:"history"`
}

// CheckpointCounts counts a job's checkpoints.
type CheckpointCounts struct {
	Restored   int64 `json:"restored"`
	Total      int64 `json:"total"`
	InProgress int   `json:"in_progress"`
	Completed  int64 `json:"completed"`
	Failed     int64 `json:"failed"`
}

// CheckpointSummary summarizes completed checkpoints.
type CheckpointSummary struct {
	CheckpointedSize  StatsSummary `json:"checkpointed_size"`
	StateSize         StatsSummary `json:"state_size"`
	EndToEndDuration  StatsSummary `json:"end_to_end_duration"`
	AlignmentBuffered StatsSummary `json:"alignment_buffered"`
	ProcessedData     StatsSummary `json:"processed_data"`
	PersistedData     StatsSummary `json:"persisted_data"`
}

// StatsSummary is the distribution of one checkpoint measure. Percentiles
// must be finite numbers (JSON has no NaN): report 0 when there is no data.
type StatsSummary struct {
	Min  int64   `json:"min"`
	Max  int64   `json:"max"`
	Avg  int64   `json:"avg"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
}

// LatestCheckpoints holds the latest checkpoint of each kind; nil is
// written as null (none yet).
type LatestCheckpoints struct {
	Completed *CheckpointStatistics `json:"completed"`
	Savepoint *CheckpointStatistics `json:"savepoint"`
	Failed    *CheckpointStatistics `json:"failed"`
	Restored  *RestoredCheckpoint   `json:"restored"`
}

// RestoredCheckpoint says what the job was restored from.
type RestoredCheckpoint struct {
	ID               int64  `json:"id"`
	RestoreTimestamp int64  `json:"restore_timestamp"`
	IsSavepoint      bool   `json:"is_savepoint"`
	ExternalPath     string `json:"external_path"`
}

// CheckpointStatistics describes one checkpoint or savepoint. Its JSON
// carries Flink's "className" discriminator ("completed", "failed",
// "in_progress", from Status) and only the fields of that class.
type CheckpointStatistics struct {
	ID          int64            `json:"id"`
	Status      CheckpointStatus `json:"status"`
	IsSavepoint bool             `json:"is_savepoint"`
	// SavepointFormat is set for savepoints only.
	SavepointFormat    SavepointFormat `json:"savepointFormat,omitempty"`
	TriggerTimestamp   int64           `json:"trigger_timestamp"`
	LatestAckTimestamp int64           `json:"latest_ack_timestamp"`
	CheckpointedSize   int64           `json:"checkpointed_size"`
	StateSize          int64           `json:"state_size"`
	EndToEndDuration   int64           `json:"end_to_end_duration"`
	AlignmentBuffered  int64           `json:"alignment_buffered"`
	ProcessedData      int64           `json:"processed_data"`
	PersistedData      int64           `json:"persisted_data"`
	NumSubtasks        int             `json:"num_subtasks"`
	NumAckSubtasks     int             `json:"num_acknowledged_subtasks"`
	CheckpointType     CheckpointType  `json:"checkpoint_type"`

	// Completed checkpoints only.
	ExternalPath string `json:"-"`
	Discarded    bool   `json:"-"`
	// Failed checkpoints only.
	FailureTimestamp int64  `json:"-"`
	FailureMessage   string `json:"-"`
}

type checkpointFields CheckpointStatistics

// checkpointWire adds the class-specific fields as pointers, so a class
// writes exactly its own; they shadow the embedded "-" fields.
type checkpointWire struct {
	ClassName string `json:"className"`
	checkpointFields
	Tasks            struct{} `json:"tasks"`
	ExternalPath     *string  `json:"external_path,omitempty"`
	Discarded        *bool    `json:"discarded,omitempty"`
	FailureTimestamp *int64   `json:"failure_timestamp,omitempty"`
	FailureMessage   *string  `json:"failure_message,omitempty"`
}

// MarshalJSON writes Flink's shape for the checkpoint's class.
func (c CheckpointStatistics) MarshalJSON() ([]byte, error) {
	w := checkpointWire{checkpointFields: checkpointFields(c)}
	switch c.Status {
	case CheckpointCompleted:
		w.ClassName = "completed"
		w.ExternalPath, w.Discarded = &c.ExternalPath, &c.Discarded
	case CheckpointFailed:
		w.ClassName = "failed"
		w.FailureTimestamp, w.FailureMessage = &c.FailureTimestamp, &c.FailureMessage
	case CheckpointInProgress:
		w.ClassName = "in_progress"
	default:
		return nil, fmt.Errorf("rest: checkpoint %d has status %q, want IN_PROGRESS, COMPLETED or FAILED", c.ID, c.Status)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *CheckpointStatistics) UnmarshalJSON(b []byte) error {
	var w checkpointWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = CheckpointStatistics(w.checkpointFields)
	if w.ExternalPath != nil {
		c.ExternalPath = *w.ExternalPath
	}
	if w.Discarded != nil {
		c.Discarded = *w.Discarded
	}
	if w.FailureTimestamp != nil {
		c.FailureTimestamp = *w.FailureTimestamp
	}
	if w.FailureMessage != nil {
		c.FailureMessage = *w.FailureMessage
	}
	return nil
}

// ProcessingMode is the checkpointing guarantee, written in lower case as
// Flink writes it.
type ProcessingMode string

// Checkpointing guarantees.
const (
	ExactlyOnce ProcessingMode = "exactly_once"
	AtLeastOnce ProcessingMode = "at_least_once"
)

// CheckpointConfig is the body of GET /jobs/:jobid/checkpoints/config
// (Flink's CheckpointConfigInfo). Durations are milliseconds.
type CheckpointConfig struct {
	Mode                        ProcessingMode  `json:"mode"`
	Interval                    int64           `json:"interval"`
	Timeout                     int64           `json:"timeout"`
	MinPause                    int64           `json:"min_pause"`
	MaxConcurrent               int64           `json:"max_concurrent"`
	Externalization             Externalization `json:"externalization"`
	StateBackend                string          `json:"state_backend"`
	CheckpointStorage           string          `json:"checkpoint_storage"`
	UnalignedCheckpoints        bool            `json:"unaligned_checkpoints"`
	TolerableFailedCheckpoints  int             `json:"tolerable_failed_checkpoints"`
	AlignedCheckpointTimeout    int64           `json:"aligned_checkpoint_timeout"`
	CheckpointsAfterTasksFinish bool            `json:"checkpoints_after_tasks_finish"`
	StateChangelogEnabled       bool            `json:"state_changelog_enabled"`
}

// Externalization says whether completed checkpoints are kept when the job
// is cancelled (execution.checkpointing.externalized-checkpoint-retention).
type Externalization struct {
	Enabled              bool `json:"enabled"`
	DeleteOnCancellation bool `json:"delete_on_cancellation"`
}

// SavepointRequest is the body of POST /jobs/:jobid/savepoints.
type SavepointRequest struct {
	// TargetDirectory is where the savepoint goes; empty means the
	// configured default (state.savepoints.dir).
	TargetDirectory string `json:"target-directory,omitempty"`
	// CancelJob cancels the job once the savepoint completed.
	CancelJob bool `json:"cancel-job"`
	// FormatType is CANONICAL or NATIVE; the server turns empty into
	// CANONICAL before it calls the Cluster.
	FormatType SavepointFormat `json:"formatType,omitempty"`
	// TriggerID, when set by the client, makes the request idempotent: a
	// repeated request with the same id returns that operation instead of
	// starting another (Flink's FLIP-190).
	TriggerID TriggerID `json:"triggerId,omitzero"`
}

// StopRequest is the body of POST /jobs/:jobid/stop. Flink spells its
// fields differently from SavepointRequest's; so does weir.
type StopRequest struct {
	TargetDirectory string `json:"targetDirectory,omitempty"`
	// Drain emits the maximum watermark before the savepoint, so every
	// event-time timer and window fires (use it to end a job for good).
	Drain      bool            `json:"drain"`
	FormatType SavepointFormat `json:"formatType,omitempty"`
	TriggerID  TriggerID       `json:"triggerId,omitzero"`
}

// TriggerResponse is the body of a 202 answer to an asynchronous request.
type TriggerResponse struct {
	RequestID TriggerID `json:"request-id"`
}

// OperationState is the state of an asynchronous operation.
type OperationState string

// Operation states: an operation that failed is COMPLETED with a failure
// cause, as in Flink.
const (
	OperationInProgress OperationState = "IN_PROGRESS"
	OperationCompleted  OperationState = "COMPLETED"
)

// QueueStatus wraps an [OperationState] as Flink writes it: {"id": ...}.
type QueueStatus struct {
	ID OperationState `json:"id"`
}

// AsyncOperation is the body of GET /jobs/:jobid/savepoints/:triggerid.
type AsyncOperation struct {
	Status QueueStatus `json:"status"`
	// Operation is null while the operation is in progress.
	Operation *SavepointInfo `json:"operation"`
}

// SavepointInfo is the result of a completed savepoint operation: a
// location or a failure cause.
type SavepointInfo struct {
	Location     string        `json:"location,omitempty"`
	FailureCause *FailureCause `json:"failure-cause,omitempty"`
}

// FailureCause is a failure as the API reports it. Flink sends a Java
// exception class and stack trace; weir sends the Go type of the error and
// its message (the chain of wrapped errors).
type FailureCause struct {
	Class      string `json:"class"`
	StackTrace string `json:"stack-trace"`
}

// Done reports whether the operation has finished, successfully or not.
func (o AsyncOperation) Done() bool { return o.Status.ID == OperationCompleted }

// Result returns the savepoint location of a completed operation, or its
// failure as an error. It returns "", nil while the operation is in
// progress.
func (o AsyncOperation) Result() (location string, err error) {
	if !o.Done() {
		return "", nil
	}
	if o.Operation == nil {
		return "", errors.New("rest: operation completed without a result")
	}
	if fc := o.Operation.FailureCause; fc != nil {
		return "", &OperationError{Cause: *fc}
	}
	return o.Operation.Location, nil
}

// OperationError is the failure of an asynchronous operation.
type OperationError struct{ Cause FailureCause }

func (e *OperationError) Error() string {
	if e.Cause.StackTrace != "" {
		return e.Cause.StackTrace
	}
	return e.Cause.Class
}

// DashboardConfig is the body of GET /config, read by the web UI.
type DashboardConfig struct {
	// RefreshInterval is how often the web UI polls, in milliseconds.
	RefreshInterval int64  `json:"refresh-interval"`
	TimezoneName    string `json:"timezone-name"`
	// TimezoneOffset is the server's offset from UTC in milliseconds.
	TimezoneOffset int `json:"timezone-offset"`
	// Version and Revision are weir's, under Flink's keys.
	Version  string   `json:"flink-version"`
	Revision string   `json:"flink-revision"`
	Features Features `json:"features"`
}

// Features says which actions the web UI offers.
type Features struct {
	WebSubmit  bool `json:"web-submit"`
	WebCancel  bool `json:"web-cancel"`
	WebRescale bool `json:"web-rescale"`
	WebHistory bool `json:"web-history"`
}

// ClusterOverview is the body of GET /overview.
type ClusterOverview struct {
	TaskManagers   int    `json:"taskmanagers"`
	SlotsTotal     int    `json:"slots-total"`
	SlotsAvailable int    `json:"slots-available"`
	JobsRunning    int    `json:"jobs-running"`
	JobsFinished   int    `json:"jobs-finished"`
	JobsCancelled  int    `json:"jobs-cancelled"`
	JobsFailed     int    `json:"jobs-failed"`
	Version        string `json:"flink-version"`
	Commit         string `json:"flink-commit"`
}

// Capacity is what a Cluster reports of its task slots for GET /overview.
type Capacity struct {
	TaskManagers   int
	SlotsTotal     int
	SlotsAvailable int
}
