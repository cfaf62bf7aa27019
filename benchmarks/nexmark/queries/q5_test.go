package queries

import (
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ5MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q5")
	if !ok {
		t.Fatal("q5 is not registered")
	}
	// 40,000 events span 4 s: bids in several overlapping windows.
	compareWithBaseline(t, q, 40_000, 1, 2)
}

func TestQ5HandWritten(t *testing.T) {
	events := []generator.Event{
		handBid(1, 10, 1, 1000, ""),
		handBid(2, 10, 1, 1200, ""),
		handBid(1, 10, 1, 1500, ""),
		handBid(2, 10, 1, 3000, ""),
	}
	// The windows starting at -8 s, -6 s, -4 s, -2 s and 0 s hold the
	// first three bids; all but the first also the fourth; the one
	// starting at 2 s only the fourth. Ties emit every auction.
	want := []string{
		"1,2",        // [-8 s, 2 s): auction 1 leads 2 to 1
		"1,2", "2,2", // [-6 s, 4 s)
		"1,2", "2,2", // [-4 s, 6 s)
		"1,2", "2,2", // [-2 s, 8 s)
		"1,2", "2,2", // [0 s, 10 s)
		"2,1", // [2 s, 12 s)
	}
	handCheck(t, "q5", events, want)
}
