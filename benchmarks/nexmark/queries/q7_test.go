package queries

import "testing"

func TestQ7MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q7")
	if !ok {
		t.Fatal("q7 is not registered")
	}
	compareWithBaseline(t, q, 20_000, 1, 2)
}
