package queries

import (
	"fmt"
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ2Selects(t *testing.T) {
	tests := []struct {
		e    generator.Event
		want bool
	}{
		{generator.Event{Bid: &generator.Bid{Auction: 1107}}, true}, // 9*123
		{generator.Event{Bid: &generator.Bid{Auction: 1108}}, false},
		{generator.Event{Bid: &generator.Bid{Auction: 0}}, true},
		{generator.Event{Auction: &generator.Auction{ID: 1107}}, false},
		{generator.Event{Person: &generator.Person{ID: 1107}}, false},
		{generator.Event{}, false},
	}
	for _, tt := range tests {
		if got := q2Selects(tt.e); got != tt.want {
			t.Errorf("q2Selects(%v) = %v, want %v", tt.e.Kind(), got, tt.want)
		}
	}
}

func TestQ2BaselineSelectsMultiplesOf123(t *testing.T) {
	const n = 20_000
	g, bids := lowQueryBids(n)
	var want []string
	for _, b := range bids {
		if b.Auction%123 == 0 {
			want = append(want, fmt.Sprintf("%d,%d", b.Auction, b.Price))
		}
	}
	if len(want) == 0 {
		t.Fatalf("no bid on a multiple of 123 in %d events; the test proves nothing", n)
	}
	var got []string
	mustQuery(t, "q2").Baseline(g, n, func(r string) { got = append(got, r) })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("baseline rows %v, want %v", got, want)
	}
}

func TestQ2MatchesBaseline(t *testing.T) {
	compareWithBaseline(t, mustQuery(t, "q2"), 20_000, 1, 2)
}
