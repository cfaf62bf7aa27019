package checkpoint

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Runtime is what the Driver needs from the job's runtime. The Driver
// calls it from its own goroutine, one call at a time; only
// SnapshotCoordinators runs on a goroutine of its own. Methods other than
// SnapshotCoordinators must not block for long, and none may wait for the
// Driver to process an event (posting one with Driver.Post is fine).
type Runtime interface {
	// SnapshotCoordinators snapshots every operator coordinator (source
	// enumerator) for checkpoint id and returns their states by operator
	// UID. It may block, but must return once ctx is cancelled (the
	// driver stops and waits for it).
	SnapshotCoordinators(ctx context.Context, id int64, kind Kind) (map[string][]byte, error)
	// TriggerTasks makes tasks snapshot and emit barrier b. Each task
	// later reports with an Ack or Decline event, or ends with
	// TaskFinished.
	TriggerTasks(b Barrier, tasks []TaskID)
	// NotifyComplete tells tasks and operator coordinators that
	// checkpoint id completed.
	NotifyComplete(id int64)
	// NotifyAborted tells tasks and operator coordinators that checkpoint
	// id was aborted.
	NotifyAborted(id int64, reason error)
	// FailJob fails the job over: too many checkpoints failed. The
	// runtime reports the restart with JobStopped and JobRunning.
	FailJob(err error)
}

// Driver owns a Coordinator: one goroutine (Run) feeds it events and the
// clock, carries out its decisions by calling the Runtime, and does the
// storage I/O (metadata writes, discards) on goroutines of its own whose
// results come back as events. Post, Savepoint and Stats are safe to call
// from any goroutine.
type Driver struct {
	storage *Storage
	rt      Runtime
	log     *slog.Logger
	now     func() time.Time
	jobID   string
	opts    Options

	// mu guards coord: Run steps it, Stats reads it.
	mu struct {
		sync.Mutex
		coord *Coordinator
	}

	// inbox is unbounded, so posting never blocks: a runtime callback
	// that posts while the driver calls into the runtime cannot deadlock.
	inbox struct {
		sync.Mutex
		events []Event
	}
	signal chan struct{} // capacity 1: the inbox has events

	// waiters guards the callers of Savepoint waiting for a result.
	waiters struct {
		sync.Mutex
		m map[string]chan SavepointDone
	}
	requests atomic.Uint64
	done     chan struct{} // closed when Run returns
}

