package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/snapshot"
	"github.com/weirstream/weir/source"
)

// restorePoint is a completed checkpoint or savepoint an attempt starts
// from.
type restorePoint struct {
	id        int64
	savepoint bool
	// path names the snapshot in messages.
	path      string
	read      readRange
	operators map[string]*snapshot.OperatorState
}

// taskID names a subtask: vertex (chain) and subtask index.
type taskID struct{ vertex, subtask int }

// attempt is one run of the job's tasks, from a fresh start or a restore
// point, until they all end or one fails.
type attempt struct {
	name    string
	jg      *graph.JobGraph
	cfg     *config.Configuration
	opts    Options
	log     *slog.Logger
	restore *restorePoint
	// number counts the job's attempts from 0.
	number int
	// cp is nil when checkpointing is off.
	cp *checkpointer

	tasks map[*graph.Vertex][]*task.Task
	hosts map[int]*sourceHost
	byID  map[taskID]*task.Task
	// fail ends the attempt with err (the first failure wins).
	fail func(err error)
}

// task returns subtask id, or nil.
func (a *attempt) task(id taskID) *task.Task { return a.byID[id] }

// checkUnclaimed fails when the restore point holds state of operators
// the job no longer has, unless the user allowed that.
func (a *attempt) checkUnclaimed(allowNonRestored bool) error {
	if a.restore == nil {
		return nil
	}
	uids := map[string]bool{}
	for _, n := range a.jg.Nodes {
		uids[n.UID] = true
	}
	var missing []string
	for uid, st := range a.restore.operators {
		if !uids[uid] {
			missing = append(missing, fmt.Sprintf("%q (%s)", uid, st.Name))
		}
	}
	if len(missing) == 0 || allowNonRestored {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("local: %s holds state of operators this job does not have: %s; "+
		"give the operators their old UIDs, or pass --allowNonRestoredState "+
		"(execution.savepoint.ignore-unclaimed-state: true) to drop that state",
		a.restore.path, strings.Join(missing, ", "))
}

// restoredState returns what subtask i of node n starts from.
func (a *attempt) restoredState(ctx context.Context, n *graph.Node, i int) (*operator.Restored, error) {
	if a.restore == nil {
		return nil, nil
	}
	st := a.restore.operators[n.UID]
	if st == nil {
		return nil, nil
	}
	as, err := st.Assign(n.Parallelism, n.MaxParallelism, i)
	if err != nil {
		return nil, err
	}
	// In-flight data goes to the producers of the edges (replays).
	as.Lists = slices.DeleteFunc(as.Lists, func(l snapshot.ListState) bool { return strings.HasPrefix(l.Name, inflightPrefix) })
	return &operator.Restored{
		CheckpointID: a.restore.id,
		Lists:        as.Lists,
		KeyGroups:    keyGroupReader(ctx, a.restore.read, as),
	}, nil
}

// inflightPrefix starts the names of in-flight data lists.
const inflightPrefix = "inflight "

// inflightKey names the in-flight data of edge e in the consumer's state.
func inflightKey(jg *graph.JobGraph, e *graph.Edge) string {
	return fmt.Sprintf("%s%s -> %s tag %q input %d", inflightPrefix, jg.Nodes[e.From].UID, jg.Nodes[e.To].UID, e.Tag, e.Input)
}

// replayFor returns the in-flight records of edge e that producer subtask
// i of p replays: the restored records of every consumer subtask, dealt
// round-robin over the producers. On a broadcast edge every consumer
// recorded its own copy, so each goes back to one consumer only: old
// consumer j's records to channel j mod the consumers' parallelism,
// replayed by producer j mod p.
func (a *attempt) replayFor(e *graph.Edge, i, p int) ([][]byte, []task.ChannelReplay) {
	if a.restore == nil {
		return nil, nil
	}
	st := a.restore.operators[a.jg.Nodes[e.To].UID]
	if st == nil {
		return nil, nil
	}
	key := inflightKey(a.jg, e)
	consumers := a.jg.Nodes[e.To].Parallelism
	var all [][]byte
	var direct []task.ChannelReplay
	n := 0
	for _, sub := range st.Subtasks {
		for _, l := range sub.Lists {
			if l.Name != key {
				continue
			}
			if e.Part == task.Broadcast {
				if sub.Index%p == i && len(l.Elements) > 0 {
					direct = append(direct, task.ChannelReplay{Channel: sub.Index % consumers, Records: l.Elements})
				}
				continue
			}
			for _, rec := range l.Elements {
				if n%p == i {
					all = append(all, rec)
				}
				n++
			}
		}
	}
	return all, direct
}

// runRestoreHooks lets nodes act on the restored checkpoint once before
// any subtask starts (two-phase sinks commit what it pre-committed).
func (a *attempt) runRestoreHooks() error {
	if a.restore == nil {
		return nil
	}
	for _, n := range a.jg.Nodes {
		if n.OnRestore == nil {
			continue
		}
		if err := n.OnRestore(a.restore.operators[n.UID]); err != nil {
			return fmt.Errorf("local: restore %q from %s: %w", n.Name, a.restore.path, err)
		}
	}
	return nil
}

// build creates and wires the tasks, queues and source coordinators.
func (a *attempt) build(ctx context.Context) error {
	cfg := a.cfg
	a.tasks = map[*graph.Vertex][]*task.Task{}
	a.byID = map[taskID]*task.Task{}
	batch := config.Get(cfg, config.BatchSize)
	capacity := config.Get(cfg, config.BuffersPerChannel)
	timeout := config.Get(cfg, config.BufferTimeout)
	if !config.Get(cfg, config.BufferTimeoutEnabled) {
		timeout = -1
	}
	for _, v := range a.jg.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			id := taskID{v.ID, i}
			t := task.New(task.Config{
				Name: v.Name, Index: i, Parallelism: v.Parallelism, Job: cfg,
				Clock: a.opts.Clock, BufferTimeout: timeout, BatchSize: batch,
				Checkpoints: a.cp.taskConfig(id), Attempt: a.number,
			})
			a.tasks[v] = append(a.tasks[v], t)
			a.byID[id] = t
		}
	}

	// One queue per connected (producer subtask, consumer subtask) pair of
	// every edge that leaves a chain.
	type link struct{ queues [][]*queue.Queue } // [producer][i] following graph.Channels
	links := map[*graph.Edge]*link{}
	consumerQueues := map[*graph.Edge][][]*queue.Queue{} // [consumer] -> queues in producer order
	for _, e := range allEdges(a.jg) {
		if a.jg.Chained(e) {
			continue
		}
		from, to := a.jg.Nodes[e.From], a.jg.Nodes[e.To]
		conn := graph.Channels(e.Part, from.Parallelism, to.Parallelism)
		l := &link{queues: make([][]*queue.Queue, from.Parallelism)}
		cq := make([][]*queue.Queue, to.Parallelism)
		for p, consumers := range conn {
			for _, c := range consumers {
				q := queue.New(capacity)
				l.queues[p] = append(l.queues[p], q)
				cq[c] = append(cq[c], q)
			}
		}
		links[e] = l
		consumerQueues[e] = cq
	}

	a.hosts = map[int]*sourceHost{}
	for _, n := range a.jg.Nodes {
		if n.Source == nil {
			continue
		}
		var restored []byte
		if a.restore != nil {
			if st := a.restore.operators[n.UID]; st != nil {
				restored = st.Coordinator
			}
		}
		h := &sourceHost{name: n.Name, uid: n.UID, tasks: a.tasks[a.jg.VertexOf[n.ID]], ops: make([]eventHandler, n.Parallelism)}
		h.coord = n.Source.NewCoordinator(n.Parallelism, cfg, h.deliver, restored)
		a.hosts[n.ID] = h
	}

	for _, v := range a.jg.Vertices {
		for i, t := range a.tasks[v] {
			specs := make([]task.OperatorSpec, len(v.Nodes))
			index := map[int]int{}
			for k, n := range v.Nodes {
				index[n.ID] = k
			}
			for k, n := range v.Nodes {
				var op operator.Operator
				if h := a.hosts[n.ID]; h != nil {
					var err error
					if op, err = h.newOperator(n, i); err != nil {
						return err
					}
				} else {
					op = n.NewOperator()
				}
				restored, err := a.restoredState(ctx, n, i)
				if err != nil {
					return fmt.Errorf("local: restore %q subtask %d from %s: %w", n.Name, i, a.restore.path, err)
				}
				specs[k] = task.OperatorSpec{Name: n.Name, UID: n.UID, Operator: op, Out: n.Out,
					Parallelism: n.Parallelism, MaxParallelism: n.MaxParallelism, Restored: restored}
				for _, e := range a.jg.Outputs[n.ID] {
					oe := task.OutEdge{Tag: e.Tag, Port: e.Port, Chained: -1}
					if a.jg.Chained(e) {
						oe.Chained = index[e.To]
					} else {
						to := a.jg.Nodes[e.To]
						oe.Writer = task.WriterSpec{
							Channels: links[e].queues[i], Partitioning: e.Part, KeyHash: e.KeyHash,
							MaxParallelism: to.MaxParallelism, ConsumerParallelism: to.Parallelism,
						}
						oe.Replay, oe.ReplayTo = a.replayFor(e, i, n.Parallelism)
					}
					specs[k].Outputs = append(specs[k].Outputs, oe)
				}
			}
			var inputs []task.InputSpec
			head := v.Nodes[0]
			for _, e := range a.jg.Inputs[head.ID] {
				keys := make([]string, len(consumerQueues[e][i]))
				for k := range keys {
					keys[k] = inflightKey(a.jg, e)
				}
				inputs = append(inputs, task.InputSpec{Channels: consumerQueues[e][i], EdgeKeys: keys, Port: e.Port, Input: e.Input})
			}
			if err := t.Build(specs, mergeInputs(inputs)); err != nil {
				return fmt.Errorf("local: wiring %s: %w", v.Name, err)
			}
		}
	}
	return nil
}

