package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/snapshot"
)

var t0 = time.Unix(1_700_000_000, 0)

// The test job: two source subtasks (vertex 0), a map after each (vertex
// 1, forward), one sink reading both maps (vertex 2).
var (
	src0, src1 = TaskID{0, 0}, TaskID{0, 1}
	map0, map1 = TaskID{1, 0}, TaskID{1, 1}
	sink       = TaskID{2, 0}
	testTasks  = []Task{
		{ID: src0}, {ID: src1},
		{ID: map0, Inputs: []TaskID{src0}}, {ID: map1, Inputs: []TaskID{src1}},
		{ID: sink, Inputs: []TaskID{map0, map1}},
	}
	allTasks = []TaskID{src0, src1, map0, map1, sink}
)

func baseOptions() Options {
	return Options{
		Interval: 100 * time.Millisecond, Timeout: time.Second, MaxConcurrent: 1,
		NumRetained: 2, AfterTasksFinish: true,
	}
}

func baseConfig(mod func(*Config)) Config {
	cfg := Config{Options: baseOptions(), JobID: "job", JobDir: "job", Tasks: testTasks, StartID: 1}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

// ack is task's acknowledgement with one operator "op<vertex>" holding a
// 10-byte list state.
func ack(id int64, task TaskID) Ack {
	return Ack{ID: id, Task: task, Operators: []snapshot.OperatorState{{
		UID: fmt.Sprintf("op%d", task.Vertex), Parallelism: 2, MaxParallelism: 128,
		Subtasks: []snapshot.SubtaskState{{Index: task.Subtask, Lists: []snapshot.ListState{
			{Name: "l", Elements: [][]byte{[]byte("0123456789")}}}}},
	}}}
}

// step is one line of a transcript: at ms after t0, ev happens, and the
// coordinator must decide exactly want (a trailing "..." matches a
// prefix). wake, if set, is the NextWakeup expected afterwards: "+ms" or
// "none".
type step struct {
	at   int
	ev   Event
	want []string
	wake string
}

// acks returns one step per task acknowledging checkpoint id at ms, the
// last one deciding last.
func acks(at int, id int64, last []string, tasks ...TaskID) []step {
	var out []step
	for i, task := range tasks {
		s := step{at: at, ev: ack(id, task)}
		if i == len(tasks)-1 {
			s.want = last
		}
		out = append(out, s)
	}
	return out
}

func lines(steps ...any) []step {
	var out []step
	for _, s := range steps {
		switch s := s.(type) {
		case step:
			out = append(out, s)
		case []step:
			out = append(out, s...)
		default:
			panic(fmt.Sprintf("lines: %T", s))
		}
	}
	return out
}

func runTranscript(t *testing.T, cfg Config, steps []step) *Coordinator {
	t.Helper()
	c, err := NewCoordinator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		got := c.Step(t0.Add(time.Duration(s.at)*time.Millisecond), s.ev)
		var gotS []string
		for _, d := range got {
			gotS = append(gotS, d.String())
		}
		if !matchDecisions(gotS, s.want) {
			t.Fatalf("step %d (@%dms %T%+v):\n got  %s\n want %s", i, s.at, s.ev, s.ev,
				strings.Join(gotS, "\n      "), strings.Join(s.want, "\n      "))
		}
		if s.wake != "" {
			w, ok := c.NextWakeup()
			gotWake := "none"
			if ok {
				gotWake = fmt.Sprintf("+%d", w.Sub(t0).Milliseconds())
			}
			if gotWake != s.wake {
				t.Fatalf("step %d (@%dms %T): wakeup %s, want %s", i, s.at, s.ev, gotWake, s.wake)
			}
		}
	}
	return c
}

func matchDecisions(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if p, ok := strings.CutSuffix(want[i], "..."); ok {
			if !strings.HasPrefix(got[i], p) {
				return false
			}
		} else if got[i] != want[i] {
			return false
		}
	}
	return true
}

const (
	meta1 = "write-metadata 1 checkpoint job/chk-1 ops=[op0[0 1]+coord op1[0 1] op2[0]]"
)

func coordsDone(at int, id int64, want ...string) step {
	return step{at: at, ev: CoordinatorsSnapshotted{ID: id, States: map[string][]byte{"op0": []byte("enum")}}, want: want}
}

