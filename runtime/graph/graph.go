package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/snapshot"
	"github.com/weirstream/weir/source"
)

// Chaining says how a node may join operator chains.
type Chaining int

const (
	// ChainAlways chains with its predecessor and successors when possible.
	ChainAlways Chaining = iota
	// ChainHead starts a new chain but lets successors chain to it.
	ChainHead
	// ChainNever runs the node in a chain of its own.
	ChainNever
)

// SourceSpec builds the two halves of a FLIP-27 source.
type SourceSpec struct {
	// NewCoordinator builds the coordinator; restored is its state from a
	// checkpoint, or nil for a fresh start.
	NewCoordinator func(parallelism int, cfg *config.Configuration, toSubtask source.SubtaskGateway, restored []byte) source.Coordinator
	NewOperator    func(gw source.CoordinatorGateway) operator.Operator
}

// Node is one operator of the StreamGraph.
type Node struct {
	ID   int
	Name string
	// UID identifies the operator's state across versions of the job;
	// derived from the position in the graph when the user sets none.
	UID string
	// Parallelism and MaxParallelism: 0 means the job default.
	Parallelism    int
	MaxParallelism int
	// FixedParallelism is set by sources that cannot run in parallel.
	FixedParallelism bool
	Chaining         Chaining
	// NewOperator builds one instance per subtask (nil for sources).
	NewOperator func() operator.Operator
	Source      *SourceSpec
	// In holds the record type of each input (index 0 is input 1).
	In  []task.Port
	Out task.Port
	// Keyed nodes hold keyed state; their max parallelism fixes key groups.
	Keyed bool
	// OnRestore, when set, runs once per restore before any subtask
	// starts, with the node's state in the restored checkpoint (nil when it
	// has none): two-phase-commit sinks commit restored committables here.
	OnRestore func(st *snapshot.OperatorState) error
}

// Edge connects a producer's main (Tag "") or side output to an input of
// a consumer.
type Edge struct {
	From, To int
	Tag      string
	Port     task.Port
	Input    int
	Part     task.Partitioning
	// Explicit is true when the user chose the partitioning; an implicit
	// forward between different parallelisms becomes a rebalance.
	Explicit bool
	// KeyHash is a func(T) int32 for Hash edges.
	KeyHash any
}

// StreamGraph is the operator-level plan built by the stream API.
type StreamGraph struct {
	Nodes []*Node
	Edges []*Edge
}

// AddNode appends n, assigning its ID.
func (g *StreamGraph) AddNode(n *Node) *Node {
	n.ID = len(g.Nodes)
	g.Nodes = append(g.Nodes, n)
	return n
}

// AddEdge appends e.
func (g *StreamGraph) AddEdge(e *Edge) { g.Edges = append(g.Edges, e) }

// clone copies the nodes and edges (not what they point to).
func (g *StreamGraph) clone() *StreamGraph {
	c := &StreamGraph{Nodes: make([]*Node, len(g.Nodes)), Edges: make([]*Edge, len(g.Edges))}
	for i, n := range g.Nodes {
		cp := *n
		c.Nodes[i] = &cp
	}
	for i, e := range g.Edges {
		cp := *e
		c.Edges[i] = &cp
	}
	return c
}

// Vertex is a chain of nodes that runs as one task per parallel subtask.
type Vertex struct {
	ID             int
	Name           string
	Nodes          []*Node // head first, every producer before its consumers
	Parallelism    int
	MaxParallelism int
}

// JobGraph is the task-level plan.
type JobGraph struct {
	Vertices []*Vertex
	// VertexOf maps a node ID to its vertex.
	VertexOf map[int]*Vertex
	// Inputs of each node, in order; edges within a vertex are chained.
	Inputs  map[int][]*Edge
	Outputs map[int][]*Edge
	Nodes   []*Node
	// Fingerprint identifies the plan (names, UIDs, parallelism, edges), so
	// processes running the same binary can check they built the same job.
	Fingerprint string
}

// Chained reports whether e runs as a direct call inside a vertex.
func (j *JobGraph) Chained(e *Edge) bool { return j.VertexOf[e.From] == j.VertexOf[e.To] }

// ErrInvalid marks a job graph the runtime cannot execute.
var ErrInvalid = errors.New("graph: invalid job")

