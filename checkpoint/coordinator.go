package checkpoint

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirstream/weir/snapshot"
)

// Task is a subtask as the coordinator sees it: its ID and the subtasks
// it reads from. A task without inputs is a source.
type Task struct {
	ID     TaskID
	Inputs []TaskID
}

// OperatorInfo describes an operator of the job, so every operator appears
// in the metadata (also those without state) and operators whose tasks all
// finished are recorded as finished.
type OperatorInfo struct {
	UID            string
	Name           string
	Vertex         int
	Parallelism    int
	MaxParallelism int
}

// Retained is a completed checkpoint the job owns.
type Retained struct {
	ID  int64
	Dir string
}

// Restored describes the snapshot a job started from, for the statistics.
type Restored struct {
	ID          int64
	Path        string
	IsSavepoint bool
	At          time.Time
}

// Config is what a Coordinator needs to know about its job.
type Config struct {
	Options Options
	JobID   string
	// JobDir is the location of the job's checkpoints (Storage.JobDir);
	// checkpoint n is written to JobDir/chk-n.
	JobDir    string
	Tasks     []Task
	Operators []OperatorInfo // optional, see OperatorInfo
	// StartID is the first checkpoint ID: 1 for a fresh job, one more than
	// the restored checkpoint's ID after a restore, so IDs never repeat.
	StartID int64
	// Retained are completed checkpoints the job already owns, oldest
	// first: the claimed snapshot of a restore in CLAIM mode. They are
	// discarded like the job's own checkpoints once enough newer ones
	// complete.
	Retained []Retained
	// HistorySize bounds the checkpoints the statistics remember; 0 means
	// DefaultHistorySize.
	HistorySize int
}

// DefaultHistorySize is Flink's web.checkpoints.history default.
const DefaultHistorySize = 10

// recentAborted bounds the aborted checkpoints remembered to clean up
// after late acknowledgements.
const recentAborted = 16

type phase int

const (
	// phaseCoordinators: waiting for the operator coordinators' states.
	phaseCoordinators phase = iota
	// phaseTasks: barriers are travelling; waiting for task acks.
	phaseTasks
	// phasePersisting: every ack is in; the metadata is being written.
	// A persisting checkpoint no longer expires: only the outcome of the
	// write decides, so a write finishing after an abort cannot leave
	// metadata that points at discarded state files.
	phasePersisting
)

type taskState struct {
	inputs   []TaskID
	ended    bool  // EndOfData
	needID   int64 // with ended: the first checkpoint ID triggered after it
	finished bool  // TaskFinished
}

type pending struct {
	id        int64
	kind      Kind
	request   string
	stop      bool
	drain     bool
	dir       string
	triggered time.Time
	deadline  time.Time
	phase     phase
	barrier   Barrier
	waiting   map[TaskID]bool // tasks that still have to ack
	fired     map[TaskID]bool // tasks told to inject the barrier
	coords    map[string][]byte
	ops       map[string]*snapshot.OperatorState
	stats     *CheckpointStats
}

// Coordinator is the checkpoint coordinator of one job, as a pure state
// machine: Step takes an event and the current time and returns the
// decisions its driver carries out. It does no I/O, starts no goroutines
// and reads no clock; it is not safe for concurrent use (one goroutine,
// the Driver, owns it).
type Coordinator struct {
	cfg   Config
	opts  Options
	tasks map[TaskID]*taskState
	order []TaskID // tasks sorted, for deterministic decisions

	nextID     int64
	running    bool      // between JobRunning and JobStopped or FailJob
	terminated bool      // a terminal JobStopped arrived
	endCause   StopCause // its cause
	// nextPeriodic is when the next periodic checkpoint is due; zero when
	// periodic checkpoints are off or not scheduled.
	nextPeriodic time.Time
	// lastEnd is when the last checkpoint or savepoint completed or
	// failed, for the min pause.
	lastEnd  time.Time
	stopping int64 // ID of the pending stop-with-savepoint, or 0
	stopped  bool  // a stop-with-savepoint completed

	pending       []*pending // by ascending ID
	failures      int        // consecutive failed checkpoints
	lastCompleted int64      // newest completed checkpoint
	lastDone      int64      // newest completed checkpoint or savepoint
	retained      []Retained
	aborted       []Retained // recently aborted checkpoints and their dirs

	stats stats
}

