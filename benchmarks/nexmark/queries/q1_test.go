package queries

import (
	"strconv"
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ1Thousandths(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0.000"},
		{1, "0.908"},
		{3, "2.724"}, // 0.908*3 in float64 is 2.7239999999999998
		{100, "90.800"},
		{12345, "11209.260"},
		{100_000_000, "90800000.000"},
		{-1, "-0.908"},
	}
	for _, tt := range tests {
		if got := string(q1AppendThousandths(nil, tt.cents*908)); got != tt.want {
			t.Errorf("0.908 * %d = %s, want %s", tt.cents, got, tt.want)
		}
	}
}

func TestQ1Row(t *testing.T) {
	b := generator.Bid{Auction: 1000, Bidder: 2001, Price: 250, DateTime: 42, Extra: "x"}
	if got, want := q1Row(&b), "1000,2001,227.000,42,x"; got != want {
		t.Fatalf("q1Row = %q, want %q", got, want)
	}
}

func TestQ1BaselineConvertsEveryBid(t *testing.T) {
	g, bids := lowQueryBids(2000)
	var rows []string
	mustQuery(t, "q1").Baseline(g, 2000, func(r string) { rows = append(rows, r) })
	if len(rows) != len(bids) {
		t.Fatalf("%d rows for %d bids", len(rows), len(bids))
	}
	for i, b := range bids {
		// An independent formatting: the exact decimal through float64 with
		// three digits, which is exact for prices this small.
		want := strconv.FormatInt(b.Auction, 10) + "," + strconv.FormatInt(b.Bidder, 10) + "," +
			strconv.FormatFloat(float64(b.Price*908)/1000, 'f', 3, 64) + "," +
			strconv.FormatInt(b.DateTime, 10) + "," + b.Extra
		if rows[i] != want {
			t.Fatalf("row %d = %q, want %q", i, rows[i], want)
		}
	}
}

func TestQ1MatchesBaseline(t *testing.T) {
	compareWithBaseline(t, mustQuery(t, "q1"), 20_000, 1, 2)
}
