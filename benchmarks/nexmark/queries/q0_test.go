package queries

import (
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ0Row(t *testing.T) {
	tests := []struct {
		bid  generator.Bid
		want string
	}{
		{generator.Bid{Auction: 1000, Bidder: 2001, Price: 12345, DateTime: 1_500_000_000_123, Extra: "abc"}, "1000,2001,12345,1500000000123,abc"},
		{generator.Bid{Auction: 7, Bidder: 8, Price: 9, DateTime: 0}, "7,8,9,0,"},
		{generator.Bid{Auction: 1, Bidder: 2, Price: 3, DateTime: 4, Extra: string(make([]byte, 300))}, "1,2,3,4," + string(make([]byte, 300))},
	}
	for _, tt := range tests {
		if got := q0Row(&tt.bid); got != tt.want {
			t.Errorf("q0Row(%+v) = %q, want %q", tt.bid, got, tt.want)
		}
	}
}

// lowQueryBids returns the bids among the first n events of the default
// generator, for checking baselines against a direct computation.
func lowQueryBids(n int64) (*generator.Generator, []*generator.Bid) {
	g := generator.MustNew(generator.DefaultConfig(), generator.DefaultSeed)
	var bids []*generator.Bid
	for i := range n {
		if e, _ := g.NextEvent(i); e.Bid != nil {
			bids = append(bids, e.Bid)
		}
	}
	return g, bids
}

func TestQ0BaselineEmitsEveryBid(t *testing.T) {
	g, bids := lowQueryBids(2000)
	var rows []string
	mustQuery(t, "q0").Baseline(g, 2000, func(r string) { rows = append(rows, r) })
	if len(rows) != len(bids) {
		t.Fatalf("%d rows for %d bids", len(rows), len(bids))
	}
	for i, b := range bids {
		if rows[i] != q0Row(b) {
			t.Fatalf("row %d = %q, want %q", i, rows[i], q0Row(b))
		}
	}
}

func TestQ0MatchesBaseline(t *testing.T) {
	compareWithBaseline(t, mustQuery(t, "q0"), 20_000, 1, 2)
}

func mustQuery(t *testing.T, name string) Query {
	t.Helper()
	q, ok := Lookup(name)
	if !ok {
		t.Fatalf("query %s is not registered", name)
	}
	return q
}
