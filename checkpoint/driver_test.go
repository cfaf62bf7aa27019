package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

// fakeRuntime plays a job of one source and one keyed sink subtask. A
// triggered checkpoint reaches both tasks; each writes a real state file
// on a goroutine of its own (as the asynchronous part of a snapshot does)
// and then acknowledges.
type fakeRuntime struct {
	d       *Driver
	storage *Storage
	tasks   []TaskID
	silent  bool // tasks never acknowledge

	wg sync.WaitGroup
	mu sync.Mutex
	// guarded by mu
	triggered []Barrier
	completed []int64
	aborted   []int64
	failed    []error

	events chan string // "complete <id>", "abort <id>", "fail"
}

func newFakeRuntime(tasks ...TaskID) *fakeRuntime {
	return &fakeRuntime{tasks: tasks, events: make(chan string, 1000)}
}

func (f *fakeRuntime) SnapshotCoordinators(ctx context.Context, id int64, kind Kind) (map[string][]byte, error) {
	return map[string][]byte{"source": fmt.Appendf(nil, "enumerator@%d", id)}, nil
}

func (f *fakeRuntime) TriggerTasks(b Barrier, tasks []TaskID) {
	f.mu.Lock()
	f.triggered = append(f.triggered, b)
	f.mu.Unlock()
	if f.silent {
		return
	}
	for _, task := range f.tasks { // the barrier flows to every task
		f.wg.Go(func() { f.snapshot(b, task) })
	}
}

func (f *fakeRuntime) snapshot(b Barrier, task TaskID) {
	ctx := context.Background()
	uid := fmt.Sprintf("op%d", task.Vertex)
	file, err := f.storage.CreateStateFile(ctx, b.Dir, StateFileName(uid, task.Subtask, "keyed"))
	if err != nil {
		f.d.Post(Decline{ID: b.ID, Task: task, Err: err})
		return
	}
	offs := []int64{0}
	for kg := range 4 {
		fmt.Fprintf(file, "kg%d@%d;", kg, b.ID)
		offs = append(offs, file.Offset())
	}
	if err := file.Close(); err != nil {
		f.d.Post(Decline{ID: b.ID, Task: task, Err: err})
		return
	}
	f.d.Post(Ack{ID: b.ID, Task: task, Operators: []snapshot.OperatorState{{
		UID: uid, Parallelism: 1, MaxParallelism: 4,
		Subtasks: []snapshot.SubtaskState{{Index: task.Subtask, Keyed: &snapshot.KeyedHandle{
			File: file.Name(), KeyGroups: keygroup.Range{Start: 0, End: 3}, Offsets: offs}}},
	}}})
}

func (f *fakeRuntime) NotifyComplete(id int64) {
	f.mu.Lock()
	f.completed = append(f.completed, id)
	f.mu.Unlock()
	f.events <- fmt.Sprintf("complete %d", id)
}

func (f *fakeRuntime) NotifyAborted(id int64, reason error) {
	f.mu.Lock()
	f.aborted = append(f.aborted, id)
	f.mu.Unlock()
	f.events <- fmt.Sprintf("abort %d", id)
}

func (f *fakeRuntime) FailJob(err error) {
	f.mu.Lock()
	f.failed = append(f.failed, err)
	f.mu.Unlock()
	f.events <- "fail"
}

// waitFor reads runtime events until want arrives.
func (f *fakeRuntime) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev := <-f.events:
			if ev == want {
				return
			}
		case <-timeout.C:
			t.Fatalf("no %q within 10s", want)
		}
	}
}

var (
	srcTask  = TaskID{0, 0}
	sinkTask = TaskID{1, 0}
)