// NewCoordinator returns the coordinator for a job with the given tasks.
// Periodic checkpoints start with the first JobRunning event.
func NewCoordinator(cfg Config) (*Coordinator, error) {
	if err := cfg.Options.Validate(); err != nil {
		return nil, err
	}
	c := &Coordinator{cfg: cfg, opts: cfg.Options, tasks: make(map[TaskID]*taskState, len(cfg.Tasks))}
	for _, t := range cfg.Tasks {
		if _, dup := c.tasks[t.ID]; dup {
			return nil, fmt.Errorf("checkpoint: task %s listed twice", t.ID)
		}
		c.tasks[t.ID] = &taskState{inputs: slices.Clone(t.Inputs)}
		c.order = append(c.order, t.ID)
	}
	for _, t := range cfg.Tasks {
		for _, in := range t.Inputs {
			if _, ok := c.tasks[in]; !ok {
				return nil, fmt.Errorf("checkpoint: task %s reads from unknown task %s", t.ID, in)
			}
		}
	}
	sortTasks(c.order)
	c.nextID = max(cfg.StartID, 1)
	c.retained = slices.Clone(cfg.Retained)
	c.stats.size = cfg.HistorySize
	if c.stats.size <= 0 {
		c.stats.size = DefaultHistorySize
	}
	return c, nil
}

// Terminated reports whether a terminal JobStopped arrived and the
// metadata writes it found in flight have ended: the coordinator will
// decide nothing more.
func (c *Coordinator) Terminated() bool { return c.terminated && len(c.pending) == 0 }

// Retained lists the completed checkpoints the job currently keeps,
// oldest first.
func (c *Coordinator) Retained() []Retained { return slices.Clone(c.retained) }

// Step applies ev at time now and returns what to do, in order.
func (c *Coordinator) Step(now time.Time, ev Event) []Decision {
	if c.terminated {
		// Only the metadata writes in flight at the end still matter.
		switch ev := ev.(type) {
		case TriggerSavepoint:
			return []Decision{SavepointDone{Request: ev.Request, Err: ErrNotRunning}}
		case MetadataWritten:
			return c.onWritten(now, ev)
		}
		return nil
	}
	var out []Decision
	switch ev := ev.(type) {
	case JobRunning:
		out = c.onRunning(now, ev)
	case Tick:
		out = c.expire(now)
	case TriggerSavepoint:
		out = c.onSavepoint(now, ev)
	case CoordinatorsSnapshotted:
		out = c.onCoordinators(now, ev)
	case Ack:
		out = c.onAck(now, ev)
	case Decline:
		if p := c.find(ev.ID); p != nil && p.phase != phasePersisting {
			reason := ev.Err
			if reason == nil {
				reason = errors.New("no reason given")
			}
			out = c.abort(now, p, fmt.Errorf("%w %s: %w", ErrDeclined, ev.Task, reason), true)
		}
	case MetadataWritten:
		out = c.onWritten(now, ev)
	case EndOfData:
		if t := c.tasks[ev.Task]; t != nil && !t.ended {
			t.ended, t.needID = true, c.nextID
		}
	case TaskFinished:
		out = c.onFinished(now, ev)
	case JobStopped:
		out = c.onStopped(now, ev)
	default:
		panic(fmt.Sprintf("checkpoint: unknown event %T", ev))
	}
	return append(out, c.maybeTrigger(now)...)
}

// NextWakeup is when the coordinator next needs a Tick: a periodic or
// final checkpoint becomes due, or a pending one expires. false means no
// Tick is needed until the next event.
func (c *Coordinator) NextWakeup() (time.Time, bool) {
	var at time.Time
	have := false
	earliest := func(t time.Time) {
		if !have || t.Before(at) {
			at, have = t, true
		}
	}
	if t, ok := c.due(); ok {
		earliest(t)
	}
	for _, p := range c.pending {
		if p.phase != phasePersisting {
			earliest(p.deadline)
		}
	}
	return at, have
}

