package window

import (
	"errors"
	"fmt"
	"time"

	"github.com/weirstream/weir/eventtime"
)

// ErrNoTimestamp is returned (wrapped) by event-time assigners for a record
// that carries no event timestamp.
var ErrNoTimestamp = errors.New("window: record has no event timestamp")

// AssignerContext is what an assigner may ask the operator while assigning.
type AssignerContext interface {
	// CurrentProcessingTime is the subtask's clock in ms since the epoch.
	CurrentProcessingTime() int64
}

// Assigner puts each record into zero or more windows.
//
// AssignWindows is called once per record, on the subtask goroutine, with the
// record's event timestamp (eventtime.NoTimestamp when it has none); the
// returned slice is owned by the caller. Assigners hold no mutable state, so
// one assigner may serve many subtasks.
type Assigner[T any, W Window] interface {
	// AssignWindows returns the windows v belongs to. Event-time assigners
	// return an error wrapping ErrNoTimestamp when ts is NoTimestamp.
	AssignWindows(v T, ts int64, ctx AssignerContext) ([]W, error)
	// DefaultTrigger is the trigger used when the user sets none.
	DefaultTrigger() Trigger[T, W]
	// IsEventTime reports whether windows are complete by watermark (event
	// time) rather than by the clock. It decides late-record handling and
	// which kind of timer cleans a window up.
	IsEventTime() bool
}

// MergingAssigner assigns windows that merge when they overlap (sessions).
type MergingAssigner[T any, W Window] interface {
	Assigner[T, W]
	// MergeWindows looks at the in-flight windows of one key and calls merge
	// for each group of windows that must become one, with the group and the
	// window replacing it. Each window appears in at most one group.
	MergeWindows(windows []W, merge func(toMerge []W, result W)) error
}

// validator is implemented by the assigners of this package, whose
// constructors do not fail: invalid parameters are reported when the window
// operator is built (and by every AssignWindows call).
type validator interface{ validate() error }

func noTimestampError(assigner string) error {
	return fmt.Errorf("%w: %s assigns event-time windows, so records need timestamps; "+
		"set a WatermarkStrategy with a timestamp assigner on the source (or with "+
		"AssignTimestampsAndWatermarks), or use a processing-time window assigner", ErrNoTimestamp, assigner)
}

// windowTime is the time a time-window assigner places a record at: its
// timestamp, or the subtask's clock for processing-time assigners. invalid
// is the assigner's validation error.
func windowTime(invalid error, eventTime bool, assigner string, ts int64, ctx AssignerContext) (int64, error) {
	switch {
	case invalid != nil:
		return 0, invalid
	case !eventTime:
		return ctx.CurrentProcessingTime(), nil
	case ts == eventtime.NoTimestamp:
		return 0, noTimestampError(assigner)
	}
	return ts, nil
}

func firstOffset(offset []time.Duration) int64 {
	if len(offset) == 0 {
		return 0
	}
	return offset[0].Milliseconds()
}

// tumbling assigns each record to the one window of length size that holds
// its timestamp (or the current processing time).
type tumbling[T any] struct {
	name         string
	size, offset int64
	eventTime    bool
	err          error
}

func newTumbling[T any](name string, eventTime bool, size time.Duration, offset []time.Duration) *tumbling[T] {
	a := &tumbling[T]{name: name, size: size.Milliseconds(), offset: firstOffset(offset), eventTime: eventTime}
	switch {
	case len(offset) > 1:
		a.err = fmt.Errorf("window: %s takes at most one offset, got %d", name, len(offset))
	case a.size <= 0 || abs(a.offset) >= a.size:
		a.err = fmt.Errorf("window: %s needs size >= 1ms and abs(offset) < size, got size %v and offset %vms", name, size, a.offset)
	}
	return a
}

// TumblingEventTimeWindows assigns each record to the window
// [start, start+size) that contains its event timestamp, where windows are
// aligned to the epoch plus offset (abs(offset) < size). Durations are
// truncated to milliseconds. Its default trigger fires when the watermark
// passes the window's end.
func TumblingEventTimeWindows[T any](size time.Duration, offset ...time.Duration) Assigner[T, TimeWindow] {
	return newTumbling[T]("TumblingEventTimeWindows", true, size, offset)
}

