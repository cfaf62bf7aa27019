package queries

import (
	"testing"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
)

func TestQ8MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q8")
	if !ok {
		t.Fatal("q8 is not registered")
	}
	// 120,000 events span 12 s: two windows, so people whose auction
	// falls in the next window must be left out.
	compareWithBaseline(t, q, 120_000, 1, 2)
}

func handPerson(id int64, name string, at int64) generator.Event {
	return generator.Event{Person: &generator.Person{ID: id, Name: name, DateTime: handBase + at}}
}

func handAuction(id, seller, at int64) generator.Event {
	return generator.Event{Auction: &generator.Auction{ID: id, Seller: seller, DateTime: handBase + at}}
}

func TestQ8HandWritten(t *testing.T) {
	events := []generator.Event{
		handPerson(1, "alice", 100),
		handPerson(2, "bob", 200),
		handAuction(100, 1, 500),
		handAuction(101, 1, 600), // a second auction: still one row
		handPerson(3, "carol", 9000),
		handAuction(102, 3, 9999),
		handAuction(103, 2, 10_500), // the next window: no row for bob
		handAuction(104, 9, 11_000), // a seller who never registered
	}
	want := []string{
		"1,alice," + ms(0),
		"3,carol," + ms(0),
	}
	handCheck(t, "q8", events, want)
}
