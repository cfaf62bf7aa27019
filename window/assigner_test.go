package window

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
)

const ms = time.Millisecond

type fixedClock int64

func (c fixedClock) CurrentProcessingTime() int64 { return int64(c) }

func TestWindowStartWithOffset(t *testing.T) {
	cases := []struct{ ts, offset, size, want int64 }{
		{0, 0, 10, 0},
		{9, 0, 10, 0},
		{10, 0, 10, 10},
		{-1, 0, 10, -10},
		{-10, 0, 10, -10},
		{-11, 0, 10, -20},
		{7, 3, 10, 3},
		{2, 3, 10, -7},
		{-5, 3, 10, -7},
		{5, -3, 10, -3},
		{math.MinInt64 + 9, 0, 10, math.MinInt64 + 8},
		{1_700_000_123_456, 0, 3_600_000, 1_699_999_200_000},
	}
	for _, c := range cases {
		got := WindowStartWithOffset(c.ts, c.offset, c.size)
		if got != c.want {
			t.Errorf("WindowStartWithOffset(%d, %d, %d) = %d, want %d", c.ts, c.offset, c.size, got, c.want)
		}
		if c.ts-got < 0 || c.ts-got >= c.size {
			t.Errorf("WindowStartWithOffset(%d, %d, %d) = %d does not contain ts", c.ts, c.offset, c.size, got)
		}
	}
}

func TestTimeWindow(t *testing.T) {
	w := TimeWindow{Start: 10, End: 20}
	if w.MaxTimestamp() != 19 || w.String() != "[10, 20)" {
		t.Fatalf("MaxTimestamp %d, String %q", w.MaxTimestamp(), w.String())
	}
	cases := []struct {
		o     TimeWindow
		inter bool
	}{
		{TimeWindow{0, 10}, true}, // touching windows merge, as in Flink
		{TimeWindow{20, 30}, true},
		{TimeWindow{0, 9}, false},
		{TimeWindow{21, 30}, false},
		{TimeWindow{12, 15}, true},
		{TimeWindow{0, 40}, true},
	}
	for _, c := range cases {
		if got := w.Intersects(c.o); got != c.inter {
			t.Errorf("%v.Intersects(%v) = %v, want %v", w, c.o, got, c.inter)
		}
	}
	if got := w.Cover(TimeWindow{5, 12}); got != (TimeWindow{5, 20}) {
		t.Errorf("Cover = %v", got)
	}
	if (GlobalWindow{}).MaxTimestamp() != math.MaxInt64 {
		t.Error("GlobalWindow must never end")
	}
}

func TestAssignWindows(t *testing.T) {
	cases := []struct {
		name      string
		assigner  Assigner[int, TimeWindow]
		ts        int64
		now       int64
		want      []TimeWindow
		eventTime bool
	}{
		{"tumbling", TumblingEventTimeWindows[int](10 * ms), 23, 0, []TimeWindow{{20, 30}}, true},
		{"tumbling-negative", TumblingEventTimeWindows[int](10 * ms), -3, 0, []TimeWindow{{-10, 0}}, true},
		{"tumbling-offset", TumblingEventTimeWindows[int](10*ms, 4*ms), 23, 0, []TimeWindow{{14, 24}}, true},
		{"tumbling-hour-offset", TumblingEventTimeWindows[int](time.Hour, 15*time.Minute), 0, 0,
			[]TimeWindow{{-45 * 60_000, 15 * 60_000}}, true},
		{"tumbling-processing", TumblingProcessingTimeWindows[int](10 * ms), 999, 1234, []TimeWindow{{1230, 1240}}, false},
		{"sliding", SlidingEventTimeWindows[int](30*ms, 10*ms), 25, 0, []TimeWindow{{20, 50}, {10, 40}, {0, 30}}, true},
		{"sliding-negative", SlidingEventTimeWindows[int](20*ms, 10*ms), -1, 0, []TimeWindow{{-10, 10}, {-20, 0}}, true},
		{"sliding-offset", SlidingEventTimeWindows[int](20*ms, 10*ms, 5*ms), 12, 0, []TimeWindow{{5, 25}, {-5, 15}}, true},
		{"sliding-gaps", SlidingEventTimeWindows[int](5*ms, 10*ms), 7, 0, nil, true},
		{"sliding-gaps-hit", SlidingEventTimeWindows[int](5*ms, 10*ms), 3, 0, []TimeWindow{{0, 5}}, true},
		{"sliding-processing", SlidingProcessingTimeWindows[int](20*ms, 10*ms), 0, 55, []TimeWindow{{50, 70}, {40, 60}}, false},
		{"session", EventTimeSessionWindows[int](10 * ms), 7, 0, []TimeWindow{{7, 17}}, true},
		{"session-processing", ProcessingTimeSessionWindows[int](10 * ms), 7, 100, []TimeWindow{{100, 110}}, false},
		{"dynamic-session", DynamicEventTimeSessionWindows(func(v int) time.Duration { return time.Duration(v) * ms }), 7, 0,
			[]TimeWindow{{7, 12}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.assigner.AssignWindows(5, c.ts, fixedClock(c.now))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("AssignWindows = %v, want %v", got, c.want)
			}
			if c.assigner.IsEventTime() != c.eventTime {
				t.Fatalf("IsEventTime = %v", c.assigner.IsEventTime())
			}
		})
	}
	g, err := GlobalWindows[int]().AssignWindows(1, eventtime.NoTimestamp, fixedClock(0))
	if err != nil || !slices.Equal(g, []GlobalWindow{{}}) {
		t.Fatalf("GlobalWindows: %v, %v", g, err)
	}
}

