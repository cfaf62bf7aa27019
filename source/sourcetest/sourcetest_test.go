package sourcetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/source"
)

func TestMultisetDiff(t *testing.T) {
	tests := []struct {
		name      string
		got, want []string
		diff      string // substring of the difference; "" when equal
	}{
		{"equal in another order", []string{"b", "a", "a"}, []string{"a", "b", "a"}, ""},
		{"both empty", nil, []string{}, ""},
		{"missing", []string{"a"}, []string{"a", "b"}, "1 records, want 2; b emitted 0 times, want 1"},
		{"duplicated", []string{"a", "a", "b"}, []string{"a", "b"}, "a emitted 2 times, want 1"},
		{"unexpected", []string{"a", "z"}, []string{"a"}, "z emitted 1 times, want 0"},
		{"same length, other values", []string{"a", "a"}, []string{"a", "b"}, "a emitted 2 times, want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff := multisetDiff(tt.got, tt.want)
			if (diff == "") != (tt.diff == "") || !strings.Contains(diff, tt.diff) {
				t.Fatalf("multisetDiff(%q, %q) = %q, want %q", tt.got, tt.want, diff, tt.diff)
			}
		})
	}
}

type split struct{ ID string }

func (s split) SplitID() string { return s.ID }

func TestEnumContext(t *testing.T) {
	c := NewEnumContext[split](2)
	if c.CurrentParallelism() != 2 || len(c.RegisteredReaders()) != 2 {
		t.Fatalf("parallelism %d, readers %v", c.CurrentParallelism(), c.RegisteredReaders())
	}
	delete(c.Registered, 1)
	if err := c.AssignSplit(split{"x"}, 1); err == nil {
		t.Fatal("assigned to an unregistered reader")
	}
	if err := c.AssignSplits(map[int][]split{0: {{"a"}, {"b"}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.SignalNoMoreSplits(0); err != nil {
		t.Fatal(err)
	}
	if err := c.SendEventToSourceReader(0, "hello"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Assigned[0], []split{{"a"}, {"b"}}) || len(c.Assigned[1]) != 0 || c.NoMore[0] != 1 || len(c.Events[0]) != 1 {
		t.Fatalf("assigned %v, no-more %v, events %v", c.Assigned, c.NoMore, c.Events)
	}

	var runs []string
	boom := errors.New("boom")
	c.CallAsync(func() (any, error) { return "found", nil }, func(v any, err error) error {
		runs = append(runs, v.(string))
		return err
	}, 0, time.Second)
	c.CallAsync(func() (any, error) { return nil, boom }, func(_ any, err error) error { return err }, 0, 0)
	if len(runs) != 0 {
		t.Fatal("CallAsync ran before RunAsync")
	}
	if err := c.RunAsync(); !errors.Is(err, boom) || !slices.Equal(runs, []string{"found"}) {
		t.Fatalf("RunAsync: %v, runs %v", err, runs)
	}
}

func TestReaderContext(t *testing.T) {
	c := NewReaderContext(1, 3)
	c.SendSplitRequest()
	c.SendSplitRequest()
	c.SendSourceEventToCoordinator(7)
	c.Clock.Set(1000)
	c.Clock.Add(5)
	if c.SubtaskIndex() != 1 || c.Parallelism() != 3 || c.Requests() != 2 || c.Now() != 1005 || !slices.Equal(c.SentEvents(), []source.SourceEvent{7}) {
		t.Fatalf("subtask %d of %d, %d requests, now %d, sent %v", c.SubtaskIndex(), c.Parallelism(), c.Requests(), c.Now(), c.SentEvents())
	}
}

func TestReaderOutputAttributesSplits(t *testing.T) {
	var o ReaderOutput[int]
	o.Collect(1)
	o.CreateOutputForSplit("s").CollectWithTimestamp(2, 20)
	o.ReleaseOutputForSplit("s")
	want := []Record[int]{{Value: 1}, {Split: "s", Value: 2, TS: 20, HasTS: true}}
	if !slices.Equal(o.Records, want) || !slices.Equal(o.Values(), []int{1, 2}) || !slices.Equal(o.Released, []string{"s"}) {
		t.Fatalf("records %+v, released %v", o.Records, o.Released)
	}
}

func TestOutput(t *testing.T) {
	var o Output[string]
	o.Collect("a", 5)
	o.EmitWatermark(4)
	o.EmitWatermarkStatus(true)
	o.Collect("b", 6)
	if o.Len() != 2 || !slices.Equal(o.Values(), []string{"a", "b"}) || !slices.Equal(o.Timestamps(), []int64{5, 6}) ||
		!slices.Equal(o.Watermarks(), []int64{4}) || !slices.Equal(o.Statuses(), []bool{true}) {
		t.Fatalf("values %v, timestamps %v, watermarks %v, statuses %v", o.Values(), o.Timestamps(), o.Watermarks(), o.Statuses())
	}
}

func TestWallClockFiresDueTimersOnly(t *testing.T) {
	var c wallClock
	var fired []int64
	record := func(ts int64) error { fired = append(fired, ts); return nil }
	c.RegisterTimer(10, record)
	cancel := c.RegisterTimer(20, record)
	c.RegisterTimer(30, func(ts int64) error {
		// A timer may register another one while firing.
		c.RegisterTimer(ts+1, record)
		return nil
	})
	c.RegisterTimer(100, record)
	cancel()
	if d := c.untilNext(5); d != 5*time.Millisecond {
		t.Fatalf("untilNext(5) = %v", d)
	}
	if err := c.fireDue(30); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fired, []int64{10}) {
		t.Fatalf("fired %v", fired)
	}
	if err := c.fireDue(31); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fired, []int64{10, 31}) {
		t.Fatalf("fired %v", fired)
	}
	if d := c.untilNext(200); d != time.Millisecond {
		t.Fatalf("overdue timer: untilNext = %v", d)
	}
	boom := errors.New("boom")
	c.RegisterTimer(0, func(int64) error { return boom })
	if err := c.fireDue(1); !errors.Is(err, boom) {
		t.Fatalf("timer error: %v", err)
	}
}

func TestNewContext(t *testing.T) {
	var clock wallClock
	var ran []func() error
	ctx := NewContext(2, 4, &clock, func(fn func() error) { ran = append(ran, fn) })
	if ctx.SubtaskIndex() != 2 || ctx.Parallelism() != 4 || ctx.MaxParallelism() != MaxParallelism || ctx.ProcessingTime() != &clock || ctx.Config() == nil {
		t.Fatal("context does not report what it was built with")
	}
	if r := ctx.KeyGroupRange(); r != (keygroup.Range{Start: 64, End: 95}) {
		t.Fatalf("key group range %+v", r)
	}
	ctx.Execute("x", func() error { return nil })
	if len(ran) != 1 {
		t.Fatal("Execute did not reach the execute function")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Execute without an execute function did not panic")
		}
	}()
	NewContext(0, 1, &clock, nil).Execute("y", func() error { return nil })
}
