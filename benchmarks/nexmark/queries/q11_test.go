package queries

import (
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ11MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q11")
	if !ok {
		t.Fatal("q11 is not registered")
	}
	compareWithBaseline(t, q, 20_000, 1, 2)
}

func TestQ11HandWritten(t *testing.T) {
	events := []generator.Event{
		handBid(1, 7, 1, 0, ""),
		handBid(1, 8, 1, 5, ""),
		handBid(1, 7, 1, 10_000, ""), // exactly one gap later: sessions touch and merge
		handBid(1, 7, 1, 20_001, ""), // more than a gap later: a new session
	}
	want := []string{
		"7,2," + ms(0) + "," + ms(20_000),
		"7,1," + ms(20_001) + "," + ms(30_001),
		"8,1," + ms(5) + "," + ms(10_005),
	}
	handCheck(t, "q11", events, want)
}