func TestMissingTimestamp(t *testing.T) {
	for _, a := range []Assigner[int, TimeWindow]{
		TumblingEventTimeWindows[int](10 * ms),
		SlidingEventTimeWindows[int](10*ms, 5*ms),
		EventTimeSessionWindows[int](10 * ms),
	} {
		_, err := a.AssignWindows(1, eventtime.NoTimestamp, fixedClock(0))
		if !errors.Is(err, ErrNoTimestamp) || !strings.Contains(err.Error(), "WatermarkStrategy with a timestamp assigner") {
			t.Errorf("%v: err = %v, want ErrNoTimestamp telling to set a WatermarkStrategy", a, err)
		}
	}
	// Processing-time assigners do not need timestamps.
	if _, err := TumblingProcessingTimeWindows[int](10*ms).AssignWindows(1, eventtime.NoTimestamp, fixedClock(5)); err != nil {
		t.Fatal(err)
	}

	// Through the operator, the error names the operator and fails the record.
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{
		Name: "sums", Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms),
	}, sumCount{}, emitAcc[TimeWindow]())
	h := newHarness(t, op, err)
	err = h.op.ProcessElement(kv{"a", 1}, eventtime.NoTimestamp)
	if !errors.Is(err, ErrNoTimestamp) || !strings.Contains(err.Error(), `"sums"`) {
		t.Fatalf("ProcessElement without timestamp: %v", err)
	}
}

func TestInvalidConfiguration(t *testing.T) {
	agg := func(cfg Config[string, kv, TimeWindow]) error {
		_, err := NewAggregatingOperator(cfg, sumCount{}, emitAcc[TimeWindow]())
		return err
	}
	buf := func(cfg Config[string, kv, TimeWindow]) error {
		_, err := NewBufferingOperator(cfg, emitSum[TimeWindow]())
		return err
	}
	base := func() Config[string, kv, TimeWindow] {
		return Config[string, kv, TimeWindow]{Name: "w", Key: kvKey, Assigner: TumblingEventTimeWindows[kv](10 * ms)}
	}
	with := func(f func(*Config[string, kv, TimeWindow])) Config[string, kv, TimeWindow] {
		c := base()
		f(&c)
		return c
	}
	cases := []struct {
		name  string
		build func(Config[string, kv, TimeWindow]) error
		cfg   Config[string, kv, TimeWindow]
		want  string
	}{
		{"no key", agg, with(func(c *Config[string, kv, TimeWindow]) { c.Key = nil }), "key selector is nil"},
		{"no assigner", agg, with(func(c *Config[string, kv, TimeWindow]) { c.Assigner = nil }), "assigner is nil"},
		{"negative lateness", agg, with(func(c *Config[string, kv, TimeWindow]) { c.AllowedLateness = -ms }), "allowed lateness"},
		{"evictor with aggregate", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Evictor = CountEvictor[kv, TimeWindow](1)
		}), "NewBufferingOperator"},
		{"zero size", agg, with(func(c *Config[string, kv, TimeWindow]) { c.Assigner = TumblingEventTimeWindows[kv](0) }),
			"size >= 1ms"},
		{"offset too large", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Assigner = TumblingEventTimeWindows[kv](10*ms, 10*ms)
		}), "abs(offset) < size"},
		{"two offsets", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Assigner = TumblingProcessingTimeWindows[kv](10*ms, ms, ms)
		}), "at most one offset"},
		{"sliding offset", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Assigner = SlidingEventTimeWindows[kv](10*ms, 5*ms, 5*ms)
		}), "abs(offset) < slide"},
		{"sliding zero slide", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Assigner = SlidingProcessingTimeWindows[kv](10*ms, time.Microsecond)
		}), "slide >= 1ms"},
		{"session gap", agg, with(func(c *Config[string, kv, TimeWindow]) { c.Assigner = EventTimeSessionWindows[kv](0) }),
			"gap >= 1ms"},
		{"dynamic nil", agg, with(func(c *Config[string, kv, TimeWindow]) { c.Assigner = DynamicEventTimeSessionWindows[kv](nil) }),
			"gap function"},
		{"continuous interval", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Trigger = PurgingTrigger(ContinuousEventTimeTrigger[kv, TimeWindow](0))
		}), "interval >= 1ms"},
		{"count evictor", buf, with(func(c *Config[string, kv, TimeWindow]) { c.Evictor = CountEvictor[kv, TimeWindow](-1) }),
			"max >= 0"},
		{"delta evictor", buf, with(func(c *Config[string, kv, TimeWindow]) { c.Evictor = DeltaEvictor[kv, TimeWindow](1, nil) }),
			"delta function"},
		{"session with non-merging trigger", agg, with(func(c *Config[string, kv, TimeWindow]) {
			c.Assigner = EventTimeSessionWindows[kv](10 * ms)
			c.Trigger = nonMergingTrigger{}
		}), "does not support merging"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.build(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "window: ") {
				t.Fatalf("err = %v, want window: ... %q", err, c.want)
			}
		})
	}
	if _, err := NewAggregatingOperator[string, kv, acc, acc, result[TimeWindow]](base(), sumCount{}, nil); err == nil {
		t.Fatal("nil window function accepted")
	}
	if _, err := NewBufferingOperator[string, kv, result[TimeWindow]](base(), nil); err == nil {
		t.Fatal("nil window function accepted")
	}
}