// Build resolves parallelism and partitioning and chains the StreamGraph.
// It works on copies of the nodes and edges, so g can be planned again with
// another configuration.
func Build(src *StreamGraph, cfg *config.Configuration) (*JobGraph, error) {
	if len(src.Nodes) == 0 {
		return nil, fmt.Errorf("%w: no operators; add a source and a sink before Execute", ErrInvalid)
	}
	g := src.clone()
	defPar := config.Get(cfg, config.ParallelismDefault)
	defMax := config.Get(cfg, config.MaxParallelism)
	chaining := config.Get(cfg, config.OperatorChaining)
	jg := &JobGraph{VertexOf: map[int]*Vertex{}, Inputs: map[int][]*Edge{}, Outputs: map[int][]*Edge{}, Nodes: g.Nodes}
	uids := map[string]*Node{}
	for _, n := range g.Nodes {
		if n.Parallelism <= 0 || (n.FixedParallelism && n.Parallelism != 1) {
			if n.FixedParallelism {
				n.Parallelism = 1
			} else {
				n.Parallelism = defPar
			}
		}
		if n.MaxParallelism <= 0 {
			n.MaxParallelism = defMax
			if n.MaxParallelism <= 0 {
				n.MaxParallelism = keygroup.DefaultMaxParallelism(n.Parallelism)
			}
		}
		if n.MaxParallelism > keygroup.UpperBoundMaxParallelism {
			return nil, fmt.Errorf("%w: operator %q has max parallelism %d; it must be between 1 and %d", ErrInvalid, n.Name, n.MaxParallelism, keygroup.UpperBoundMaxParallelism)
		}
		if n.Parallelism > n.MaxParallelism {
			return nil, fmt.Errorf("%w: operator %q has parallelism %d above its max parallelism %d; raise pipeline.max-parallelism", ErrInvalid, n.Name, n.Parallelism, n.MaxParallelism)
		}
		if n.UID == "" {
			n.UID = fmt.Sprintf("%d-%s", n.ID, sanitize(n.Name))
		}
		if other, dup := uids[n.UID]; dup {
			return nil, fmt.Errorf("%w: operators %q and %q share UID %q; UIDs must be unique", ErrInvalid, other.Name, n.Name, n.UID)
		}
		uids[n.UID] = n
	}
	for _, e := range g.Edges {
		from, to := g.Nodes[e.From], g.Nodes[e.To]
		if e.Part == task.Forward && from.Parallelism != to.Parallelism {
			if e.Explicit {
				return nil, fmt.Errorf("%w: forward partitioning from %q (parallelism %d) to %q (parallelism %d) needs equal parallelism; use Rebalance or Rescale", ErrInvalid, from.Name, from.Parallelism, to.Name, to.Parallelism)
			}
			e.Part = task.Rebalance
		}
		jg.Inputs[e.To] = append(jg.Inputs[e.To], e)
		jg.Outputs[e.From] = append(jg.Outputs[e.From], e)
	}
	for _, n := range g.Nodes {
		if n.Source == nil && len(jg.Inputs[n.ID]) == 0 {
			return nil, fmt.Errorf("%w: operator %q has no input", ErrInvalid, n.Name)
		}
	}
	chainable := func(e *Edge) bool {
		from, to := g.Nodes[e.From], g.Nodes[e.To]
		return chaining && e.Part == task.Forward && len(jg.Inputs[to.ID]) == 1 && len(to.In) == 1 &&
			from.Parallelism == to.Parallelism && from.Chaining != ChainNever && to.Chaining == ChainAlways
	}
	// Nodes are added in topological order by the stream API (a node only
	// consumes existing nodes), so one pass assigns vertices.
	for _, n := range g.Nodes {
		if in := jg.Inputs[n.ID]; len(in) == 1 && chainable(in[0]) {
			v := jg.VertexOf[in[0].From]
			v.Nodes = append(v.Nodes, n)
			jg.VertexOf[n.ID] = v
			continue
		}
		v := &Vertex{ID: len(jg.Vertices), Nodes: []*Node{n}, Parallelism: n.Parallelism, MaxParallelism: n.MaxParallelism}
		jg.Vertices = append(jg.Vertices, v)
		jg.VertexOf[n.ID] = v
	}
	h := sha256.New()
	for _, v := range jg.Vertices {
		names := make([]string, len(v.Nodes))
		for i, n := range v.Nodes {
			names[i] = n.Name
			_, _ = fmt.Fprintf(h, "node %s %s %d %d %d\n", n.UID, n.Name, n.Parallelism, n.MaxParallelism, n.Chaining)
		}
		v.Name = strings.Join(names, " -> ")
	}
	edges := append([]*Edge(nil), g.Edges...)
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].From < edges[j].From })
	for _, e := range edges {
		_, _ = fmt.Fprintf(h, "edge %d %d %s %d %s %s\n", e.From, e.To, e.Tag, e.Input, e.Part, e.Port.TypeName())
	}
	jg.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
	return jg, nil
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Channels computes which consumer subtasks each producer subtask of e
// connects to: all of them, or for pointwise edges Flink's
// POINTWISE pattern.
func Channels(part task.Partitioning, producers, consumers int) [][]int {
	out := make([][]int, producers)
	if !part.Pointwise() {
		for p := range out {
			for c := 0; c < consumers; c++ {
				out[p] = append(out[p], c)
			}
		}
		return out
	}
	switch {
	case producers == consumers:
		for p := range out {
			out[p] = []int{p}
		}
	case producers > consumers:
		for p := range out {
			out[p] = []int{p * consumers / producers}
		}
	default:
		for p := range out {
			for c := p * consumers / producers; c < (p+1)*consumers/producers; c++ {
				out[p] = append(out[p], c)
			}
		}
	}
	return out
}

// Describe renders the job graph for logs and `weir info`-style output.
func (j *JobGraph) Describe() string {
	var b strings.Builder
	for _, v := range j.Vertices {
		fmt.Fprintf(&b, "[%d] %s (parallelism %d)\n", v.ID, v.Name, v.Parallelism)
		for _, n := range v.Nodes {
			for _, e := range j.Outputs[n.ID] {
				if !j.Chained(e) {
					tag := ""
					if e.Tag != "" {
						tag = " side output " + e.Tag
					}
					fmt.Fprintf(&b, "    -> [%d]%s %s\n", j.VertexOf[e.To].ID, tag, e.Part)
				}
			}
		}
	}
	return b.String()
}