// TumblingProcessingTimeWindows is TumblingEventTimeWindows on the subtask's
// clock: a record goes to the window holding the processing time at which it
// arrives, and windows fire when the clock passes their end.
func TumblingProcessingTimeWindows[T any](size time.Duration, offset ...time.Duration) Assigner[T, TimeWindow] {
	return newTumbling[T]("TumblingProcessingTimeWindows", false, size, offset)
}

func (a *tumbling[T]) validate() error { return a.err }

func (a *tumbling[T]) AssignWindows(_ T, ts int64, ctx AssignerContext) ([]TimeWindow, error) {
	ts, err := windowTime(a.err, a.eventTime, a.name, ts, ctx)
	if err != nil {
		return nil, err
	}
	start := WindowStartWithOffset(ts, a.offset%a.size, a.size)
	return []TimeWindow{{Start: start, End: start + a.size}}, nil
}

func (a *tumbling[T]) DefaultTrigger() Trigger[T, TimeWindow] {
	if a.eventTime {
		return EventTimeTrigger[T, TimeWindow]()
	}
	return ProcessingTimeTrigger[T, TimeWindow]()
}

func (a *tumbling[T]) IsEventTime() bool { return a.eventTime }

func (a *tumbling[T]) String() string { return fmt.Sprintf("%s(%dms)", a.name, a.size) }

// sliding assigns each record to the size/slide overlapping windows that
// contain its timestamp.
type sliding[T any] struct {
	name                string
	size, slide, offset int64
	eventTime           bool
	err                 error
}

func newSliding[T any](name string, eventTime bool, size, slide time.Duration, offset []time.Duration) *sliding[T] {
	a := &sliding[T]{name: name, size: size.Milliseconds(), slide: slide.Milliseconds(), offset: firstOffset(offset), eventTime: eventTime}
	switch {
	case len(offset) > 1:
		a.err = fmt.Errorf("window: %s takes at most one offset, got %d", name, len(offset))
	case a.size <= 0 || a.slide <= 0 || abs(a.offset) >= a.slide:
		a.err = fmt.Errorf("window: %s needs size >= 1ms, slide >= 1ms and abs(offset) < slide, got size %v, slide %v and offset %vms",
			name, size, slide, a.offset)
	}
	return a
}

// SlidingEventTimeWindows assigns each record to every window of length size
// that contains its event timestamp; a window starts every slide (aligned to
// the epoch plus offset, abs(offset) < slide), so a record is in about
// size/slide windows. Durations are truncated to milliseconds.
func SlidingEventTimeWindows[T any](size, slide time.Duration, offset ...time.Duration) Assigner[T, TimeWindow] {
	return newSliding[T]("SlidingEventTimeWindows", true, size, slide, offset)
}

// SlidingProcessingTimeWindows is SlidingEventTimeWindows on the subtask's
// clock.
func SlidingProcessingTimeWindows[T any](size, slide time.Duration, offset ...time.Duration) Assigner[T, TimeWindow] {
	return newSliding[T]("SlidingProcessingTimeWindows", false, size, slide, offset)
}

func (a *sliding[T]) validate() error { return a.err }

func (a *sliding[T]) AssignWindows(_ T, ts int64, ctx AssignerContext) ([]TimeWindow, error) {
	ts, err := windowTime(a.err, a.eventTime, a.name, ts, ctx)
	if err != nil {
		return nil, err
	}
	windows := make([]TimeWindow, 0, (a.size+a.slide-1)/a.slide)
	for start := WindowStartWithOffset(ts, a.offset, a.slide); start > ts-a.size; start -= a.slide {
		windows = append(windows, TimeWindow{Start: start, End: start + a.size})
	}
	return windows, nil
}

func (a *sliding[T]) DefaultTrigger() Trigger[T, TimeWindow] {
	if a.eventTime {
		return EventTimeTrigger[T, TimeWindow]()
	}
	return ProcessingTimeTrigger[T, TimeWindow]()
}

func (a *sliding[T]) IsEventTime() bool { return a.eventTime }