func (c *Coordinator) onRunning(now time.Time, ev JobRunning) []Decision {
	c.running, c.stopped, c.stopping = true, false, 0
	for _, t := range c.tasks {
		t.ended, t.finished, t.needID = false, false, 0
	}
	c.nextPeriodic = time.Time{}
	if c.opts.Enabled() {
		c.nextPeriodic = now.Add(c.opts.Interval)
	}
	if ev.Restored != nil {
		c.stats.restored(ev.Restored)
	}
	return nil
}

// finalWanted reports whether a final checkpoint is due: every task still
// running has ended its input and waits for a checkpoint triggered after
// that to complete, and none such is in flight. Tasks then need not wait
// for the interval to pass.
func (c *Coordinator) finalWanted() bool {
	if !c.opts.Enabled() || !c.opts.AfterTasksFinish {
		return false
	}
	var need int64
	for _, t := range c.tasks {
		if t.finished {
			continue
		}
		if !t.ended {
			return false
		}
		if t.needID > c.lastDone {
			need = max(need, t.needID)
		}
	}
	if need == 0 {
		return false
	}
	for _, p := range c.pending {
		if p.id >= need {
			return false // triggered after the last EndOfData: it will do
		}
	}
	return true
}

func (c *Coordinator) anyFinished() bool {
	for _, t := range c.tasks {
		if t.finished {
			return true
		}
	}
	return false
}

func (c *Coordinator) allFinished() bool {
	for _, t := range c.tasks {
		if !t.finished {
			return false
		}
	}
	return true
}

// blocked reports whether something other than time keeps periodic and
// final checkpoints from being triggered.
func (c *Coordinator) blocked() bool {
	switch {
	case !c.running, c.stopped, c.stopping != 0, len(c.tasks) == 0, c.allFinished():
		return true
	case !c.opts.AfterTasksFinish && c.anyFinished():
		return true // Flink: checkpoints stop once a task finished
	}
	return len(c.pending) >= c.opts.MaxConcurrent
}

// due is when the next periodic or final checkpoint may be triggered.
func (c *Coordinator) due() (time.Time, bool) {
	if c.blocked() {
		return time.Time{}, false
	}
	var at time.Time
	switch {
	case c.finalWanted():
		at = c.lastEnd // "now": only the min pause can delay it
	case !c.nextPeriodic.IsZero():
		at = c.nextPeriodic
	default:
		return time.Time{}, false
	}
	if !c.lastEnd.IsZero() {
		if p := c.lastEnd.Add(c.opts.MinPause); p.After(at) {
			at = p
		}
	}
	return at, true
}

func (c *Coordinator) maybeTrigger(now time.Time) []Decision {
	at, ok := c.due()
	if !ok || at.After(now) {
		return nil
	}
	if c.opts.Enabled() {
		c.nextPeriodic = now.Add(c.opts.Interval)
	}
	_, out := c.trigger(now, KindCheckpoint, c.cfg.JobDir)
	return out
}

// trigger starts checkpoint nextID: first the operator coordinators
// snapshot, then (onCoordinators) the tasks are triggered.
func (c *Coordinator) trigger(now time.Time, kind Kind, dir string) (*pending, []Decision) {
	id := c.nextID
	c.nextID++
	if kind == KindCheckpoint {
		dir = joinLoc(dir, CheckpointDirName(id))
	}
	p := &pending{
		id: id, kind: kind, dir: dir, triggered: now, deadline: now.Add(c.opts.Timeout),
		waiting: map[TaskID]bool{}, fired: map[TaskID]bool{}, ops: map[string]*snapshot.OperatorState{},
	}
	for id, t := range c.tasks {
		if !t.finished {
			p.waiting[id] = true
		}
	}
	p.barrier = Barrier{
		ID: id, Timestamp: now, Kind: kind, Dir: dir, Mode: c.opts.Mode,
		// Savepoints are always aligned, as in Flink.
		Unaligned: c.opts.Unaligned && kind == KindCheckpoint,
	}
	if p.barrier.Unaligned {
		p.barrier.AlignedTimeout = c.opts.AlignedTimeout
	}
	c.pending = append(c.pending, p)
	p.stats = c.stats.triggered(p, len(p.waiting))
	return p, []Decision{SnapshotCoordinators{ID: id, Kind: kind, Timestamp: now}}
}

