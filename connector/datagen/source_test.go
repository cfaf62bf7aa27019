package datagen

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source/sourcetest"
)

// indexes returns the numbers [0, n): what a source of identity
// generators must emit.
func indexes(n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

func identity(i int64) (int64, error) { return i, nil }

var noWatermarks = eventtime.NoWatermarks[int64]()

func TestEndToEndExactlyOnce(t *testing.T) {
	tests := []struct {
		count int64
		p     int
	}{{0, 2}, {1, 3}, {5000, 1}, {10001, 3}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("count%d-p%d", tt.count, tt.p), func(t *testing.T) {
			j, err := sourcetest.Run(t, New(tt.count, identity), noWatermarks, tt.p, sourcetest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckExactlyOnce(t, j.AllRecords(), indexes(tt.count))
		})
	}
}

func TestEndToEndRestoreFromCheckpoint(t *testing.T) {
	const count = 20000
	for _, stopAfter := range []int{0, 1, 2500} {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) {
			src := New(count, identity)
			j1 := sourcetest.Start(t, src, noWatermarks, 3, sourcetest.Options{})
			if err := j1.RunUntil(stopAfter); err != nil {
				t.Fatal(err)
			}
			cp := j1.Checkpoint(1)
			before := j1.AllRecords()
			if stopAfter > 0 && (len(before) == 0 || len(before) >= count) {
				t.Fatalf("checkpoint after %d records tests no restore", len(before))
			}
			if err := j1.Stop(); err != nil {
				t.Fatal(err)
			}
			j2, err := sourcetest.Run(t, src, noWatermarks, 3, sourcetest.Options{Restore: cp})
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckExactlyOnce(t, append(before, j2.AllRecords()...), indexes(count))
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
			j, err := sourcetest.Run(t, tt.src, eventtime.NoWatermarks[event](), 2, sourcetest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for st := range j.Parallelism() {
				out := j.Output(st)
				timestamps := out.Timestamps()
				for i, v := range out.Values() {
					if got := timestamps[i]; got != tt.wantTS(v) {
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
	src := New(Unbounded, identity, WithRateLimit(rate))
	j := sourcetest.Start(t, src, noWatermarks, 2, sourcetest.Options{})
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- j.Run() }()
	time.Sleep(300 * time.Millisecond)
	j.Interrupt()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	if err := j.Stop(); err != nil {
		t.Fatal(err)
	}
	got := j.AllRecords()
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
	for st, recs := range j.Records() {
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
