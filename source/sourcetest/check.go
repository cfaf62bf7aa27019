package sourcetest

import (
	"fmt"
	"testing"
)

// CheckExactlyOnce fails the test unless got holds the values of want
// exactly once each, in any order (as multisets: a value want holds twice
// must be got twice). The message names the first value off, in want's
// order, then got's.
func CheckExactlyOnce[T comparable](t testing.TB, got, want []T) {
	t.Helper()
	if diff := multisetDiff(got, want); diff != "" {
		t.Fatal(diff)
	}
}

// multisetDiff describes the first difference between got and want as
// multisets, or returns "" when they are equal.
func multisetDiff[T comparable](got, want []T) string {
	wantN := make(map[T]int, len(want))
	for _, v := range want {
		wantN[v]++
	}
	gotN := make(map[T]int, len(got))
	for _, v := range got {
		gotN[v]++
	}
	for _, vs := range [][]T{want, got} {
		for _, v := range vs {
			if gotN[v] != wantN[v] {
				return fmt.Sprintf("sourcetest: %d records, want %d; %v emitted %d times, want %d", len(got), len(want), v, gotN[v], wantN[v])
			}
		}
	}
	return ""
}
