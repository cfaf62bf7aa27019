package stream

import (
	"maps"
	"slices"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/snapshot"

	"fmt"

	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/source"
)

// FromSource adds a FLIP-27 source. Watermarks are generated per split with
// wm; use eventtime.NoWatermarks for processing-time jobs.
func FromSource[T any, S source.Split, E any](env *Environment, src source.Source[T, S, E], wm eventtime.WatermarkStrategy[T], name string) *DataStream[T] {
	if name == "" {
		name = "Source"
	} else {
		name = "Source: " + name
	}
	n := env.addNode(&graph.Node{
		Name: name, Out: task.PortFor[T](),
		Source: &graph.SourceSpec{
			NewCoordinator: func(parallelism int, cfg *config.Configuration, gw source.SubtaskGateway, restored []byte) source.Coordinator {
				return source.NewCoordinator(name, src, parallelism, cfg, gw, restored)
			},
			NewOperator: func(gw source.CoordinatorGateway) operator.Operator {
				return source.NewOperator(src, wm, gw)
			},
		},
	})
	return &DataStream[T]{env: env, node: n}
}

// Sink is the handle of a sink operator, for naming and parallelism.
type Sink struct{ node *graph.Node }

// Name sets the sink operator's name.
func (s *Sink) Name(name string) *Sink { s.node.Name = name; return s }

// UID sets the sink operator's stable identity.
func (s *Sink) UID(uid string) *Sink { s.node.UID = uid; return s }

// SetParallelism sets how many subtasks write.
func (s *Sink) SetParallelism(n int) *Sink {
	if n < 1 {
		panic(fmt.Sprintf("stream: parallelism of sink %q must be >= 1, got %d", s.node.Name, n))
	}
	s.node.Parallelism = n
	return s
}

// DisableChaining runs the sink in a chain of its own.
func (s *Sink) DisableChaining() *Sink { s.node.Chaining = graph.ChainNever; return s }

// SinkTo writes s to snk. Writers are flushed every execution.buffer-timeout.
// Two-phase-commit sinks (sink.Committing) publish what their writers
// pre-committed when a checkpoint completes; without checkpointing, as in
// Flink, only at the end of input.
func SinkTo[T any](s *DataStream[T], snk sink.Sink[T]) *Sink {
	n := s.env.addNode(&graph.Node{
		Name: "Sink", In: []task.Port{task.PortFor[T]()}, Out: task.PortFor[struct{}](),
		NewOperator: func() operator.Operator { return &sinkOp[T]{snk: snk} },
	})
	if c, ok := snk.(sink.Committing[T]); ok {
		n.OnRestore = func(st *snapshot.OperatorState) error { return restoreCommitting(c, snk, st) }
	}
	s.connect(n, 1)
	return &Sink{node: n}
}

// restoreCommitting commits the committables every subtask of a two-phase
// sink had in the restored checkpoint, then lets the sink clean up what the
// failed attempt left behind.
func restoreCommitting[T any](c sink.Committing[T], snk sink.Sink[T], st *snapshot.OperatorState) error {
	if st != nil {
		var all [][]byte
		for _, sub := range st.Subtasks {
			for _, l := range sub.Lists {
				if l.Name == committablesStateName {
					all = append(all, l.Elements...)
				}
			}
		}
		if err := c.CommitRestored(all); err != nil {
			return fmt.Errorf("commit the output the checkpoint pre-committed: %w", err)
		}
	}
	if cl, ok := snk.(sink.Cleaner); ok {
		if err := cl.CleanupAfterRestore(); err != nil {
			return fmt.Errorf("clean up after restore: %w", err)
		}
	}
	return nil
}

type sinkOp[T any] struct {
	base[struct{}]
	snk    sink.Sink[T]
	writer sink.Writer[T]
	commit sink.CommitDriver
	cancel func()
	// checkpointing: two-phase sinks commit on checkpoint completion, not
	// at the end of input.
	checkpointing bool
	// pending holds the encoded committables of each checkpoint not yet
	// known complete; a checkpoint's state holds all of them, so a restore
	// from any of them commits everything before it.
	pending map[int64][][]byte
}

// committablesStateName is the operator state holding a two-phase sink's
// pre-committed, not yet committed output.
const committablesStateName = "sink-committables"