// run executes the attempt until every task ended or one failed. The
// returned error is the first failure.
func (a *attempt) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var runErr struct {
		sync.Mutex
		first error
	}
	fail := func(err error) {
		runErr.Lock()
		if runErr.first == nil {
			runErr.first = err
		}
		runErr.Unlock()
		cancel(err)
	}
	a.fail = fail
	if err := a.runRestoreHooks(); err != nil {
		return err
	}
	if err := a.build(ctx); err != nil {
		return err
	}
	var coordWG, taskWG sync.WaitGroup
	coordCtx, stopCoords := context.WithCancel(ctx)
	defer stopCoords()
	for _, h := range a.hosts {
		coordWG.Go(func() {
			if err := h.coord.Run(coordCtx); err != nil && coordCtx.Err() == nil {
				fail(err)
			}
		})
	}
	a.cp.attach(a)
	defer a.cp.attach(nil)
	for _, v := range a.jg.Vertices {
		for i, t := range a.tasks[v] {
			id := taskID{v.ID, i}
			taskWG.Go(func() {
				err := t.Run(ctx)
				if err != nil && !errors.Is(err, context.Canceled) {
					fail(err)
					return
				}
				if err == nil {
					a.cp.taskDone(id)
				}
			})
		}
	}
	a.cp.running(a.restore)
	taskWG.Wait()
	stopCoords()
	coordWG.Wait()
	runErr.Lock()
	err := runErr.first
	runErr.Unlock()
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return err
}

