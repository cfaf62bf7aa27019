package queries

import "testing"

func TestQ8MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q8")
	if !ok {
		t.Fatal("q8 is not registered")
	}
	compareWithBaseline(t, q, 20_000, 1, 2)
}