// completeCheckpoint runs checkpoint id through all phases at ms.
func completeCheckpoint(at int, id int64, extra ...string) []step {
	dir := fmt.Sprintf("job/chk-%d", id)
	return lines(
		coordsDone(at, id, fmt.Sprintf("trigger %d checkpoint %s [0/0 0/1]", id, dir)),
		acks(at, id, []string{fmt.Sprintf("write-metadata %d checkpoint %s ops=[op0[0 1]+coord op1[0 1] op2[0]]", id, dir)}, allTasks...),
		step{at: at, ev: MetadataWritten{ID: id}, want: append([]string{fmt.Sprintf("notify-complete %d", id)}, extra...)},
	)
}

func TestCoordinatorTranscripts(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"periodic checkpoints complete, retention keeps two", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}, wake: "+100"},
			step{at: 50, ev: Tick{}, want: nil, wake: "+100"},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}, wake: "+1100"},
			coordsDone(105, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			acks(110, 1, []string{meta1}, allTasks...),
			step{at: 120, ev: MetadataWritten{ID: 1}, want: []string{"notify-complete 1"}, wake: "+200"},
			step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}},
			completeCheckpoint(210, 2),
			step{at: 300, ev: Tick{}, want: []string{"snapshot-coordinators 3 checkpoint"}},
			completeCheckpoint(310, 3, "discard 1 job/chk-1"),
		)},
		{"min pause delays the next trigger", baseConfig(func(c *Config) { c.Options.MinPause = 150 * time.Millisecond }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			completeCheckpoint(130, 1),
			step{at: 130, ev: Tick{}, wake: "+280"},
			step{at: 200, ev: Tick{}, want: nil, wake: "+280"},
			step{at: 280, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}, wake: "+1280"},
		)},
		{"max concurrent queues a due checkpoint; completion subsumes older ones", baseConfig(func(c *Config) { c.Options.MaxConcurrent = 2 }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}, wake: "+200"},
			step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}, wake: "+1100"},
			step{at: 300, ev: Tick{}, want: nil, wake: "+1100"},
			coordsDone(310, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			completeCheckpoint(320, 2,
				"notify-aborted 1: checkpoint: subsumed by a newer completed checkpoint",
				"discard 1 job/chk-1",
				"snapshot-coordinators 3 checkpoint"),
		)},
		{"timeout aborts and fails the job at zero tolerance", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(105, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			step{at: 110, ev: ack(1, src0)},
			step{at: 1099, ev: Tick{}, want: nil},
			step{at: 1100, ev: Tick{}, want: []string{
				"notify-aborted 1: checkpoint: expired before completing (execution.checkpointing.timeout) after 1s",
				"discard 1 job/chk-1",
				"fail-job: checkpoint: exceeded the tolerable number of failed checkpoints (1 in a row, execution.checkpointing.tolerable-failed-checkpoints is 0); the last: checkpoint: expired...",
			}, wake: "none"},
		)},
		{"tolerable failures count only consecutive ones", baseConfig(func(c *Config) { c.Options.TolerableFailures = 1 }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			step{at: 101, ev: Decline{ID: 1, Task: map1, Err: errors.New("disk full")}, want: []string{
				"notify-aborted 1: checkpoint: declined by a task 1/1: disk full", "discard 1 job/chk-1"}},
			step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}},
			completeCheckpoint(210, 2),
			step{at: 300, ev: Tick{}, want: []string{"snapshot-coordinators 3 checkpoint"}},
			step{at: 301, ev: CoordinatorsSnapshotted{ID: 3, Err: errors.New("enumerator down")}, want: []string{
				"notify-aborted 3: checkpoint: operator coordinators failed to snapshot: enumerator down", "discard 3 job/chk-3"}},
			step{at: 400, ev: Tick{}, want: []string{"snapshot-coordinators 4 checkpoint"}},
			coordsDone(400, 4, "trigger 4 checkpoint job/chk-4 [0/0 0/1]"),
			acks(401, 4, []string{"write-metadata 4 checkpoint job/chk-4 ops=[op0[0 1]+coord op1[0 1] op2[0]]"}, allTasks...),
			step{at: 402, ev: MetadataWritten{ID: 4, Err: errors.New("bucket gone")}, want: []string{
				"notify-aborted 4: checkpoint: writing metadata failed: bucket gone",
				"discard 4 job/chk-4",
				"fail-job: checkpoint: exceeded the tolerable number of failed checkpoints (2 in a row, execution.checkpointing.tolerable-failed-checkpoints is 1); the last: checkpoint: writing metadata failed: bucket gone"}},
			// Failing over: no further triggers until the job runs again.
			step{at: 500, ev: Tick{}, want: nil, wake: "none"},
			step{at: 510, ev: JobStopped{Cause: StopRestart}},
			step{at: 520, ev: JobRunning{Restored: &Restored{ID: 2, Path: "job/chk-2", At: t0.Add(520 * time.Millisecond)}}, wake: "+620"},
			step{at: 620, ev: Tick{}, want: []string{"snapshot-coordinators 5 checkpoint"}},
		)},
		{"late acks of an aborted checkpoint discard again; stale events are ignored", baseConfig(func(c *Config) { c.Options.TolerableFailures = 5 }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			step{at: 101, ev: Decline{ID: 1, Task: src0, Err: errors.New("x")}, want: []string{"notify-aborted 1: checkpoint: declined by a task 0/0: x", "discard 1 job/chk-1"}},
			step{at: 102, ev: ack(1, sink), want: []string{"discard 1 job/chk-1"}},
			step{at: 103, ev: ack(99, sink), want: nil},
			step{at: 104, ev: Decline{ID: 1, Task: src1, Err: errors.New("y")}, want: nil},
			step{at: 105, ev: MetadataWritten{ID: 1}, want: nil},
			coordsDone(106, 1),
		)},
		{"unaligned checkpoints, aligned savepoints, savepoints ignore limits", baseConfig(func(c *Config) {
			c.Options.Unaligned, c.Options.AlignedTimeout = true, 50*time.Millisecond
			c.Options.MinPause = time.Hour
		}), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1] unaligned aligned-timeout=50ms"),
			step{at: 110, ev: TriggerSavepoint{Request: "r1", Dir: "sp/savepoint-1"}, want: []string{"snapshot-coordinators 2 savepoint"}},
			coordsDone(111, 2, "trigger 2 savepoint sp/savepoint-1 [0/0 0/1]"),
			acks(112, 2, []string{"write-metadata 2 savepoint sp/savepoint-1 ops=[op0[0 1]+coord op1[0 1] op2[0]]"}, allTasks...),
			step{at: 113, ev: MetadataWritten{ID: 2}, want: []string{"notify-complete 2", "savepoint-done r1 2 sp/savepoint-1"}},
			// Checkpoint 1 is still pending: the savepoint did not subsume it.
			acks(114, 1, []string{meta1}, allTasks...),
			step{at: 115, ev: MetadataWritten{ID: 1}, want: []string{"notify-complete 1"}, wake: "+3600115"},
			// The min pause does not hold back savepoints, nor do failures count.
			step{at: 120, ev: TriggerSavepoint{Request: "r2", Dir: "sp/savepoint-2"}, want: []string{"snapshot-coordinators 3 savepoint"}},
			step{at: 121, ev: Decline{ID: 3, Task: src0, Err: errors.New("no")}, want: []string{
				"notify-aborted 3: checkpoint: declined by a task 0/0: no", "discard 3 sp/savepoint-2",
				"savepoint-done r2 3 error: checkpoint: declined by a task 0/0: no"}},
		)},
		{"savepoint requests that cannot run", baseConfig(nil), lines(
			step{at: 0, ev: TriggerSavepoint{Request: "early", Dir: "sp/x"}, want: []string{"savepoint-done early 0 error: checkpoint: job is not running"}},
			step{at: 1, ev: JobRunning{}},
			step{at: 2, ev: TriggerSavepoint{Request: "nodir"}, want: []string{"savepoint-done nodir 0 error: " + ErrNoSavepointDir.Error()}},
			step{at: 3, ev: TriggerSavepoint{Request: "drain", Dir: "sp/x", Drain: true}, want: []string{"savepoint-done drain 0 error: checkpoint: drain applies only to stop-with-savepoint"}},
		)},
		{"stop-with-savepoint suspends checkpoints and ends the job", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			completeCheckpoint(100, 1),
			step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}},
			coordsDone(200, 2, "trigger 2 checkpoint job/chk-2 [0/0 0/1]"),
			step{at: 210, ev: TriggerSavepoint{Request: "stop", Dir: "sp/s", Stop: true, Drain: true}, want: []string{
				"notify-aborted 2: checkpoint: periodic checkpoints suspended for stop-with-savepoint", "discard 2 job/chk-2",
				"snapshot-coordinators 3 savepoint"}, wake: "+1210"},
			step{at: 211, ev: TriggerSavepoint{Request: "again", Dir: "sp/t", Stop: true}, want: []string{"savepoint-done again 0 error: checkpoint: the job is already stopping with a savepoint"}},
			coordsDone(212, 3, "trigger 3 savepoint sp/s [0/0 0/1] stop drain"),
			acks(213, 3, []string{"write-metadata 3 savepoint sp/s ops=[op0[0 1]+coord op1[0 1] op2[0]]"}, allTasks...),
			step{at: 214, ev: MetadataWritten{ID: 3}, want: []string{"notify-complete 3", "savepoint-done stop 3 sp/s"}, wake: "none"},
			step{at: 400, ev: Tick{}, want: nil},
			step{at: 401, ev: TaskFinished{Task: src0}},
			step{at: 402, ev: JobStopped{Cause: StopFinished}, want: []string{"discard 1 job/chk-1"}},
			step{at: 403, ev: TriggerSavepoint{Request: "late", Dir: "sp/u"}, want: []string{"savepoint-done late 0 error: checkpoint: job is not running"}},
		)},
		{"a failed stop-with-savepoint resumes periodic checkpoints", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 50, ev: TriggerSavepoint{Request: "stop", Dir: "sp/s", Stop: true}, want: []string{"snapshot-coordinators 1 savepoint"}, wake: "+1050"},
			step{at: 150, ev: Tick{}, want: nil},
			step{at: 1050, ev: Tick{}, want: []string{
				"notify-aborted 1: checkpoint: expired before completing (execution.checkpointing.timeout) after 1s",
				"discard 1 sp/s", "savepoint-done stop 1 error: checkpoint: expired...",
				"snapshot-coordinators 2 checkpoint"}},
		)},
		{"finished tasks count as acked and expose their successors", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			acks(101, 1, nil, src0, map0, sink),
			step{at: 102, ev: TaskFinished{Task: src1}, want: []string{"trigger 1 checkpoint job/chk-1 [1/1]"}},
			step{at: 103, ev: ack(1, map1), want: []string{"write-metadata 1 checkpoint job/chk-1 ops=[op0[0]+coord op1[0 1] op2[0]]"}},
			step{at: 104, ev: MetadataWritten{ID: 1}, want: []string{"notify-complete 1"}},
			step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}},
			coordsDone(200, 2, "trigger 2 checkpoint job/chk-2 [0/0 1/1]"),
			// Finishing the last task waiting turns the checkpoint persistent.
			acks(201, 2, nil, src0, map0, sink),
			step{at: 202, ev: TaskFinished{Task: map1}, want: []string{"write-metadata 2 checkpoint job/chk-2 ops=[op0[0]+coord op1[0] op2[0]]"}},
		)},
		{"final checkpoint once all input ended", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 10, ev: EndOfData{Task: src0}},
			step{at: 11, ev: EndOfData{Task: src1}},
			step{at: 12, ev: EndOfData{Task: map0}},
			step{at: 13, ev: EndOfData{Task: map1}},
			step{at: 14, ev: EndOfData{Task: sink}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			step{at: 15, ev: EndOfData{Task: sink}, want: nil},
			completeCheckpoint(20, 1),
			step{at: 21, ev: TaskFinished{Task: src0}},
			step{at: 21, ev: TaskFinished{Task: src1}},
			step{at: 21, ev: TaskFinished{Task: map0}},
			step{at: 21, ev: TaskFinished{Task: map1}, wake: "+114"},
			step{at: 22, ev: TaskFinished{Task: sink}, wake: "none"},
			step{at: 200, ev: Tick{}, want: nil},
			step{at: 201, ev: JobStopped{Cause: StopFinished}, want: []string{"discard 1 job/chk-1"}},
		)},
		{"a failed final checkpoint is retried at once", baseConfig(func(c *Config) { c.Options.TolerableFailures = 3 }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 10, ev: TaskFinished{Task: src1}},
			step{at: 10, ev: TaskFinished{Task: map1}},
			step{at: 11, ev: EndOfData{Task: src0}},
			step{at: 11, ev: EndOfData{Task: map0}},
			step{at: 12, ev: EndOfData{Task: sink}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(13, 1, "trigger 1 checkpoint job/chk-1 [0/0]"),
			step{at: 14, ev: Decline{ID: 1, Task: sink, Err: errors.New("busy")}, want: []string{
				"notify-aborted 1: checkpoint: declined by a task 2/0: busy", "discard 1 job/chk-1",
				"snapshot-coordinators 2 checkpoint"}},
			step{at: 15, ev: JobStopped{Cause: StopCanceled}, want: []string{
				"notify-aborted 2: checkpoint: job stopped (canceled)", "discard 2 job/chk-2"}},
		)},
		{"without checkpoints after tasks finish, a finished task stops checkpoints", baseConfig(func(c *Config) { c.Options.AfterTasksFinish = false }), lines(
			step{at: 0, ev: JobRunning{}, wake: "+100"},
			step{at: 50, ev: TaskFinished{Task: src1}, wake: "none"},
			step{at: 100, ev: Tick{}, want: nil},
			step{at: 101, ev: TriggerSavepoint{Request: "r", Dir: "sp/x"}, want: []string{
				"savepoint-done r 0 error: checkpoint: tasks have finished; set execution.checkpointing.checkpoints-after-tasks-finish: true to snapshot jobs with finished tasks"}},
			step{at: 102, ev: EndOfData{Task: src0}},
			step{at: 102, ev: EndOfData{Task: map0}},
			step{at: 102, ev: EndOfData{Task: map1}},
			step{at: 102, ev: EndOfData{Task: sink}, want: nil, wake: "none"},
		)},
		{"ids continue after a restore; a restart aborts without counting", baseConfig(func(c *Config) { c.StartID = 42 }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 42 checkpoint"}},
			coordsDone(100, 42, "trigger 42 checkpoint job/chk-42 [0/0 0/1]"),
			step{at: 150, ev: JobStopped{Cause: StopRestart}, want: []string{"notify-aborted 42: checkpoint: job stopped (restart)", "discard 42 job/chk-42"}, wake: "none"},
			step{at: 160, ev: JobRunning{}, wake: "+260"},
			step{at: 260, ev: Tick{}, want: []string{"snapshot-coordinators 43 checkpoint"}},
		)},
		{"a claimed snapshot is discarded once subsumed", baseConfig(func(c *Config) {
			c.StartID, c.Options.NumRetained = 6, 1
			c.Retained = []Retained{{ID: 5, Dir: "file:///old/job/chk-5"}}
		}), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 6 checkpoint"}},
			completeCheckpoint(100, 6, "discard 5 file:///old/job/chk-5"),
		)},
		{"retention on cancellation", baseConfig(func(c *Config) { c.Options.Retention = RetainOnCancellation }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			completeCheckpoint(100, 1),
			step{at: 101, ev: JobStopped{Cause: StopCanceled}, want: nil},
		)},
		{"delete on cancellation keeps checkpoints of a failed job", baseConfig(func(c *Config) { c.Options.Retention = DeleteOnCancellation }), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			completeCheckpoint(100, 1),
			step{at: 101, ev: JobStopped{Cause: StopFailed}, want: nil},
		)},
		{"a metadata write in flight when the job ends still decides", baseConfig(nil), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
			acks(100, 1, []string{meta1}, allTasks...),
			step{at: 101, ev: JobStopped{Cause: StopCanceled}, want: nil, wake: "none"},
			step{at: 2000, ev: Tick{}, want: nil},
			step{at: 2001, ev: MetadataWritten{ID: 1}, want: []string{"notify-complete 1", "discard 1 job/chk-1"}},
		)},
		{"at least once and operator infos", baseConfig(func(c *Config) {
			c.Options.Mode = AtLeastOnce
			c.Operators = []OperatorInfo{
				{UID: "op0", Name: "Source", Vertex: 0, Parallelism: 2, MaxParallelism: 128},
				{UID: "op1", Name: "Map", Vertex: 1, Parallelism: 2, MaxParallelism: 128},
				{UID: "stateless", Name: "Filter", Vertex: 1, Parallelism: 2, MaxParallelism: 128},
				{UID: "op2", Name: "Sink", Vertex: 2, Parallelism: 1, MaxParallelism: 128},
			}
		}), lines(
			step{at: 0, ev: JobRunning{}},
			step{at: 0, ev: TaskFinished{Task: src0}},
			step{at: 0, ev: TaskFinished{Task: src1}},
			step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
			coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [1/0 1/1] at-least-once"),
			acks(100, 1, []string{"write-metadata 1 checkpoint job/chk-1 ops=[op0[]+coord op1[0 1] stateless[] op2[0]] finished=[op0]"}, map0, map1, sink),
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runTranscript(t, tt.cfg, tt.steps) })
	}
}

