package queries

import (
	"sort"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/stream"
)

// Query is one Nexmark query.
type Query struct {
	// Name is "q0", "q1", ...
	Name string
	// Describe says what the query computes, in one line.
	Describe string
	// Build adds the query to the job reading events (each with its event
	// time as timestamp and watermarks from the source) and returns the
	// result rows as CSV lines.
	Build func(events *stream.DataStream[generator.Event]) *stream.DataStream[string]
	// Baseline computes the rows of the first n events of g (positions
	// 0..n-1, in order) in one goroutine, calling emit for each row.
	Baseline func(g *generator.Generator, n int64, emit func(row string))
	// ProcessingTime marks queries whose rows depend on processing time
	// (q12): weir and the baseline cannot be compared row by row.
	ProcessingTime bool
}

var registry = map[string]Query{}

// register adds q; queries register themselves in init.
func register(q Query) {
	if _, dup := registry[q.Name]; dup {
		panic("queries: " + q.Name + " registered twice")
	}
	registry[q.Name] = q
}

// Lookup returns the query named name.
func Lookup(name string) (Query, bool) {
	q, ok := registry[name]
	return q, ok
}

// Names lists the registered queries in order (q0, q1, ..., q12).
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	return names
}
