package queries

import (
	"fmt"
	"slices"
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ4Offer(t *testing.T) {
	type bid struct{ price, ts int64 }
	tests := []struct {
		name   string
		bids   []bid
		deltas []q4Delta
		max    int64
	}{
		{"first bid counts the auction", []bid{{500, 150}}, []q4Delta{{10, 500, 1}}, 500},
		{"higher bids add the difference", []bid{{500, 150}, {700, 160}, {900, 170}}, []q4Delta{{10, 500, 1}, {10, 200, 0}, {10, 200, 0}}, 900},
		{"lower and equal bids change nothing", []bid{{500, 150}, {400, 160}, {500, 170}}, []q4Delta{{10, 500, 1}}, 500},
		{"window ends are included", []bid{{300, 100}, {400, 200}}, []q4Delta{{10, 300, 1}, {10, 100, 0}}, 400},
		{"bids outside the window are ignored", []bid{{900, 99}, {900, 201}, {100, 150}}, []q4Delta{{10, 100, 1}}, 100},
		{"no bid in the window", []bid{{900, 99}}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := q4Winning{Category: 10, DateTime: 100, Expires: 200}
			var got []q4Delta
			for _, b := range tt.bids {
				if d, ok := w.offer(b.price, b.ts); ok {
					got = append(got, d)
				}
			}
			if !slices.Equal(got, tt.deltas) {
				t.Fatalf("deltas %v, want %v", got, tt.deltas)
			}
			if w.Max != tt.max || w.HasMax != (tt.deltas != nil) {
				t.Fatalf("max %d (set %v), want %d", w.Max, w.HasMax, tt.max)
			}
		})
	}
}

func TestQ4Row(t *testing.T) {
	tests := []struct {
		cat  int64
		avg  q4Avg
		want string
	}{
		{10, q4Avg{Sum: 10, Count: 4}, "10,2"}, // truncated, as Flink's AVG over BIGINT
		{14, q4Avg{Sum: 12, Count: 4}, "14,3"},
		{11, q4Avg{Sum: 123456789, Count: 1}, "11,123456789"},
	}
	for _, tt := range tests {
		if got := q4Row(tt.cat, tt.avg); got != tt.want {
			t.Errorf("q4Row(%d, %+v) = %q, want %q", tt.cat, tt.avg, got, tt.want)
		}
	}
}

// TestQ4BaselineIsTheQuery checks the baseline's incremental maxima
// against the query evaluated directly: every auction scans every bid.
func TestQ4BaselineIsTheQuery(t *testing.T) {
	const n = 20_000
	g := generator.MustNew(generator.DefaultConfig(), generator.DefaultSeed)
	var auctions []*generator.Auction
	bidsOf := map[int64][]*generator.Bid{}
	for i := range int64(n) {
		e, _ := g.NextEvent(i)
		switch {
		case e.Auction != nil:
			auctions = append(auctions, e.Auction)
		case e.Bid != nil:
			bidsOf[e.Bid.Auction] = append(bidsOf[e.Bid.Auction], e.Bid)
		}
	}
	sum, count := map[int64]int64{}, map[int64]int64{}
	for _, a := range auctions {
		best, found := int64(0), false
		for _, b := range bidsOf[a.ID] {
			if b.DateTime >= a.DateTime && b.DateTime <= a.Expires && (!found || b.Price > best) {
				best, found = b.Price, true
			}
		}
		if found {
			sum[a.Category] += best
			count[a.Category]++
		}
	}
	var want []string
	for c := range sum {
		want = append(want, fmt.Sprintf("%d,%d", c, sum[c]/count[c]))
	}
	if len(want) < 2 {
		t.Fatalf("only %d categories in %d events; the test proves little", len(want), n)
	}
	var got []string
	mustQuery(t, "q4").Baseline(g, n, func(r string) { got = append(got, r) })
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("baseline rows %v, query %v", got, want)
	}
}

func TestQ4MatchesBaseline(t *testing.T) {
	compareWithBaseline(t, mustQuery(t, "q4"), 20_000, 1, 2)
}