func TestCoordinatorRetained(t *testing.T) {
	c := runTranscript(t, baseConfig(func(c *Config) { c.Retained = []Retained{{ID: 1, Dir: "/old/chk-1"}}; c.StartID = 2 }), lines(
		step{at: 0, ev: JobRunning{}},
		step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}},
		completeCheckpoint(100, 2),
		step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 3 checkpoint"}},
		completeCheckpoint(200, 3, "discard 1 /old/chk-1"),
	))
	if got := fmt.Sprint(c.Retained()); got != "[{2 job/chk-2} {3 job/chk-3}]" {
		t.Errorf("Retained() = %s", got)
	}
	if c.Terminated() {
		t.Error("terminated while running")
	}
	c.Step(t0.Add(time.Second), JobStopped{Cause: StopFinished})
	if !c.Terminated() || len(c.Retained()) != 0 {
		t.Errorf("after the end: terminated %v, retained %v", c.Terminated(), c.Retained())
	}
}

func TestCoordinatorConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"duplicate task", baseConfig(func(c *Config) { c.Tasks = []Task{{ID: src0}, {ID: src0}} }), "listed twice"},
		{"unknown input", baseConfig(func(c *Config) { c.Tasks = []Task{{ID: map0, Inputs: []TaskID{src0}}} }), "unknown task 0/0"},
		{"bad options", baseConfig(func(c *Config) { c.Options.MaxConcurrent = 0 }), "max-concurrent-checkpoints must be at least 1"},
	}
	for _, tt := range tests {
		if _, err := NewCoordinator(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
		}
	}
}

