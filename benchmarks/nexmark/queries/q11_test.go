package queries

import "testing"

func TestQ11MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q11")
	if !ok {
		t.Fatal("q11 is not registered")
	}
	compareWithBaseline(t, q, 20_000, 1, 2)
}
