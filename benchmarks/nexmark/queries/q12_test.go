package queries

import (
	"fmt"
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

// q12Total checks every row's shape and returns the sum of its bid_count.
func q12Total(t *testing.T, rows []string) int64 {
	t.Helper()
	var total int64
	for _, row := range rows {
		var bidder, count, start, end int64
		if _, err := fmt.Sscanf(row, "%d,%d,%d,%d", &bidder, &count, &start, &end); err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		if count < 1 || end-start != q12Size.Milliseconds() || start%q12Size.Milliseconds() != 0 {
			t.Fatalf("row %q is not a non-empty aligned 10 s window", row)
		}
		total += count
	}
	return total
}

// Processing-time windows depend on the wall clock, so rows cannot be
// compared with the baseline; every bid must still be counted exactly
// once, including those of windows still open when the input ends.
func TestQ12CountsEveryBid(t *testing.T) {
	const n = 20_000
	q, ok := Lookup("q12")
	if !ok {
		t.Fatal("q12 is not registered")
	}
	if !q.ProcessingTime {
		t.Fatal("q12 is not marked ProcessingTime")
	}
	g := generator.MustNew(generator.DefaultConfig(), generator.DefaultSeed)
	var bids int64
	for i := range int64(n) {
		if e, _ := g.NextEvent(i); e.Bid != nil {
			bids++
		}
	}
	if got := q12Total(t, runBaseline(q, g, n)); got != bids {
		t.Fatalf("baseline counts %d bids, the events hold %d", got, bids)
	}
	for _, p := range []int{1, 2} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			if got := q12Total(t, runWeir(t, q, g, n, p)); got != bids {
				t.Fatalf("weir counts %d bids, the events hold %d", got, bids)
			}
		})
	}
}
