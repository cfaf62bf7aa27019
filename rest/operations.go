package rest

import (
	"fmt"
	"sync"
	"time"
)

// Operations tracks the asynchronous operations of a Cluster: it hands out
// trigger ids, records each operation's result, and answers status queries
// until the result has been kept for the retention time. It is safe for
// concurrent use; the zero value is not usable, create one with
// [NewOperations].
//
// A Cluster uses it like this:
//
//	trigger, started := ops.Start(job, req.TriggerID)
//	if started {
//		// start the savepoint; when it ends, from any goroutine:
//		// ops.Complete(job, trigger, location) or ops.Fail(job, trigger, err)
//	}
//	return trigger, nil
//
// and SavepointStatus returns ops.Status(job, trigger).
type Operations struct {
	retention time.Duration
	now       func() time.Time

	// mu guards ops.
	mu  sync.Mutex
	ops map[opKey]*operation
}

type opKey struct {
	job     JobID
	trigger TriggerID
}

type operation struct {
	done   bool
	result SavepointInfo
	ended  time.Time
}

// NewOperations returns an empty tracker that keeps results of completed
// operations for retention (rest.async.store-duration) after they end.
// Operations in progress are kept until they end.
func NewOperations(retention time.Duration) *Operations {
	return &Operations{retention: retention, now: time.Now, ops: map[opKey]*operation{}}
}

// Start registers a new operation of job and returns its trigger id, and
// started=true. If requested is set, it is the id; if an operation of job
// with that id is already known, Start returns it with started=false, and
// the caller must not start the operation again (idempotent triggering).
func (o *Operations) Start(job JobID, requested TriggerID) (id TriggerID, started bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.expireLocked()
	if !requested.IsZero() {
		if _, ok := o.ops[opKey{job, requested}]; ok {
			return requested, false
		}
		id = requested
	} else {
		for id = NewTriggerID(); o.ops[opKey{job, id}] != nil; id = NewTriggerID() {
		}
	}
	o.ops[opKey{job, id}] = &operation{}
	return id, true
}

// Complete records that the operation succeeded and wrote its savepoint to
// location. It returns ErrOperationNotFound if no such operation is in
// progress.
func (o *Operations) Complete(job JobID, trigger TriggerID, location string) error {
	return o.finish(job, trigger, SavepointInfo{Location: location})
}

// Fail records that the operation failed with cause.
func (o *Operations) Fail(job JobID, trigger TriggerID, cause error) error {
	return o.finish(job, trigger, SavepointInfo{FailureCause: &FailureCause{
		Class:      fmt.Sprintf("%T", cause),
		StackTrace: cause.Error(),
	}})
}

func (o *Operations) finish(job JobID, trigger TriggerID, result SavepointInfo) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	op := o.ops[opKey{job, trigger}]
	if op == nil || op.done {
		return fmt.Errorf("%w: no operation %s of job %s is in progress", ErrOperationNotFound, trigger, job)
	}
	op.done, op.result, op.ended = true, result, o.now()
	return nil
}

// Status returns the state of an operation, or an error wrapping
// ErrOperationNotFound.
func (o *Operations) Status(job JobID, trigger TriggerID) (AsyncOperation, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.expireLocked()
	op := o.ops[opKey{job, trigger}]
	if op == nil {
		return AsyncOperation{}, fmt.Errorf(
			"%w: there is no savepoint operation with trigger id %s for job %s; "+
				"results are kept for %s after the operation ends (rest.async.store-duration)",
			ErrOperationNotFound, trigger, job, o.retention)
	}
	if !op.done {
		return AsyncOperation{Status: QueueStatus{OperationInProgress}}, nil
	}
	result := op.result
	return AsyncOperation{Status: QueueStatus{OperationCompleted}, Operation: &result}, nil
}

func (o *Operations) expireLocked() {
	now := o.now()
	for k, op := range o.ops {
		if op.done && now.Sub(op.ended) >= o.retention {
			delete(o.ops, k)
		}
	}
}