// DriverOptions are the optional parts of a Driver.
type DriverOptions struct {
	// Logger receives checkpoint progress (debug) and failures (warn);
	// nil uses slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// NewDriver drives coord, storing into storage and calling rt.
func NewDriver(coord *Coordinator, storage *Storage, rt Runtime, o DriverOptions) *Driver {
	d := &Driver{
		storage: storage, rt: rt, log: o.Logger, now: o.Now,
		jobID: coord.cfg.JobID, opts: coord.opts,
		signal: make(chan struct{}, 1), done: make(chan struct{}),
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.log = d.log.With("job", d.jobID)
	d.mu.coord = coord
	d.waiters.m = map[string]chan SavepointDone{}
	return d
}

// Post hands ev to the coordinator. It never blocks; events posted after
// Run returned are dropped.
func (d *Driver) Post(ev Event) {
	d.inbox.Lock()
	d.inbox.events = append(d.inbox.events, ev)
	d.inbox.Unlock()
	select {
	case d.signal <- struct{}{}:
	default:
	}
}

func (d *Driver) take() []Event {
	d.inbox.Lock()
	defer d.inbox.Unlock()
	evs := d.inbox.events
	d.inbox.events = nil
	return evs
}

// Stats returns the coordinator's statistics.
func (d *Driver) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.coord.Stats()
}

// Savepoint takes a savepoint and waits for it. dir is the target parent
// directory (empty: state.savepoints.dir); the savepoint is written to
// dir/savepoint-<first 6 characters of the job id>-<12 random hex digits>,
// whose location is returned. stop ends the job once the savepoint
// completes; drain (with stop) first advances event time to the end.
// If ctx ends first, the savepoint goes on but its outcome is dropped.
func (d *Driver) Savepoint(ctx context.Context, dir string, stop, drain bool) (string, error) {
	if dir == "" {
		dir = d.opts.SavepointsDir
	}
	if dir == "" {
		return "", ErrNoSavepointDir
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	short := d.jobID
	if len(short) > 6 {
		short = short[:6]
	}
	target, err := JoinDir(dir, "savepoint-"+short+"-"+hex.EncodeToString(rnd[:]))
	if err != nil {
		return "", err
	}
	req := strconv.FormatUint(d.requests.Add(1), 10)
	ch := make(chan SavepointDone, 1)
	d.waiters.Lock()
	d.waiters.m[req] = ch
	d.waiters.Unlock()
	defer func() {
		d.waiters.Lock()
		delete(d.waiters.m, req)
		d.waiters.Unlock()
	}()
	d.Post(TriggerSavepoint{Request: req, Dir: target, Stop: stop, Drain: drain})
	select {
	case r := <-ch:
		return r.Path, r.Err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-d.done:
		return "", ErrNotRunning
	}
}

// Run drives the coordinator until ctx is cancelled, or until the job
// ended (a terminal JobStopped) and the storage work that caused is done.
// It waits for every goroutine it started before it returns. Cancelling
// ctx also cancels storage work in flight; to have the retention policy's
// deletions carried out, post a terminal JobStopped and let Run return by
// itself. It returns nil in both cases.
func (d *Driver) Run(ctx context.Context) error {
	defer close(d.done)
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		for _, ev := range d.take() {
			d.step(wctx, &wg, ev)
		}
		d.mu.Lock()
		wake, ok := d.mu.coord.NextWakeup()
		terminated := d.mu.coord.Terminated()
		d.mu.Unlock()
		if terminated {
			wg.Wait() // the retention deletions
			return nil
		}
		if ok {
			timer.Reset(max(wake.Sub(d.now()), 0))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.signal:
		case <-timer.C:
			d.step(wctx, &wg, Tick{})
		}
	}
}

// step applies one event and carries out the decisions.
func (d *Driver) step(ctx context.Context, wg *sync.WaitGroup, ev Event) {
	d.mu.Lock()
	decisions := d.mu.coord.Step(d.now(), ev)
	d.mu.Unlock()
	for _, dec := range decisions {
		d.execute(ctx, wg, dec)
	}
}

func (d *Driver) execute(ctx context.Context, wg *sync.WaitGroup, dec Decision) {
	switch dec := dec.(type) {
	case SnapshotCoordinators:
		d.log.Debug("checkpoint triggered", "id", dec.ID, "kind", dec.Kind)
		wg.Go(func() {
			states, err := d.rt.SnapshotCoordinators(ctx, dec.ID, dec.Kind)
			d.Post(CoordinatorsSnapshotted{ID: dec.ID, States: states, Err: err})
		})
	case TriggerTasks:
		d.rt.TriggerTasks(dec.Barrier, dec.Tasks)
	case WriteMetadata:
		wg.Go(func() {
			err := d.storage.WriteMetadata(ctx, dec.Dir, dec.Metadata)
			d.Post(MetadataWritten{ID: dec.ID, Err: err})
		})
	case NotifyComplete:
		d.log.Debug("checkpoint completed", "id", dec.ID, "kind", dec.Kind)
		d.rt.NotifyComplete(dec.ID)
	case NotifyAborted:
		if !errors.Is(dec.Reason, ErrSubsumed) && !errors.Is(dec.Reason, ErrJobStopped) && !errors.Is(dec.Reason, ErrJobFinished) {
			d.log.Warn("checkpoint aborted", "id", dec.ID, "reason", dec.Reason)
		}
		d.rt.NotifyAborted(dec.ID, dec.Reason)
	case Discard:
		wg.Go(func() {
			if err := d.storage.Discard(ctx, dec.Dir); err != nil && ctx.Err() == nil {
				d.log.Warn("discarding checkpoint failed", "id", dec.ID, "dir", dec.Dir, "err", err)
			}
		})
	case SavepointDone:
		d.waiters.Lock()
		ch := d.waiters.m[dec.Request]
		d.waiters.Unlock()
		if ch != nil {
			ch <- dec // buffered, one result per request
		}
	case FailJob:
		d.log.Warn("failing the job over", "err", dec.Err)
		d.rt.FailJob(dec.Err)
	default:
		panic(fmt.Sprintf("checkpoint: unknown decision %T", dec))
	}
}