// joinLoc joins a checkpoint directory name to the job directory, keeping
// URL parameters (s3://b/p?region=r) at the end; an empty job directory
// leaves the name relative.
func joinLoc(dir, name string) string {
	if dir == "" {
		return name
	}
	base, query, ok := strings.Cut(dir, "?")
	base = strings.TrimSuffix(base, "/") + "/" + name
	if ok {
		base += "?" + query
	}
	return base
}

func (c *Coordinator) onSavepoint(now time.Time, ev TriggerSavepoint) []Decision {
	fail := func(err error) []Decision {
		return []Decision{SavepointDone{Request: ev.Request, Err: err}}
	}
	switch {
	case ev.Drain && !ev.Stop:
		return fail(ErrDrainWithoutStop)
	case ev.Dir == "":
		return fail(ErrNoSavepointDir)
	case !c.running:
		return fail(ErrNotRunning)
	case c.stopping != 0 || c.stopped:
		return fail(ErrStopInProgress)
	case len(c.tasks) == 0 || c.allFinished():
		return fail(fmt.Errorf("%w: all of them; there is nothing left to snapshot", ErrTasksFinished))
	case !c.opts.AfterTasksFinish && c.anyFinished():
		return fail(fmt.Errorf("%w; set %s: true to snapshot jobs with finished tasks", ErrTasksFinished, AfterTasksFinish.Key()))
	}
	var out []Decision
	if ev.Stop {
		// Like Flink, a stop-with-savepoint suspends periodic checkpoints
		// and aborts the pending ones; they resume if the savepoint fails.
		for _, p := range slices.Clone(c.pending) {
			if p.kind == KindCheckpoint && p.phase != phasePersisting {
				out = append(out, c.abort(now, p, ErrStopping, false)...)
			}
		}
	}
	p, trig := c.trigger(now, KindSavepoint, ev.Dir)
	p.request, p.stop, p.drain = ev.Request, ev.Stop, ev.Drain
	p.barrier.Stop, p.barrier.Drain = ev.Stop, ev.Drain
	p.stats.CheckpointType = checkpointType(p)
	if ev.Stop {
		c.stopping = p.id
	}
	return append(out, trig...)
}

func (c *Coordinator) onCoordinators(now time.Time, ev CoordinatorsSnapshotted) []Decision {
	p := c.find(ev.ID)
	if p == nil || p.phase != phaseCoordinators {
		return nil
	}
	if ev.Err != nil {
		return c.abort(now, p, fmt.Errorf("%w: %w", ErrCoordinators, ev.Err), true)
	}
	p.coords = ev.States
	p.phase = phaseTasks
	out := c.fire(p)
	return append(out, c.maybePersist(p)...)
}

