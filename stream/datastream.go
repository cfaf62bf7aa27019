package stream

import (
	"fmt"
	"strings"

	"github.com/weirstream/weir/keygroup"

	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/task"
)

// DataStream is a stream of records of type T produced by one operator.
type DataStream[T any] struct {
	env  *Environment
	node *graph.Node
	// tag is set for side-output streams.
	tag string
	// part is the partitioning towards the next operator.
	part     task.Partitioning
	explicit bool
	keyHash  any
	// derived says how this stream derives from its operator's main output
	// ("side output x", "rebalance"); operator setters refuse it, as the
	// operator belongs to the stream it was created as (Flink allows them
	// only on SingleOutputStreamOperator).
	derived string
}

// own panics when s is a derived stream, so a setter cannot silently
// reconfigure the operator behind it.
func (s *DataStream[T]) own(setter string) {
	if s.derived != "" {
		panic(fmt.Sprintf("stream: %s on the %s of %q would reconfigure %q itself; call it on the stream the operator returned", setter, s.derived, s.node.Name, s.node.Name))
	}
}

// Env returns the environment the stream belongs to.
func (s *DataStream[T]) Env() *Environment { return s.env }

// Name sets the operator's name (shown in logs, errors and the UI).
func (s *DataStream[T]) Name(name string) *DataStream[T] {
	s.own("Name")
	s.node.Name = name
	return s
}

// UID sets the operator's stable identity: state in checkpoints and
// savepoints is addressed by it, so set it on every stateful operator.
func (s *DataStream[T]) UID(uid string) *DataStream[T] {
	s.own("UID")
	s.node.UID = uid
	return s
}

// SetParallelism sets how many subtasks run the operator.
func (s *DataStream[T]) SetParallelism(n int) *DataStream[T] {
	s.own("SetParallelism")
	if n < 1 {
		panic(fmt.Sprintf("stream: parallelism of %q must be >= 1, got %d", s.node.Name, n))
	}
	s.node.Parallelism = n
	return s
}

// SetMaxParallelism sets the operator's number of key groups (1 to 32768).
func (s *DataStream[T]) SetMaxParallelism(n int) *DataStream[T] {
	s.own("SetMaxParallelism")
	if n < 1 || n > keygroup.UpperBoundMaxParallelism {
		s.env.buildErrs = append(s.env.buildErrs, fmt.Errorf("stream: max parallelism of %q must be between 1 and %d, got %d", s.node.Name, keygroup.UpperBoundMaxParallelism, n))
		return s
	}
	s.node.MaxParallelism = n
	return s
}

// StartNewChain makes the operator the head of a new chain.
func (s *DataStream[T]) StartNewChain() *DataStream[T] {
	s.own("StartNewChain")
	s.node.Chaining = graph.ChainHead
	return s
}

// DisableChaining runs the operator in a chain of its own.
func (s *DataStream[T]) DisableChaining() *DataStream[T] {
	s.own("DisableChaining")
	s.node.Chaining = graph.ChainNever
	return s
}

func (s *DataStream[T]) withPartitioning(p task.Partitioning) *DataStream[T] {
	c := *s
	c.part, c.explicit, c.keyHash = p, true, nil
	if c.derived == "" {
		c.derived = strings.ToLower(p.String()) + " stream"
	}
	return &c
}

// Forward sends each subtask's records to the consumer subtask with the same
// index (requires equal parallelism; allows chaining).
func (s *DataStream[T]) Forward() *DataStream[T] { return s.withPartitioning(task.Forward) }

// Rebalance distributes records round-robin over all consumer subtasks.
func (s *DataStream[T]) Rebalance() *DataStream[T] { return s.withPartitioning(task.Rebalance) }

// Rescale distributes records round-robin over a local subset of consumers.
func (s *DataStream[T]) Rescale() *DataStream[T] { return s.withPartitioning(task.Rescale) }

// Broadcast sends every record to every consumer subtask.
func (s *DataStream[T]) Broadcast() *DataStream[T] { return s.withPartitioning(task.Broadcast) }

// Shuffle sends each record to a random consumer subtask.
func (s *DataStream[T]) Shuffle() *DataStream[T] { return s.withPartitioning(task.Shuffle) }

// Global sends every record to the first consumer subtask.
func (s *DataStream[T]) Global() *DataStream[T] { return s.withPartitioning(task.Global) }

// connect adds an edge from s into input of node n.
func (s *DataStream[T]) connect(n *graph.Node, input int) {
	s.env.graph.AddEdge(&graph.Edge{
		From: s.node.ID, To: n.ID, Tag: s.tag, Port: task.PortFor[T](), Input: input,
		Part: s.part, Explicit: s.explicit, KeyHash: s.keyHash,
	})
}

// OutputTag names a side output carrying records of type T.
type OutputTag[T any] struct{ id string }

// NewOutputTag returns a side-output tag; ids must be unique per job.
func NewOutputTag[T any](id string) OutputTag[T] {
	if id == "" {
		panic("stream: an OutputTag needs a non-empty id")
	}
	return OutputTag[T]{id: id}
}

// ID is the tag's name.
func (t OutputTag[T]) ID() string { return t.id }

// Tag is any OutputTag, for emitting side output from contexts.
type Tag interface{ ID() string }

// SideOutput returns the records the operator behind s emitted to tag.
func SideOutput[X, T any](s *DataStream[T], tag OutputTag[X]) *DataStream[X] {
	return &DataStream[X]{env: s.env, node: s.node, tag: tag.id, derived: fmt.Sprintf("side output %q", tag.id)}
}

// Union merges streams of the same type into one.
func Union[T any](first *DataStream[T], others ...*DataStream[T]) *DataStream[T] {
	n := first.env.addNode(&graph.Node{
		Name: "Union", In: []task.Port{task.PortFor[T]()}, Out: task.PortFor[T](),
		NewOperator: func() operator.Operator { return &passOp[T]{} },
	})
	first.connect(n, 1)
	for _, o := range others {
		if o.env != first.env {
			panic("stream: Union of streams from different environments")
		}
		o.connect(n, 1)
	}
	return &DataStream[T]{env: first.env, node: n}
}

// oneInput adds a one-input node consuming s.
func oneInput[T, R any](s *DataStream[T], name string, newOp func() operator.Operator) *DataStream[R] {
	n := s.env.addNode(&graph.Node{
		Name: name, In: []task.Port{task.PortFor[T]()}, Out: task.PortFor[R](), NewOperator: newOp,
	})
	s.connect(n, 1)
	return &DataStream[R]{env: s.env, node: n}
}