// The metadata carries every acknowledged state, sorted by subtask.
func TestCoordinatorMetadata(t *testing.T) {
	c, err := NewCoordinator(baseConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	c.Step(t0, JobRunning{})
	c.Step(t0.Add(100*time.Millisecond), Tick{})
	c.Step(t0.Add(100*time.Millisecond), CoordinatorsSnapshotted{ID: 1, States: map[string][]byte{"op0": []byte("enum")}})
	var out []Decision
	for _, task := range []TaskID{sink, map1, src1, map0, src0} {
		out = c.Step(t0.Add(150*time.Millisecond), ack(1, task))
	}
	wm, ok := out[0].(WriteMetadata)
	if !ok {
		t.Fatalf("decided %v", out)
	}
	m := wm.Metadata
	if m.JobID != "job" || m.CheckpointID != 1 || !m.Timestamp.Equal(t0.Add(100*time.Millisecond)) {
		t.Errorf("metadata header %+v", m)
	}
	op1 := m.Operator("op1")
	if op1 == nil || len(op1.Subtasks) != 2 || op1.Subtasks[0].Index != 0 || op1.Subtasks[1].Index != 1 || op1.MaxParallelism != 128 {
		t.Errorf("op1 = %+v", op1)
	}
	if string(m.Operator("op0").Coordinator) != "enum" {
		t.Error("coordinator state missing")
	}
	if _, err := m.MarshalBinary(); err != nil {
		t.Errorf("coordinator metadata does not encode: %v", err)
	}
}

func TestCoordinatorStats(t *testing.T) {
	cfg := baseConfig(func(c *Config) { c.HistorySize = 3; c.Options.TolerableFailures = 10 })
	c := runTranscript(t, cfg, lines(
		step{at: 0, ev: JobRunning{Restored: &Restored{ID: 7, Path: "file:///sp/savepoint-1", IsSavepoint: true, At: t0}}},
		step{at: 100, ev: Tick{}, want: []string{"snapshot-coordinators 1 checkpoint"}},
		coordsDone(100, 1, "trigger 1 checkpoint job/chk-1 [0/0 0/1]"),
		acks(130, 1, []string{meta1}, allTasks...),
		step{at: 140, ev: MetadataWritten{ID: 1}, want: []string{"notify-complete 1"}},
		step{at: 200, ev: Tick{}, want: []string{"snapshot-coordinators 2 checkpoint"}},
		step{at: 210, ev: CoordinatorsSnapshotted{ID: 2, Err: errors.New("boom")}, want: []string{"notify-aborted 2: checkpoint: operator coordinators failed to snapshot: boom", "discard 2 job/chk-2"}},
		step{at: 300, ev: Tick{}, want: []string{"snapshot-coordinators 3 checkpoint"}},
		coordsDone(300, 3, "trigger 3 checkpoint job/chk-3 [0/0 0/1]"),
		step{at: 310, ev: ack(3, src0)},
		step{at: 320, ev: TriggerSavepoint{Request: "r", Dir: "sp/a"}, want: []string{"snapshot-coordinators 4 savepoint"}},
	))
	s := c.Stats()
	if s.Counts != (Counts{Restored: 1, Total: 4, InProgress: 2, Completed: 1, Failed: 1}) {
		t.Errorf("counts %+v", s.Counts)
	}
	lc := s.Latest.Completed
	if lc == nil || lc.ID != 1 || lc.StateSize != 5*10+4 || lc.EndToEndDuration != 40 || lc.ExternalPath != "job/chk-1" ||
		lc.NumAcknowledged != 5 || lc.NumSubtasks != 5 || lc.LatestAckTimestamp != t0.Add(130*time.Millisecond).UnixMilli() ||
		lc.Status != StatusCompleted || lc.CheckpointType != "CHECKPOINT" {
		t.Errorf("latest completed %+v", lc)
	}
	if f := s.Latest.Failed; f == nil || f.ID != 2 || f.Status != StatusFailed || !strings.Contains(f.FailureMessage, "boom") ||
		f.FailureTimestamp != t0.Add(210*time.Millisecond).UnixMilli() {
		t.Errorf("latest failed %+v", f)
	}
	if r := s.Latest.Restored; r == nil || r.ID != 7 || !r.IsSavepoint || r.ExternalPath != "file:///sp/savepoint-1" {
		t.Errorf("restored %+v", r)
	}
	if len(s.History) != 3 || s.History[0].ID != 4 || s.History[2].ID != 2 {
		t.Errorf("history %+v", s.History)
	}
	if cs, ok := s.Checkpoint(3); !ok || cs.Status != StatusInProgress || cs.NumAcknowledged != 1 || cs.StateSize != 10 {
		t.Errorf("in progress %+v", cs)
	}
	if cs, _ := s.Checkpoint(4); !cs.IsSavepoint || cs.CheckpointType != "SAVEPOINT" {
		t.Errorf("savepoint %+v", cs)
	}
	if s.Summary.StateSize != (MinMaxAvg{Min: 54, Max: 54, Avg: 54}) || s.Summary.EndToEndDuration.Avg != 40 {
		t.Errorf("summary %+v", s.Summary)
	}

	// The JSON carries Flink's field names.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"counts":{"restored":1,"total":4,"in_progress":2,"completed":1,"failed":1}`,
		`"latest":{"completed":{"id":1,"status":"COMPLETED"`, `"external_path":"job/chk-1"`, `"end_to_end_duration":40`,
		`"failure_message":`, `"restore_timestamp":`, `"num_acknowledged_subtasks":5`, `"checkpoint_type":"SAVEPOINT"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("stats JSON lacks %s:\n%s", key, b)
		}
	}

	// Stats are a copy.
	s.History[0].ID = 99
	if c.Stats().History[0].ID != 4 {
		t.Error("Stats shares memory with the coordinator")
	}
}

func TestJoinLoc(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"", "chk-3"},
		{"job", "job/chk-3"},
		{"file:///c/job/", "file:///c/job/chk-3"},
		{"s3://b/c/job?region=eu&endpoint=http://h:9000", "s3://b/c/job/chk-3?region=eu&endpoint=http://h:9000"},
	}
	for _, tt := range tests {
		if got := joinLoc(tt.dir, "chk-3"); got != tt.want {
			t.Errorf("joinLoc(%q) = %q, want %q", tt.dir, got, tt.want)
		}
		if tt.dir == "" {
			continue
		}
		// The coordinator's directories agree with the storage's.
		if l, err := parseLocation(tt.dir); err == nil && strings.Contains(tt.dir, "://") {
			if want := l.join("chk-3").String(); joinLoc(l.String(), "chk-3") != want {
				t.Errorf("joinLoc(%q) = %q, storage says %q", l, joinLoc(l.String(), "chk-3"), want)
			}
		}
	}
}
