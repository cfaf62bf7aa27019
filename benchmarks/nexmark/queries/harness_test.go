package queries

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/nexmark"
	"github.com/weirstream/weir/stream"
)

// runWeir runs q over the first n events of g at parallelism p and returns
// its rows.
func runWeir(t *testing.T, q Query, g *generator.Generator, n int64, p int) []string {
	t.Helper()
	env := stream.NewEnvironment(nil).SetParallelism(p).SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	out := collect.New[string]()
	stream.SinkTo(q.Build(nexmark.Events(env, g, n)), out)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.Execute(ctx, q.Name); err != nil {
		t.Fatalf("%s at parallelism %d: %v", q.Name, p, err)
	}
	return out.Values()
}

// runBaseline returns the baseline's rows for the first n events of g.
func runBaseline(q Query, g *generator.Generator, n int64) []string {
	var rows []string
	q.Baseline(g, n, func(row string) { rows = append(rows, row) })
	return rows
}

// compareWithBaseline checks that q's weir job at each parallelism writes
// the same multiset of rows as its baseline over the first n events.
func compareWithBaseline(t *testing.T, q Query, n int64, parallelisms ...int) {
	t.Helper()
	g := generator.MustNew(generator.DefaultConfig(), generator.DefaultSeed)
	want := runBaseline(q, g, n)
	slices.Sort(want)
	if len(want) == 0 {
		t.Fatalf("%s: the baseline produced no rows for %d events; the comparison would prove nothing", q.Name, n)
	}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			got := runWeir(t, q, g, n, p)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s at parallelism %d: %d rows, baseline %d; first difference: %s", q.Name, p, len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("row %d: weir %q, baseline %q", i, got[i], want[i])
		}
	}
	if len(got) > len(want) {
		return fmt.Sprintf("weir has extra row %q", got[len(want)])
	}
	if len(want) > len(got) {
		return fmt.Sprintf("baseline has extra row %q", want[len(got)])
	}
	return "none"
}