// nonMergingTrigger is an event-time trigger that does not support merging.
type nonMergingTrigger struct {
	eventTimeTrigger[kv, TimeWindow]
}

func (nonMergingTrigger) CanMerge() bool { return false }

func TestMergeTimeWindows(t *testing.T) {
	type merge struct {
		from   []TimeWindow
		result TimeWindow
	}
	cases := []struct {
		name string
		in   []TimeWindow
		want []merge
	}{
		{"disjoint", []TimeWindow{{0, 5}, {10, 15}}, nil},
		{"touching", []TimeWindow{{10, 15}, {0, 10}}, []merge{{[]TimeWindow{{0, 10}, {10, 15}}, TimeWindow{0, 15}}}},
		{"chain", []TimeWindow{{20, 30}, {0, 10}, {9, 21}, {40, 50}},
			[]merge{{[]TimeWindow{{0, 10}, {9, 21}, {20, 30}}, TimeWindow{0, 30}}}},
		{"two groups", []TimeWindow{{0, 10}, {5, 8}, {100, 110}, {105, 120}},
			[]merge{{[]TimeWindow{{0, 10}, {5, 8}}, TimeWindow{0, 10}}, {[]TimeWindow{{100, 110}, {105, 120}}, TimeWindow{100, 120}}}},
		{"duplicate is no merge", []TimeWindow{{0, 10}, {0, 10}}, nil},
		{"duplicate inside a run", []TimeWindow{{0, 10}, {5, 12}, {0, 10}, {11, 13}},
			[]merge{{[]TimeWindow{{0, 10}, {5, 12}, {11, 13}}, TimeWindow{0, 13}}}},
		{"sorted input", []TimeWindow{{0, 10}, {5, 12}, {20, 30}, {30, 31}},
			[]merge{{[]TimeWindow{{0, 10}, {5, 12}}, TimeWindow{0, 12}}, {[]TimeWindow{{20, 30}, {30, 31}}, TimeWindow{20, 31}}}},
	}
	for _, c := range cases {
		var got []merge
		in := slices.Clone(c.in)
		defer func() {
			if !slices.Equal(in, c.in) {
				t.Errorf("%s: MergeTimeWindows changed its input to %v", c.name, c.in)
			}
		}()
		MergeTimeWindows(c.in, func(from []TimeWindow, r TimeWindow) { got = append(got, merge{slices.Clone(from), r}) })
		if len(got) != len(c.want) {
			t.Fatalf("%s: merges %v, want %v", c.name, got, c.want)
		}
		for i := range got {
			if got[i].result != c.want[i].result || !slices.Equal(got[i].from, c.want[i].from) {
				t.Fatalf("%s: merges %v, want %v", c.name, got, c.want)
			}
		}
	}
}
