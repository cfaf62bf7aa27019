package queries

import (
	"fmt"
	"slices"
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ3Person(t *testing.T) {
	tests := []struct {
		state string
		want  bool
	}{
		{"OR", true}, {"ID", true}, {"CA", true}, {"WA", false}, {"AZ", false}, {"", false}, {"or", false},
	}
	for _, tt := range tests {
		p := generator.Person{ID: 1001, Name: "Peter Jones", City: "Boise", State: tt.state}
		s, ok := q3Person(&p)
		if ok != tt.want {
			t.Errorf("state %q selected %v, want %v", tt.state, ok, tt.want)
		}
		if ok && q3Row(&s, 2000) != "Peter Jones,Boise,"+tt.state+",2000" {
			t.Errorf("row %q", q3Row(&s, 2000))
		}
	}
}

// TestQ3BaselineIsTheJoin checks the baseline's incremental join against
// the join computed after reading everything, so the order in which
// sellers and auctions arrive cannot matter.
func TestQ3BaselineIsTheJoin(t *testing.T) {
	const n = 20_000
	g := generator.MustNew(generator.DefaultConfig(), generator.DefaultSeed)
	people := map[int64]*generator.Person{}
	var auctions []*generator.Auction
	for i := range int64(n) {
		e, _ := g.NextEvent(i)
		switch {
		case e.Person != nil:
			people[e.Person.ID] = e.Person
		case e.Auction != nil:
			auctions = append(auctions, e.Auction)
		}
	}
	var want []string
	for _, a := range auctions {
		p := people[a.Seller]
		if a.Category != 10 || p == nil || (p.State != "OR" && p.State != "ID" && p.State != "CA") {
			continue
		}
		want = append(want, fmt.Sprintf("%s,%s,%s,%d", p.Name, p.City, p.State, a.ID))
	}
	if len(want) == 0 {
		t.Fatalf("no matches in %d events; the test proves nothing", n)
	}
	var got []string
	mustQuery(t, "q3").Baseline(g, n, func(r string) { got = append(got, r) })
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("baseline: %d rows, join: %d rows; first difference: %s", len(got), len(want), firstDiff(got, want))
	}
}

func TestQ3MatchesBaseline(t *testing.T) {
	compareWithBaseline(t, mustQuery(t, "q3"), 20_000, 1, 2)
}