func (a *sliding[T]) String() string {
	return fmt.Sprintf("%s(%dms, %dms)", a.name, a.size, a.slide)
}

// session puts each record into [ts, ts+gap) and merges overlapping windows,
// so a session ends after gap without records.
type session[T any] struct {
	name      string
	gap       int64
	dynamic   func(T) time.Duration
	eventTime bool
	err       error
}

// EventTimeSessionWindows groups a key's records into sessions: a record with
// timestamp ts opens the window [ts, ts+gap), and windows that overlap or
// touch merge, so a session closes once no record arrived within gap of its
// last one (by event time).
func EventTimeSessionWindows[T any](gap time.Duration) MergingAssigner[T, TimeWindow] {
	return newSession[T]("EventTimeSessionWindows", true, gap)
}

// ProcessingTimeSessionWindows is EventTimeSessionWindows on the subtask's
// clock: sessions close after gap without records arriving.
func ProcessingTimeSessionWindows[T any](gap time.Duration) MergingAssigner[T, TimeWindow] {
	return newSession[T]("ProcessingTimeSessionWindows", false, gap)
}

// DynamicEventTimeSessionWindows is EventTimeSessionWindows with a gap chosen
// per record. A gap below 1ms makes AssignWindows fail.
func DynamicEventTimeSessionWindows[T any](gap func(T) time.Duration) MergingAssigner[T, TimeWindow] {
	a := &session[T]{name: "DynamicEventTimeSessionWindows", dynamic: gap, eventTime: true}
	if gap == nil {
		a.err = errors.New("window: DynamicEventTimeSessionWindows needs a gap function, got nil")
	}
	return a
}

func newSession[T any](name string, eventTime bool, gap time.Duration) *session[T] {
	a := &session[T]{name: name, gap: gap.Milliseconds(), eventTime: eventTime}
	if a.gap <= 0 {
		a.err = fmt.Errorf("window: %s needs a gap >= 1ms, got %v", name, gap)
	}
	return a
}

func (a *session[T]) validate() error { return a.err }

func (a *session[T]) AssignWindows(v T, ts int64, ctx AssignerContext) ([]TimeWindow, error) {
	ts, err := windowTime(a.err, a.eventTime, a.name, ts, ctx)
	if err != nil {
		return nil, err
	}
	gap := a.gap
	if a.dynamic != nil {
		d := a.dynamic(v)
		if gap = d.Milliseconds(); gap <= 0 {
			return nil, fmt.Errorf("window: %s: the gap function returned %v for a record; session gaps must be >= 1ms", a.name, d)
		}
	}
	return []TimeWindow{{Start: ts, End: ts + gap}}, nil
}

func (a *session[T]) MergeWindows(windows []TimeWindow, merge func(toMerge []TimeWindow, result TimeWindow)) error {
	MergeTimeWindows(windows, merge)
	return nil
}

func (a *session[T]) DefaultTrigger() Trigger[T, TimeWindow] {
	if a.eventTime {
		return EventTimeTrigger[T, TimeWindow]()
	}
	return ProcessingTimeTrigger[T, TimeWindow]()
}

func (a *session[T]) IsEventTime() bool { return a.eventTime }

func (a *session[T]) String() string {
	if a.dynamic != nil {
		return a.name
	}
	return fmt.Sprintf("%s(%dms)", a.name, a.gap)
}

type global[T any] struct{}

// GlobalWindows puts every record of a key into the one GlobalWindow. Its
// default trigger never fires, so it is used with a custom trigger (such as
// CountTrigger). The window is never cleaned up: set a purging trigger to
// bound its contents.
func GlobalWindows[T any]() Assigner[T, GlobalWindow] { return global[T]{} }

func (global[T]) AssignWindows(T, int64, AssignerContext) ([]GlobalWindow, error) {
	return []GlobalWindow{{}}, nil
}

func (global[T]) DefaultTrigger() Trigger[T, GlobalWindow] { return NeverTrigger[T, GlobalWindow]() }

func (global[T]) IsEventTime() bool { return false }

func (global[T]) String() string { return "GlobalWindows" }

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
