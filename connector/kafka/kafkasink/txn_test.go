package kafkasink

import (
	"testing"
)

func TestTransactionalIDs(t *testing.T) {
	for _, tc := range []struct {
		prefix, id string
		sub        int
		n          int64
		ok         bool
	}{
		{"job", "job-0-1", 0, 1, true},
		{"job", "job-12-345", 12, 345, true},
		{"a-b", "a-b-3-9", 3, 9, true},
		// A longer prefix that starts with this one is another sink's.
		{"job", "job-2-3-4", 0, 0, false},
		{"job", "job2-0-1", 0, 0, false},
		{"job", "job-0", 0, 0, false},
		{"job", "job-x-1", 0, 0, false},
		{"job", "job-01-1", 0, 0, false},
		{"job", "job--1-1", 0, 0, false},
		{"job", "job-+1-1", 0, 0, false},
		{"job", "job-1-", 0, 0, false},
		{"job", "job-1-99999999999999999999", 0, 0, false},
		{"job", "other-0-1", 0, 0, false},
	} {
		sub, n, ok := parseTransactionalID(tc.prefix, tc.id)
		if ok != tc.ok || ok && (sub != tc.sub || n != tc.n) {
			t.Errorf("parse(%q, %q) = %d, %d, %v; want %d, %d, %v", tc.prefix, tc.id, sub, n, ok, tc.sub, tc.n, tc.ok)
		}
		if tc.ok {
			if got := transactionalID(tc.prefix, tc.sub, tc.n); got != tc.id {
				t.Errorf("transactionalID(%q, %d, %d) = %q, want %q", tc.prefix, tc.sub, tc.n, got, tc.id)
			}
		}
	}
}

// Every id the parser accepts is one the writer would have made, so
// cleanup never aborts a transaction the sink did not name.
func FuzzParseTransactionalID(f *testing.F) {
	f.Add("job", "job-0-1")
	f.Add("job", "job-2-3-4")
	f.Add("a-b", "a-b-10-0")
	f.Add("", "-1-1")
	f.Fuzz(func(t *testing.T, prefix, id string) {
		sub, n, ok := parseTransactionalID(prefix, id)
		if !ok {
			return
		}
		if sub < 0 || n < 0 {
			t.Fatalf("parse(%q, %q) = %d, %d: negative", prefix, id, sub, n)
		}
		if got := transactionalID(prefix, sub, n); got != id {
			t.Fatalf("parse(%q, %q) = %d, %d, which names %q", prefix, id, sub, n, got)
		}
	})
}
