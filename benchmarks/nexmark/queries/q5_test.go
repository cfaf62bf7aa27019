package queries

import "testing"

func TestQ5MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q5")
	if !ok {
		t.Fatal("q5 is not registered")
	}
	compareWithBaseline(t, q, 20_000, 1, 2)
}
