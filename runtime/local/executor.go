package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/queue"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/source"
)

// Options tune an execution beyond the job configuration.
type Options struct {
	// Clock drives processing time (nil: the wall clock).
	Clock task.Clock
	// Logger receives job lifecycle logs (nil: slog.Default()).
	Logger *slog.Logger
}

// Execute runs jg to completion: until every subtask has consumed its input
// (bounded sources), a subtask fails, or ctx is cancelled.
func Execute(ctx context.Context, name string, jg *graph.JobGraph, cfg *config.Configuration, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	tasks := map[*graph.Vertex][]*task.Task{}
	batch := config.Get(cfg, config.BatchSize)
	capacity := config.Get(cfg, config.BuffersPerChannel)
	timeout := config.Get(cfg, config.BufferTimeout)
	if !config.Get(cfg, config.BufferTimeoutEnabled) {
		timeout = -1
	}
	for _, v := range jg.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			tasks[v] = append(tasks[v], task.New(task.Config{
				Name: v.Name, Index: i, Parallelism: v.Parallelism, Job: cfg,
				Clock: opts.Clock, BufferTimeout: timeout, BatchSize: batch,
			}))
		}
	}

	// One queue per connected (producer subtask, consumer subtask) pair of
	// every edge that leaves a chain.
	type link struct{ queues [][]*queue.Queue } // [producer][i] following graph.Channels
	links := map[*graph.Edge]*link{}
	consumerQueues := map[*graph.Edge][][]*queue.Queue{} // [consumer] -> queues in producer order
	for _, e := range allEdges(jg) {
		if jg.Chained(e) {
			continue
		}
		from, to := jg.Nodes[e.From], jg.Nodes[e.To]
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

	hosts := map[int]*sourceHost{}
	var coordinators []source.Coordinator
	for _, n := range jg.Nodes {
		if n.Source == nil {
			continue
		}
		h := &sourceHost{name: n.Name, tasks: tasks[jg.VertexOf[n.ID]], ops: make([]eventHandler, n.Parallelism)}
		h.coord = n.Source.NewCoordinator(n.Parallelism, cfg, h.deliver)
		hosts[n.ID] = h
		coordinators = append(coordinators, h.coord)
	}
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

	for _, v := range jg.Vertices {
		for i, t := range tasks[v] {
			specs := make([]task.OperatorSpec, len(v.Nodes))
			index := map[int]int{}
			for k, n := range v.Nodes {
				index[n.ID] = k
			}
			for k, n := range v.Nodes {
				var op operator.Operator
				if h := hosts[n.ID]; h != nil {
					var err error
					if op, err = h.newOperator(n, i); err != nil {
						return err
					}
				} else {
					op = n.NewOperator()
				}
				specs[k] = task.OperatorSpec{Name: n.Name, UID: n.UID, Operator: op, Out: n.Out, Parallelism: n.Parallelism, MaxParallelism: n.MaxParallelism}
				for _, e := range jg.Outputs[n.ID] {
					oe := task.OutEdge{Tag: e.Tag, Port: e.Port, Chained: -1}
					if jg.Chained(e) {
						oe.Chained = index[e.To]
					} else {
						to := jg.Nodes[e.To]
						oe.Writer = task.WriterSpec{
							Channels: links[e].queues[i], Partitioning: e.Part, KeyHash: e.KeyHash,
							MaxParallelism: to.MaxParallelism, ConsumerParallelism: to.Parallelism,
						}
					}
					specs[k].Outputs = append(specs[k].Outputs, oe)
				}
			}
			var inputs []task.InputSpec
			head := v.Nodes[0]
			for _, e := range jg.Inputs[head.ID] {
				inputs = append(inputs, task.InputSpec{Channels: consumerQueues[e][i], Port: e.Port, Input: e.Input})
			}
			if err := t.Build(specs, mergeInputs(inputs)); err != nil {
				return fmt.Errorf("local: wiring %s: %w", v.Name, err)
			}
		}
	}

	log.Info("job starting", "job", name, "fingerprint", jg.Fingerprint, "tasks", len(jg.Vertices))
	start := time.Now()
	var coordWG, taskWG sync.WaitGroup
	coordCtx, stopCoords := context.WithCancel(ctx)
	defer stopCoords()
	for _, c := range coordinators {
		coordWG.Add(1)
		go func() {
			defer coordWG.Done()
			if err := c.Run(coordCtx); err != nil && coordCtx.Err() == nil {
				fail(err)
			}
		}()
	}
	for _, v := range jg.Vertices {
		for _, t := range tasks[v] {
			taskWG.Add(1)
			go func() {
				defer taskWG.Done()
				if err := t.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					fail(err)
				}
			}()
		}
	}
	taskWG.Wait()
	stopCoords()
	coordWG.Wait()
	runErr.Lock()
	err := runErr.first
	runErr.Unlock()
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil && errors.Is(err, context.Canceled) && parent.Err() != nil {
		log.Info("job cancelled", "job", name, "after", time.Since(start))
		return fmt.Errorf("job %q cancelled: %w", name, err)
	}
	if err != nil {
		log.Error("job failed", "job", name, "error", err, "after", time.Since(start))
		return fmt.Errorf("job %q failed: %w", name, err)
	}
	log.Info("job finished", "job", name, "after", time.Since(start))
	return nil
}

func allEdges(jg *graph.JobGraph) []*graph.Edge {
	var out []*graph.Edge
	for _, n := range jg.Nodes {
		out = append(out, jg.Outputs[n.ID]...)
	}
	return out
}

// mergeInputs unions edges into the same logical input (Union feeds one
// input from several producers).
func mergeInputs(in []task.InputSpec) []task.InputSpec {
	var out []task.InputSpec
	for _, s := range in {
		merged := false
		for k := range out {
			if out[k].Input == s.Input {
				out[k].Channels = append(out[k].Channels, s.Channels...)
				merged = true
			}
		}
		if !merged {
			out = append(out, s)
		}
	}
	return out
}

// sourceHost connects a source's coordinator with its subtasks: events
// for a subtask become mail in that subtask's mailbox.
type sourceHost struct {
	name  string
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