func (o *sinkOp[T]) Open(ctx operator.Context) error {
	if err := o.open(ctx, nil); err != nil {
		return err
	}
	w, err := o.snk.CreateWriter(&sinkInit{ctx: ctx})
	if err != nil {
		return err
	}
	o.writer = w
	o.checkpointing = config.Get(ctx.Config(), checkpoint.Interval) > 0
	o.pending = map[int64][][]byte{}
	if tp, ok := o.snk.(sink.Committing[T]); ok {
		if o.commit, err = tp.NewCommitDriver(w); err != nil {
			return err
		}
	}
	interval := config.Get(ctx.Config(), config.BufferTimeout)
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	pt := ctx.ProcessingTime()
	var tick func(int64) error
	tick = func(int64) error {
		if err := o.writer.Flush(false); err != nil {
			return err
		}
		o.cancel = pt.RegisterTimer(pt.Now()+interval.Milliseconds(), tick)
		return nil
	}
	o.cancel = pt.RegisterTimer(pt.Now()+interval.Milliseconds(), tick)
	return nil
}

func (o *sinkOp[T]) ProcessElement(v T, ts int64) error {
	return o.writer.Write(v, sink.Context{Timestamp: ts, Watermark: o.wm})
}

// ProcessWatermark only records the watermark: a sink has no downstream.
func (o *sinkOp[T]) ProcessWatermark(wm int64) error {
	o.wm = wm
	return nil
}

func (o *sinkOp[T]) ProcessWatermarkStatus(bool) error { return nil }

func (o *sinkOp[T]) Finish() error {
	if err := o.writer.Flush(true); err != nil {
		return err
	}
	if o.commit != nil && !o.checkpointing {
		return o.commit.PrepareAndCommit()
	}
	return nil
}

// SnapshotState implements operator.Snapshotter: a plain sink flushes
// (at-least-once); a two-phase sink pre-commits, and its committables go
// into the checkpoint.
func (o *sinkOp[T]) SnapshotState(ctx operator.SnapshotContext) (operator.StateSnapshot, error) {
	if o.commit == nil {
		return operator.StateSnapshot{}, o.writer.Flush(false)
	}
	prepared, err := o.commit.Prepare()
	if err != nil {
		return operator.StateSnapshot{}, err
	}
	o.pending[ctx.CheckpointID] = prepared
	var all [][]byte
	for _, id := range slices.Sorted(maps.Keys(o.pending)) {
		all = append(all, o.pending[id]...)
	}
	return operator.StateSnapshot{Lists: []snapshot.ListState{{Name: committablesStateName, Mode: snapshot.Split, Elements: all}}}, nil
}

// NotifyCheckpointComplete commits what checkpoints up to id pre-committed.
func (o *sinkOp[T]) NotifyCheckpointComplete(id int64) error {
	if o.commit == nil {
		return nil
	}
	for _, cid := range slices.Sorted(maps.Keys(o.pending)) {
		if cid > id {
			break
		}
		if err := o.commit.Commit(o.pending[cid]); err != nil {
			return err
		}
		delete(o.pending, cid)
	}
	return nil
}

// NotifyCheckpointAborted keeps the committables: the next checkpoint's
// state carries them and its completion commits them.
func (o *sinkOp[T]) NotifyCheckpointAborted(int64) error { return nil }

func (o *sinkOp[T]) Close() error {
	if o.cancel != nil {
		o.cancel()
	}
	var err error
	if o.writer != nil {
		err = o.writer.Close()
	}
	if o.commit != nil {
		if cerr := o.commit.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

type sinkInit struct{ ctx operator.Context }

func (s *sinkInit) SubtaskIndex() int             { return s.ctx.SubtaskIndex() }
func (s *sinkInit) Parallelism() int              { return s.ctx.Parallelism() }
func (s *sinkInit) AttemptNumber() int            { return s.ctx.AttemptNumber() }
func (s *sinkInit) Config() *config.Configuration { return s.ctx.Config() }
func (s *sinkInit) Now() int64                    { return s.ctx.ProcessingTime().Now() }

// RestoredCheckpointID implements sink.RestoredContext.
func (s *sinkInit) RestoredCheckpointID() (int64, bool) {
	if r := s.ctx.Restored(); r != nil {
		return r.CheckpointID, true
	}
	return 0, false
}

var _ sink.RestoredContext = (*sinkInit)(nil)