// fire triggers the tasks of p that can inject its barrier and have not
// been told yet: running tasks none of whose inputs is still running.
func (c *Coordinator) fire(p *pending) []Decision {
	var ts []TaskID
	for _, id := range c.order {
		t := c.tasks[id]
		if t.finished || p.fired[id] || !p.waiting[id] {
			continue
		}
		upstreamRunning := false
		for _, in := range t.inputs {
			if !c.tasks[in].finished {
				upstreamRunning = true
				break
			}
		}
		if !upstreamRunning {
			p.fired[id] = true
			ts = append(ts, id)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	return []Decision{TriggerTasks{Barrier: p.barrier, Tasks: ts}}
}

func (c *Coordinator) onAck(now time.Time, ev Ack) []Decision {
	p := c.find(ev.ID)
	if p == nil {
		// A late ack of an aborted checkpoint may have written state files
		// after the directory was discarded: discard again.
		for _, a := range c.aborted {
			if a.ID == ev.ID {
				return []Decision{Discard(a)}
			}
		}
		return nil
	}
	if p.phase == phasePersisting || !p.waiting[ev.Task] {
		return nil
	}
	delete(p.waiting, ev.Task)
	for _, frag := range ev.Operators {
		op := p.ops[frag.UID]
		if op == nil {
			op = &snapshot.OperatorState{UID: frag.UID, Name: frag.Name, Parallelism: frag.Parallelism, MaxParallelism: frag.MaxParallelism}
			p.ops[frag.UID] = op
		}
		op.Subtasks = append(op.Subtasks, frag.Subtasks...)
		for i := range frag.Subtasks {
			p.stats.StateSize += subtaskSize(&frag.Subtasks[i])
		}
	}
	p.stats.NumAcknowledged++
	p.stats.LatestAckTimestamp = now.UnixMilli()
	return c.maybePersist(p)
}

// maybePersist moves p to persisting once no task has to ack any more.
func (c *Coordinator) maybePersist(p *pending) []Decision {
	if p.phase != phaseTasks || len(p.waiting) > 0 {
		return nil
	}
	p.phase = phasePersisting
	return []Decision{WriteMetadata{ID: p.id, Dir: p.dir, Metadata: c.metadata(p)}}
}

func (c *Coordinator) metadata(p *pending) *Metadata {
	m := &Metadata{Version: FormatVersion, JobID: c.cfg.JobID, CheckpointID: p.id, Kind: p.kind, Timestamp: p.triggered}
	// Known operators first (in plan order), so stateless ones and ones
	// whose tasks all finished are listed too; then any others by UID.
	seen := map[string]bool{}
	for _, info := range c.cfg.Operators {
		op := snapshot.OperatorState{UID: info.UID, Name: info.Name, Parallelism: info.Parallelism, MaxParallelism: info.MaxParallelism}
		if got := p.ops[info.UID]; got != nil {
			op.Subtasks = got.Subtasks
		}
		op.Coordinator = p.coords[info.UID]
		m.Operators = append(m.Operators, op)
		seen[info.UID] = true
		if c.vertexFinished(info.Vertex) {
			m.FinishedOperators = append(m.FinishedOperators, info.UID)
		}
	}
	var extra []string
	for uid := range p.ops {
		if !seen[uid] {
			extra = append(extra, uid)
		}
	}
	for uid := range p.coords {
		if !seen[uid] && p.ops[uid] == nil {
			extra = append(extra, uid)
		}
	}
	slices.Sort(extra)
	for _, uid := range extra {
		op := snapshot.OperatorState{UID: uid}
		if got := p.ops[uid]; got != nil {
			op = *got
		}
		op.Coordinator = p.coords[uid]
		m.Operators = append(m.Operators, op)
	}
	for i := range m.Operators {
		subs := m.Operators[i].Subtasks
		slices.SortFunc(subs, func(a, b snapshot.SubtaskState) int { return a.Index - b.Index })
		p.stats.StateSize += int64(len(m.Operators[i].Coordinator))
	}
	return m
}

func (c *Coordinator) vertexFinished(v int) bool {
	n := 0
	for id, t := range c.tasks {
		if id.Vertex == v {
			if !t.finished {
				return false
			}
			n++
		}
	}
	return n > 0
}

func (c *Coordinator) onWritten(now time.Time, ev MetadataWritten) []Decision {
	p := c.find(ev.ID)
	if p == nil || p.phase != phasePersisting {
		return nil
	}
	if ev.Err != nil {
		return c.abort(now, p, fmt.Errorf("%w: %w", ErrPersist, ev.Err), true)
	}
	return c.complete(now, p)
}

func (c *Coordinator) complete(now time.Time, p *pending) []Decision {
	c.remove(p)
	c.lastEnd = now
	c.stats.completed(p, now)
	c.lastDone = max(c.lastDone, p.id)
	out := []Decision{NotifyComplete{ID: p.id, Kind: p.kind}}
	if p.kind == KindSavepoint {
		if p.stop {
			c.stopping, c.stopped = 0, true
		}
		return append(out, SavepointDone{Request: p.request, ID: p.id, Path: p.dir})
	}
	c.failures = 0
	c.lastCompleted = max(c.lastCompleted, p.id)
	// Older pending checkpoints can only complete into something already
	// superseded: drop them (savepoints are never subsumed).
	for _, q := range slices.Clone(c.pending) {
		if q.kind == KindCheckpoint && q.id < p.id && q.phase != phasePersisting {
			out = append(out, c.abort(now, q, ErrSubsumed, false)...)
		}
	}
	c.retained = append(c.retained, Retained{ID: p.id, Dir: p.dir})
	if c.terminated {
		// Completed after the job ended: apply the retention policy now.
		return append(out, c.discardAtEnd()...)
	}
	for len(c.retained) > c.opts.NumRetained {
		old := c.retained[0]
		c.retained = c.retained[1:]
		c.stats.discarded(old.ID)
		out = append(out, Discard(old))
	}
	return out
}

// abort ends p unsuccessfully; counted failures of checkpoints newer than
// the last completed one count towards the tolerable failures.
func (c *Coordinator) abort(now time.Time, p *pending, reason error, counted bool) []Decision {
	c.remove(p)
	c.lastEnd = now
	c.stats.failed(p, now, reason)
	c.aborted = append(c.aborted, Retained{ID: p.id, Dir: p.dir})
	if len(c.aborted) > recentAborted {
		c.aborted = c.aborted[1:]
	}
	out := []Decision{NotifyAborted{ID: p.id, Reason: reason}, Discard{ID: p.id, Dir: p.dir}}
	if p.kind == KindSavepoint {
		if p.stop {
			c.stopping = 0
		}
		return append(out, SavepointDone{Request: p.request, ID: p.id, Err: reason})
	}
	if !counted || !c.running || p.id <= c.lastCompleted {
		return out // a job already failing over does not fail twice
	}
	c.failures++
	if c.failures > c.opts.TolerableFailures {
		err := fmt.Errorf("%w (%d in a row, %s is %d); the last: %w",
			ErrTooManyFailures, c.failures, TolerableFailures.Key(), c.opts.TolerableFailures, reason)
		c.failures = 0
		c.running = false
		out = append(out, FailJob{Err: err})
	}
	return out
}

func (c *Coordinator) expire(now time.Time) []Decision {
	var out []Decision
	for _, p := range slices.Clone(c.pending) {
		if p.phase != phasePersisting && !now.Before(p.deadline) {
			out = append(out, c.abort(now, p, fmt.Errorf("%w after %v", ErrExpired, c.opts.Timeout), true)...)
		}
	}
	return out
}

func (c *Coordinator) onFinished(now time.Time, ev TaskFinished) []Decision {
	t := c.tasks[ev.Task]
	if t == nil || t.finished {
		return nil
	}
	t.finished = true
	var out []Decision
	if c.allFinished() {
		// The job is over: nothing pending can be of use any more.
		for _, p := range slices.Clone(c.pending) {
			if p.phase != phasePersisting {
				out = append(out, c.abort(now, p, ErrJobFinished, false)...)
			}
		}
		return out
	}
	for _, p := range slices.Clone(c.pending) {
		if !p.waiting[ev.Task] {
			continue
		}
		delete(p.waiting, ev.Task) // counts as acknowledged with no state
		if p.phase == phaseTasks {
			out = append(out, c.fire(p)...)
			out = append(out, c.maybePersist(p)...)
		}
	}
	return out
}

func (c *Coordinator) onStopped(now time.Time, ev JobStopped) []Decision {
	var out []Decision
	reason := fmt.Errorf("%w (%s)", ErrJobStopped, ev.Cause)
	// Checkpoints whose metadata is being written stay: the write decides.
	for _, p := range slices.Clone(c.pending) {
		if p.phase != phasePersisting {
			out = append(out, c.abort(now, p, reason, false)...)
		}
	}
	c.running, c.stopping = false, 0
	c.nextPeriodic = time.Time{}
	if ev.Cause == StopRestart {
		return out
	}
	c.terminated, c.endCause = true, ev.Cause
	return append(out, c.discardAtEnd()...)
}

// discardAtEnd applies the retention policy to the retained checkpoints
// of a job that ended.
func (c *Coordinator) discardAtEnd() []Decision {
	discard := false
	switch c.opts.Retention {
	case NoExternalizedCheckpoints:
		discard = true
	case DeleteOnCancellation:
		discard = c.endCause != StopFailed
	}
	if !discard {
		return nil
	}
	var out []Decision
	for _, r := range c.retained {
		c.stats.discarded(r.ID)
		out = append(out, Discard(r))
	}
	c.retained = nil
	return out
}

func (c *Coordinator) find(id int64) *pending {
	for _, p := range c.pending {
		if p.id == id {
			return p
		}
	}
	return nil
}

func (c *Coordinator) remove(p *pending) {
	c.pending = slices.DeleteFunc(c.pending, func(q *pending) bool { return q == p })
}
