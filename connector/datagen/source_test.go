package datagen

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
)

func flatten[T any](recs [][]T) []T {
	var all []T
	for _, r := range recs {
		all = append(all, r...)
	}
	return all
}

// assertIndexesOnce checks that got holds every number in [0, n) once.
func assertIndexesOnce(t *testing.T, got []int64, n int64) {
	t.Helper()
	seen := make([]int, n)
	for _, v := range got {
		if v < 0 || v >= n {
			t.Fatalf("record %d outside [0, %d)", v, n)
		}
		seen[v]++
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("index %d emitted %d times (%d records)", i, c, len(got))
		}
	}
}

func TestEndToEndExactlyOnce(t *testing.T) {
	tests := []struct {
		count int64
		p     int
	}{{0, 2}, {1, 3}, {5000, 1}, {10001, 3}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("count%d-p%d", tt.count, tt.p), func(t *testing.T) {
			j := startJob(t, New(tt.count, func(i int64) (int64, error) { return i, nil }), tt.p, nil, nil)
			if err := j.run(-1); err != nil {
				t.Fatal(err)
			}
			if err := j.stop(); err != nil {
				t.Fatal(err)
			}
			assertIndexesOnce(t, flatten(j.records()), tt.count)
		})
	}
}

func TestEndToEndRestoreFromCheckpoint(t *testing.T) {
	const count = 20000
	for _, stopAfter := range []int{0, 1, 2500} {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) {
			src := New(count, func(i int64) (int64, error) { return i, nil })
			j1 := startJob(t, src, 3, nil, nil)
			if err := j1.run(stopAfter); err != nil {
				t.Fatal(err)
			}
			enum, splits := j1.checkpoint(1)
			before := flatten(j1.records())
			if stopAfter > 0 && (len(before) == 0 || len(before) >= count) {
				t.Fatalf("checkpoint after %d records tests no restore", len(before))
			}
			if err := j1.stop(); err != nil {
				t.Fatal(err)
			}
			j2 := startJob(t, src, 3, enum, splits)
			if err := j2.run(-1); err != nil {
				t.Fatal(err)
			}
			if err := j2.stop(); err != nil {
				t.Fatal(err)
			}
			assertIndexesOnce(t, append(before, flatten(j2.records())...), count)
		})
	}
}

func TestEndToEndTimestamps(t *testing.T) {
	type event struct{ ID, TS int64 }
	gen := func(i int64) (event, error) { return event{ID: i, TS: 1000 * i}, nil }
	tests := []struct {
		name   string
		src    *Source[event]
		wantTS func(event) int64
	}{
		{"with", New(50, gen, WithTimestamps(func(e event) int64 { return e.TS })), func(e event) int64 { return e.TS }},
		{"without", New(50, gen), func(event) int64 { return eventtime.NoTimestamp }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := startJob(t, tt.src, 2, nil, nil)
			if err := j.run(-1); err != nil {
				t.Fatal(err)
			}
			if err := j.stop(); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, st := range j.subtasks {
				for i, v := range st.out.values {
					if got := st.out.timestamps[i]; got != tt.wantTS(v) {
						t.Fatalf("record %+v has timestamp %d", v, got)
					}
					n++
				}
			}
			if n != 50 {
				t.Fatalf("%d records", n)
			}
		})
	}
}

func TestEndToEndRateLimitedUnbounded(t *testing.T) {
	const rate = 2000.0
	src := New(Unbounded, func(i int64) (int64, error) { return i, nil }, WithRateLimit(rate))
	j := startJob(t, src, 2, nil, nil)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- j.run(-1) }()
	time.Sleep(300 * time.Millisecond)
	j.interrupt()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	if err := j.stop(); err != nil {
		t.Fatal(err)
	}
	got := flatten(j.records())
	if limit := rate*elapsed + 4; float64(len(got)) > limit {
		t.Fatalf("%d records in %.3fs exceed the rate limit (%v)", len(got), elapsed, limit)
	}
	if len(got) < int(rate*0.3*0.3) {
		t.Fatalf("only %d records in %.3fs at %v/s", len(got), elapsed, rate)
	}
	// Both strides progressed and no index repeats.
	slices.Sort(got)
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatal("an index was generated twice")
	}
	for st, recs := range j.records() {
		if len(recs) == 0 {
			t.Fatalf("subtask %d emitted nothing", st)
		}
		for _, v := range recs {
			if v%2 != int64(st) {
				t.Fatalf("subtask %d generated index %d of the other stride", st, v)
			}
		}
	}
}
