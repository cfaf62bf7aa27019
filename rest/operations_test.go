package rest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestOperations(t *testing.T) {
	now := time.Unix(1000, 0)
	ops := NewOperations(time.Minute)
	ops.now = func() time.Time { return now }
	job, other := NewJobID(), NewJobID()

	ok, started := ops.Start(job, TriggerID{})
	if !started || ok.IsZero() {
		t.Fatalf("Start = %s, %v", ok, started)
	}
	failed, _ := ops.Start(job, TriggerID{})
	if failed == ok {
		t.Fatal("two operations got the same trigger id")
	}

	if st, err := ops.Status(job, ok); err != nil || st.Done() || st.Operation != nil || st.Status.ID != OperationInProgress {
		t.Fatalf("Status in progress = %+v, %v", st, err)
	}
	if _, err := ops.Status(other, ok); !errors.Is(err, ErrOperationNotFound) {
		t.Fatalf("Status of another job's trigger: error = %v, want ErrOperationNotFound", err)
	}

	if err := ops.Complete(job, ok, "file:///sp/savepoint-1"); err != nil {
		t.Fatal(err)
	}
	if err := ops.Complete(job, ok, "again"); !errors.Is(err, ErrOperationNotFound) {
		t.Fatalf("second Complete: error = %v, want ErrOperationNotFound", err)
	}
	cause := fmt.Errorf("checkpoint: declined by subtask 3: %w", errors.New("disk full"))
	if err := ops.Fail(job, failed, cause); err != nil {
		t.Fatal(err)
	}

	st, err := ops.Status(job, ok)
	if loc, rerr := st.Result(); err != nil || !st.Done() || loc != "file:///sp/savepoint-1" || rerr != nil {
		t.Fatalf("Status completed = %+v, %v; Result = %q, %v", st, err, loc, rerr)
	}
	st, _ = ops.Status(job, failed)
	_, rerr := st.Result()
	var opErr *OperationError
	if !st.Done() || !errors.As(rerr, &opErr) || opErr.Cause.StackTrace != cause.Error() || opErr.Cause.Class != "*fmt.wrapError" {
		t.Fatalf("Status failed = %+v; Result error = %v", st, rerr)
	}

	// Results are kept for the retention time after they end.
	now = now.Add(59 * time.Second)
	if _, err := ops.Status(job, ok); err != nil {
		t.Fatalf("result expired early: %v", err)
	}
	inFlight, _ := ops.Start(job, TriggerID{})
	now = now.Add(time.Second)
	if _, err := ops.Status(job, ok); !errors.Is(err, ErrOperationNotFound) {
		t.Fatalf("result kept past retention: error = %v", err)
	}
	now = now.Add(time.Hour)
	if st, err := ops.Status(job, inFlight); err != nil || st.Done() {
		t.Fatalf("operation in progress expired: %+v, %v", st, err)
	}
}

func TestOperationsIdempotentTrigger(t *testing.T) {
	ops := NewOperations(time.Minute)
	job := NewJobID()
	want := NewTriggerID()
	if got, started := ops.Start(job, want); got != want || !started {
		t.Fatalf("Start(requested) = %s, %v; want %s, true", got, started, want)
	}
	if got, started := ops.Start(job, want); got != want || started {
		t.Fatalf("repeated Start(requested) = %s, %v; want %s, false", got, started, want)
	}
	// The same trigger id for another job is another operation.
	if _, started := ops.Start(NewJobID(), want); !started {
		t.Fatal("trigger id of another job was taken as a repeat")
	}
}

func TestOperationsConcurrent(t *testing.T) {
	ops := NewOperations(time.Minute)
	job := NewJobID()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				id, _ := ops.Start(job, TriggerID{})
				if _, err := ops.Status(job, id); err != nil {
					t.Error(err)
					return
				}
				if err := ops.Complete(job, id, "x"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