// sourceHost connects a source's coordinator with its subtasks: events
// for a subtask become mail in that subtask's mailbox.
type sourceHost struct {
	name  string
	uid   string
	coord source.Coordinator
	tasks []*task.Task
	ops   []eventHandler
}

type eventHandler interface {
	HandleOperatorEvent(ev source.OperatorEvent) error
}

func (h *sourceHost) deliver(subtask int, ev source.OperatorEvent) error {
	if subtask < 0 || subtask >= len(h.ops) {
		return fmt.Errorf("local: source %q has no subtask %d", h.name, subtask)
	}
	op := h.ops[subtask]
	h.tasks[subtask].Mailbox().Put("source event", func() error { return op.HandleOperatorEvent(ev) })
	return nil
}

// SendToCoordinator implements source.CoordinatorGateway in-process.
func (h *sourceHost) SendToCoordinator(subtask int, ev source.OperatorEvent) {
	h.coord.HandleEventFromOperator(subtask, ev)
}

func (h *sourceHost) newOperator(n *graph.Node, i int) (operator.Operator, error) {
	op := n.Source.NewOperator(h)
	eh, ok := op.(eventHandler)
	if !ok {
		return nil, fmt.Errorf("local: source operator %T of %q cannot receive coordinator events", op, n.Name)
	}
	h.ops[i] = eh
	return op, nil
}