// startDriver runs a driver for the two-task job over dir and returns it
// with a function that waits for Run to return.
func startDriver(t *testing.T, dir string, opts Options, rt *fakeRuntime) (*Driver, *Storage, func() error) {
	t.Helper()
	s, err := OpenStorage(t.Context(), dir, testJob)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCoordinator(Config{
		Options: opts, JobID: testJob, JobDir: s.JobDir(), StartID: 1,
		Tasks: []Task{{ID: srcTask}, {ID: sinkTask, Inputs: []TaskID{srcTask}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDriver(c, s, rt, DriverOptions{})
	rt.d, rt.storage = d, s
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var runErr error
	wait := func() error {
		once.Do(func() {
			runErr = <-done
			rt.wg.Wait()
		})
		return runErr
	}
	t.Cleanup(func() {
		cancel()
		wait()
		s.Close()
	})
	d.Post(JobRunning{})
	return d, s, wait
}

func driverOptions(dir string) Options {
	o := baseOptions()
	o.Interval = 20 * time.Millisecond
	o.SavepointsDir, _ = NormalizeDir(dir)
	return o
}

func TestDriverPeriodicCheckpoints(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	forEachBackend(t, func(t *testing.T, dir string) {
		opts := driverOptions("")
		opts.Retention = RetainOnCancellation
		rt := newFakeRuntime(srcTask, sinkTask)
		d, s, wait := startDriver(t, dir, opts, rt)
		rt.waitFor(t, "complete 4")
		d.Post(JobStopped{Cause: StopCanceled})
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		// Retention (num-retained 2) and the aborts left exactly the two
		// newest completed checkpoints.
		ids, err := s.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rt.mu.Lock()
		completed := slices.Clone(rt.completed)
		rt.mu.Unlock()
		if want := completed[len(completed)-2:]; !slices.Equal(ids, want) {
			t.Fatalf("checkpoint dirs %v, want the two newest completed %v (completed %v)", ids, want, completed)
		}
		latest, err := s.Latest(ctx)
		if err != nil || latest.ID != ids[1] || len(latest.Skipped) != 0 {
			t.Fatalf("Latest = %+v, %v", latest, err)
		}
		m := latest.Metadata
		if string(m.Operator("source").Coordinator) != fmt.Sprintf("enumerator@%d", latest.ID) {
			t.Errorf("coordinator state %q", m.Operator("source").Coordinator)
		}
		h := m.Operator("op1").Subtasks[0].Keyed
		start, end := h.Span(2)
		if b, err := s.ReadRange(ctx, latest.Dir, h.File, start, end-start); err != nil || string(b) != fmt.Sprintf("kg2@%d;", latest.ID) {
			t.Errorf("key group 2 = %q, %v", b, err)
		}
		st := d.Stats()
		if st.Counts.Completed < 4 || st.Latest.Completed == nil || st.Latest.Completed.StateSize == 0 {
			t.Errorf("stats %+v", st.Counts)
		}
		// IDs only increase.
		if !slices.IsSorted(completed) {
			t.Errorf("completion order %v", completed)
		}
	})
}

func TestDriverSavepoints(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	forEachBackend(t, func(t *testing.T, dir string) {
		opts := driverOptions(dir + "/savepoints")
		opts.Interval = time.Hour // only the savepoints matter here
		rt := newFakeRuntime(srcTask, sinkTask)
		d, s, wait := startDriver(t, dir, opts, rt)
		ctx := t.Context()

		path, err := d.Savepoint(ctx, "", false, false)
		if err != nil {
			t.Fatal(err)
		}
		norm, _ := NormalizeDir(dir + "/savepoints")
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(norm) + `/savepoint-a1b2c3-[0-9a-f]{12}$`).MatchString(path) {
			t.Errorf("savepoint path %q", path)
		}
		sn, err := OpenSnapshot(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if sn.Metadata.Kind != KindSavepoint || sn.Metadata.CheckpointID != 1 {
			t.Errorf("savepoint metadata %+v", sn.Metadata)
		}
		sn.Close()

		other := dir + "/elsewhere"
		stopPath, err := d.Savepoint(ctx, other, true, true)
		if err != nil {
			t.Fatal(err)
		}
		rt.mu.Lock()
		last := rt.triggered[len(rt.triggered)-1]
		rt.mu.Unlock()
		if !last.Stop || !last.Drain || last.Kind != KindSavepoint || last.Unaligned {
			t.Errorf("stop barrier %+v", last)
		}
		if _, err := d.Savepoint(ctx, "", false, false); !errors.Is(err, ErrStopInProgress) {
			t.Errorf("savepoint after stop: %v", err)
		}
		d.Post(TaskFinished{Task: srcTask})
		d.Post(TaskFinished{Task: sinkTask})
		d.Post(JobStopped{Cause: StopFinished})
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenSnapshot(ctx, stopPath); err != nil {
			t.Errorf("stop savepoint gone: %v", err)
		}
		if _, err := d.Savepoint(ctx, "", false, false); !errors.Is(err, ErrNotRunning) {
			t.Errorf("savepoint after Run returned: %v", err)
		}
		if ids, _ := s.Checkpoints(ctx); len(ids) != 0 {
			t.Errorf("checkpoint dirs left: %v", ids)
		}
	})
}

func TestDriverSavepointWithoutDir(t *testing.T) {
	rt := newFakeRuntime(srcTask, sinkTask)
	d, _, _ := startDriver(t, fileURL(t.TempDir()), driverOptions(""), rt)
	if _, err := d.Savepoint(t.Context(), "", false, false); !errors.Is(err, ErrNoSavepointDir) {
		t.Fatalf("savepoint without a directory: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Savepoint(ctx, t.TempDir(), false, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("savepoint with a cancelled context: %v", err)
	}
}

// Tasks that never acknowledge make checkpoints expire; at zero tolerance
// the first expiry fails the job, and no state is left behind.
func TestDriverTimeoutFailsJob(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	opts := driverOptions("")
	opts.Timeout = 30 * time.Millisecond
	rt := newFakeRuntime(srcTask, sinkTask)
	rt.silent = true
	d, s, wait := startDriver(t, fileURL(t.TempDir()), opts, rt)
	rt.waitFor(t, "fail")
	rt.mu.Lock()
	failed, aborted := slices.Clone(rt.failed), slices.Clone(rt.aborted)
	rt.mu.Unlock()
	if !errors.Is(failed[0], ErrTooManyFailures) || !errors.Is(failed[0], ErrExpired) || !slices.Equal(aborted, []int64{1}) {
		t.Fatalf("failed %v, aborted %v", failed, aborted)
	}
	// Failing over: no checkpoints until the job runs again.
	st := d.Stats()
	time.Sleep(50 * time.Millisecond)
	if d.Stats().Counts.Total != st.Counts.Total {
		t.Error("checkpoints triggered while failing over")
	}
	d.Post(JobStopped{Cause: StopRestart})
	d.Post(JobRunning{})
	rt.waitFor(t, "abort 2")
	d.Post(JobStopped{Cause: StopFailed})
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.Checkpoints(t.Context()); len(ids) != 0 {
		t.Errorf("expired checkpoints left directories: %v", ids)
	}
}
