package window

import (
	"fmt"
	"math"
	"time"

	"github.com/weirstream/weir/state"
)

// TriggerResult is a trigger's decision about a window.
type TriggerResult int

const (
	// Continue does nothing.
	Continue TriggerResult = iota
	// Fire evaluates the window function on the contents and keeps them.
	Fire
	// Purge drops the contents without evaluating them. Trigger state and
	// the window's metadata stay until the window is cleaned up.
	Purge
	// FireAndPurge evaluates the window, then drops its contents.
	FireAndPurge
)

// IsFire reports whether the window function must be evaluated.
func (r TriggerResult) IsFire() bool { return r == Fire || r == FireAndPurge }

// IsPurge reports whether the window contents must be dropped.
func (r TriggerResult) IsPurge() bool { return r == Purge || r == FireAndPurge }

// String returns Flink's name of the result.
func (r TriggerResult) String() string {
	switch r {
	case Continue:
		return "CONTINUE"
	case Fire:
		return "FIRE"
	case Purge:
		return "PURGE"
	case FireAndPurge:
		return "FIRE_AND_PURGE"
	}
	return fmt.Sprintf("TriggerResult(%d)", int(r))
}

// TriggerContext is what a trigger may use while it handles one window of
// one key. It is only valid during the call it was passed to.
type TriggerContext interface {
	CurrentProcessingTime() int64
	CurrentWatermark() int64
	// Timers registered here are scoped to the current key and window; when
	// one fires the trigger's OnEventTime / OnProcessingTime is called for
	// that window. Registering the same time twice yields one timer.
	RegisterEventTimeTimer(ts int64)
	DeleteEventTimeTimer(ts int64)
	RegisterProcessingTimeTimer(ts int64)
	DeleteProcessingTimeTimer(ts int64)
	// Backend is the operator's keyed state backend with the current key
	// set. Triggers keep per-window state in it: obtain it with the
	// Partitioned*State functions of this package (which scope it to
	// Window() and let MergePartitionedState find it), or with the state.Get*
	// functions followed by SetNamespace(Window()) before every use, because
	// one state handle serves every window. Trigger state shares its names
	// with the window function's GlobalState and with the operator's own
	// state ("window-contents", "merging-window-set"): choose names that do
	// not clash.
	Backend() state.KeyedBackend
	// Window is the namespace of the window being handled (the W value).
	Window() any
}

// OnMergeContext is the TriggerContext of Trigger.OnMerge; Window is the
// window that results from the merge.
type OnMergeContext interface {
	TriggerContext
	// MergePartitionedState folds the trigger state named stateName of every
	// merged window into the resulting window (lists concatenate, reducing
	// states reduce, aggregating states merge accumulators; value and map
	// state cannot merge). The state must have been obtained in this
	// subtask through one of the Partitioned*State functions.
	MergePartitionedState(stateName string) error
}

// Trigger decides when a window is evaluated and when its contents are
// dropped. A trigger is shared by all keys and windows of a subtask, so it
// keeps anything per window in state obtained through the context, never in
// its own fields.
//
// The operator calls OnElement for each record added to a window,
// OnEventTime / OnProcessingTime when a timer the trigger registered for the
// window fires (also for the operator's own cleanup timer at the end of the
// allowed lateness), OnMerge when windows of a merging assigner merged (for
// the resulting window, after which Clear is called for each merged window),
// and Clear when the window is removed: Clear must delete the trigger's
// timers and state for the window.
type Trigger[T any, W Window] interface {
	OnElement(v T, ts int64, w W, ctx TriggerContext) (TriggerResult, error)
	OnEventTime(time int64, w W, ctx TriggerContext) (TriggerResult, error)
	OnProcessingTime(time int64, w W, ctx TriggerContext) (TriggerResult, error)
	// CanMerge reports whether OnMerge is supported; a merging assigner
	// (sessions) needs a trigger that can merge.
	CanMerge() bool
	OnMerge(w W, ctx OnMergeContext) error
	Clear(w W, ctx TriggerContext) error
}

type eventTimeTrigger[T any, W Window] struct{}

// EventTimeTrigger fires once the watermark passes the window's
// MaxTimestamp (immediately for records added to a window the watermark has
// already passed, which happens with allowed lateness). It is the default
// trigger of event-time assigners.
func EventTimeTrigger[T any, W Window]() Trigger[T, W] { return eventTimeTrigger[T, W]{} }

func (eventTimeTrigger[T, W]) OnElement(_ T, _ int64, w W, ctx TriggerContext) (TriggerResult, error) {
	if w.MaxTimestamp() <= ctx.CurrentWatermark() {
		return Fire, nil
	}
	ctx.RegisterEventTimeTimer(w.MaxTimestamp())
	return Continue, nil
}

func (eventTimeTrigger[T, W]) OnEventTime(t int64, w W, _ TriggerContext) (TriggerResult, error) {
	if t == w.MaxTimestamp() {
		return Fire, nil
	}
	return Continue, nil
}

func (eventTimeTrigger[T, W]) OnProcessingTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

func (eventTimeTrigger[T, W]) CanMerge() bool { return true }

func (eventTimeTrigger[T, W]) OnMerge(w W, ctx OnMergeContext) error {
	// A merged window whose end the watermark already passed fires through
	// the operator's element path; only a future end needs a timer.
	if w.MaxTimestamp() > ctx.CurrentWatermark() {
		ctx.RegisterEventTimeTimer(w.MaxTimestamp())
	}
	return nil
}

func (eventTimeTrigger[T, W]) Clear(w W, ctx TriggerContext) error {
	ctx.DeleteEventTimeTimer(w.MaxTimestamp())
	return nil
}

func (eventTimeTrigger[T, W]) String() string { return "EventTimeTrigger()" }

type processingTimeTrigger[T any, W Window] struct{}

// ProcessingTimeTrigger fires when the subtask's clock passes the window's
// MaxTimestamp. It is the default trigger of processing-time assigners.
func ProcessingTimeTrigger[T any, W Window]() Trigger[T, W] { return processingTimeTrigger[T, W]{} }

func (processingTimeTrigger[T, W]) OnElement(_ T, _ int64, w W, ctx TriggerContext) (TriggerResult, error) {
	ctx.RegisterProcessingTimeTimer(w.MaxTimestamp())
	return Continue, nil
}

func (processingTimeTrigger[T, W]) OnEventTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

func (processingTimeTrigger[T, W]) OnProcessingTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Fire, nil
}

func (processingTimeTrigger[T, W]) CanMerge() bool { return true }

func (processingTimeTrigger[T, W]) OnMerge(w W, ctx OnMergeContext) error {
	if w.MaxTimestamp() > ctx.CurrentProcessingTime() {
		ctx.RegisterProcessingTimeTimer(w.MaxTimestamp())
	}
	return nil
}

func (processingTimeTrigger[T, W]) Clear(w W, ctx TriggerContext) error {
	ctx.DeleteProcessingTimeTimer(w.MaxTimestamp())
	return nil
}

func (processingTimeTrigger[T, W]) String() string { return "ProcessingTimeTrigger()" }

func sumInt64(a, b int64) (int64, error) { return a + b, nil }

func minInt64(a, b int64) (int64, error) { return min(a, b), nil }

// countStateName is the state CountTrigger keeps per window.
const countStateName = "count"

type countTrigger[T any, W Window] struct {
	max  int64
	desc state.ReducingDescriptor[int64]
}

// CountTrigger fires each time a window has received n more records: it
// counts records per window in a reducing state named "count" (merged when
// windows merge) and resets the count when it fires. It does not purge;
// wrap it in PurgingTrigger for tumbling count windows.
func CountTrigger[T any, W Window](n int64) Trigger[T, W] {
	return &countTrigger[T, W]{max: n, desc: state.ReducingDescriptor[int64]{Name: countStateName, Reduce: sumInt64}}
}

func (t *countTrigger[T, W]) OnElement(_ T, _ int64, _ W, ctx TriggerContext) (TriggerResult, error) {
	count, err := PartitionedReducingState(ctx, t.desc)
	if err != nil {
		return Continue, err
	}
	if err := count.Add(1); err != nil {
		return Continue, err
	}
	if n, _, err := count.Get(); err != nil || n < t.max {
		return Continue, err
	}
	count.Clear()
	return Fire, nil
}

func (t *countTrigger[T, W]) OnEventTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

func (t *countTrigger[T, W]) OnProcessingTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

func (t *countTrigger[T, W]) CanMerge() bool { return true }

func (t *countTrigger[T, W]) OnMerge(_ W, ctx OnMergeContext) error {
	// Obtaining the state makes it known to MergePartitionedState.
	if _, err := PartitionedReducingState(ctx, t.desc); err != nil {
		return err
	}
	return ctx.MergePartitionedState(t.desc.Name)
}

func (t *countTrigger[T, W]) Clear(_ W, ctx TriggerContext) error {
	count, err := PartitionedReducingState(ctx, t.desc)
	if err != nil {
		return err
	}
	count.Clear()
	return nil
}

func (t *countTrigger[T, W]) String() string { return fmt.Sprintf("CountTrigger(%d)", t.max) }

type purgingTrigger[T any, W Window] struct{ nested Trigger[T, W] }

// PurgingTrigger turns every Fire of t into FireAndPurge, so the window's
// contents are dropped each time it is evaluated.
func PurgingTrigger[T any, W Window](t Trigger[T, W]) Trigger[T, W] {
	return purgingTrigger[T, W]{nested: t}
}

func purging(r TriggerResult, err error) (TriggerResult, error) {
	if r.IsFire() {
		return FireAndPurge, err
	}
	return r, err
}

func (t purgingTrigger[T, W]) OnElement(v T, ts int64, w W, ctx TriggerContext) (TriggerResult, error) {
	return purging(t.nested.OnElement(v, ts, w, ctx))
}

func (t purgingTrigger[T, W]) OnEventTime(time int64, w W, ctx TriggerContext) (TriggerResult, error) {
	return purging(t.nested.OnEventTime(time, w, ctx))
}

func (t purgingTrigger[T, W]) OnProcessingTime(time int64, w W, ctx TriggerContext) (TriggerResult, error) {
	return purging(t.nested.OnProcessingTime(time, w, ctx))
}

func (t purgingTrigger[T, W]) CanMerge() bool { return t.nested.CanMerge() }

func (t purgingTrigger[T, W]) OnMerge(w W, ctx OnMergeContext) error { return t.nested.OnMerge(w, ctx) }

func (t purgingTrigger[T, W]) Clear(w W, ctx TriggerContext) error { return t.nested.Clear(w, ctx) }

func (t purgingTrigger[T, W]) validate() error {
	if t.nested == nil {
		return fmt.Errorf("window: PurgingTrigger needs a trigger to wrap, got nil")
	}
	if v, ok := t.nested.(validator); ok {
		return v.validate()
	}
	return nil
}

func (t purgingTrigger[T, W]) String() string { return fmt.Sprintf("PurgingTrigger(%v)", t.nested) }

// fireTimeStateName is the state the continuous triggers keep per window: the
// next time they fire.
const fireTimeStateName = "fire-time"

// continuousTrigger is Flink's ContinuousEventTimeTrigger and
// ContinuousProcessingTimeTrigger: fire every interval (aligned to multiples
// of it) and, for event time, at the window's end.
type continuousTrigger[T any, W Window] struct {
	interval  int64
	eventTime bool
	desc      state.ReducingDescriptor[int64]
}

// ContinuousEventTimeTrigger fires a window repeatedly as the watermark
// passes multiples of interval (starting from the first record's timestamp
// rounded down to a multiple), and once more when the watermark passes the
// window's end. Its next firing time is kept in a state named "fire-time".
// Intervals are truncated to milliseconds and must be >= 1ms.
func ContinuousEventTimeTrigger[T any, W Window](interval time.Duration) Trigger[T, W] {
	return newContinuous[T, W](true, interval)
}

// ContinuousProcessingTimeTrigger fires a window repeatedly as the subtask's
// clock passes multiples of interval, starting with the first record.
// Intervals are truncated to milliseconds and must be >= 1ms.
func ContinuousProcessingTimeTrigger[T any, W Window](interval time.Duration) Trigger[T, W] {
	return newContinuous[T, W](false, interval)
}

func newContinuous[T any, W Window](eventTime bool, interval time.Duration) *continuousTrigger[T, W] {
	return &continuousTrigger[T, W]{
		interval:  interval.Milliseconds(),
		eventTime: eventTime,
		desc:      state.ReducingDescriptor[int64]{Name: fireTimeStateName, Reduce: minInt64},
	}
}

func (t *continuousTrigger[T, W]) validate() error {
	if t.interval <= 0 {
		return fmt.Errorf("window: %s needs an interval >= 1ms, got %dms", t.name(), t.interval)
	}
	return nil
}

func (t *continuousTrigger[T, W]) name() string {
	if t.eventTime {
		return "ContinuousEventTimeTrigger"
	}
	return "ContinuousProcessingTimeTrigger"
}

func (t *continuousTrigger[T, W]) register(ctx TriggerContext, ts int64) {
	if t.eventTime {
		ctx.RegisterEventTimeTimer(ts)
	} else {
		ctx.RegisterProcessingTimeTimer(ts)
	}
}

// registerNext schedules the next firing one interval after from, but never
// after the window's end.
func (t *continuousTrigger[T, W]) registerNext(from int64, w W, ctx TriggerContext, fireTime state.ReducingState[int64]) error {
	next := min(addClamped(from, t.interval), w.MaxTimestamp())
	if err := fireTime.Add(next); err != nil {
		return err
	}
	t.register(ctx, next)
	return nil
}

func (t *continuousTrigger[T, W]) OnElement(_ T, ts int64, w W, ctx TriggerContext) (TriggerResult, error) {
	if err := t.validate(); err != nil {
		return Continue, err
	}
	if t.eventTime {
		if w.MaxTimestamp() <= ctx.CurrentWatermark() {
			return Fire, nil
		}
		ctx.RegisterEventTimeTimer(w.MaxTimestamp())
	} else {
		ts = ctx.CurrentProcessingTime()
	}
	fireTime, err := PartitionedReducingState(ctx, t.desc)
	if err != nil {
		return Continue, err
	}
	if _, ok, err := fireTime.Get(); err != nil || ok {
		return Continue, err
	}
	return Continue, t.registerNext(ts-ts%t.interval, w, ctx, fireTime)
}

func (t *continuousTrigger[T, W]) onTime(time int64, w W, ctx TriggerContext) (TriggerResult, error) {
	if t.eventTime && time == w.MaxTimestamp() {
		return Fire, nil
	}
	fireTime, err := PartitionedReducingState(ctx, t.desc)
	if err != nil {
		return Continue, err
	}
	next, ok, err := fireTime.Get()
	if err != nil || !ok || next != time {
		return Continue, err
	}
	fireTime.Clear()
	return Fire, t.registerNext(time, w, ctx, fireTime)
}

func (t *continuousTrigger[T, W]) OnEventTime(time int64, w W, ctx TriggerContext) (TriggerResult, error) {
	if !t.eventTime {
		return Continue, nil
	}
	return t.onTime(time, w, ctx)
}

func (t *continuousTrigger[T, W]) OnProcessingTime(time int64, w W, ctx TriggerContext) (TriggerResult, error) {
	if t.eventTime {
		return Continue, nil
	}
	return t.onTime(time, w, ctx)
}

func (t *continuousTrigger[T, W]) CanMerge() bool { return true }

func (t *continuousTrigger[T, W]) OnMerge(_ W, ctx OnMergeContext) error {
	fireTime, err := PartitionedReducingState(ctx, t.desc)
	if err != nil {
		return err
	}
	if err := ctx.MergePartitionedState(t.desc.Name); err != nil {
		return err
	}
	next, ok, err := fireTime.Get()
	if err != nil || !ok {
		return err
	}
	t.register(ctx, next)
	return nil
}

func (t *continuousTrigger[T, W]) Clear(_ W, ctx TriggerContext) error {
	fireTime, err := PartitionedReducingState(ctx, t.desc)
	if err != nil {
		return err
	}
	next, ok, err := fireTime.Get()
	if err != nil || !ok {
		return err
	}
	if t.eventTime {
		ctx.DeleteEventTimeTimer(next)
	} else {
		ctx.DeleteProcessingTimeTimer(next)
	}
	fireTime.Clear()
	return nil
}

func (t *continuousTrigger[T, W]) String() string {
	return fmt.Sprintf("%s(%dms)", t.name(), t.interval)
}

type neverTrigger[T any, W Window] struct{}

// NeverTrigger never fires: the default trigger of GlobalWindows.
func NeverTrigger[T any, W Window]() Trigger[T, W] { return neverTrigger[T, W]{} }

func (neverTrigger[T, W]) OnElement(T, int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

func (neverTrigger[T, W]) OnEventTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

func (neverTrigger[T, W]) OnProcessingTime(int64, W, TriggerContext) (TriggerResult, error) {
	return Continue, nil
}

// CanMerge is true: a trigger without state or timers merges trivially.
func (neverTrigger[T, W]) CanMerge() bool { return true }

func (neverTrigger[T, W]) OnMerge(W, OnMergeContext) error { return nil }

func (neverTrigger[T, W]) Clear(W, TriggerContext) error { return nil }

func (neverTrigger[T, W]) String() string { return "NeverTrigger()" }

// addClamped returns a+b, saturating at the int64 bounds, for timer
// arithmetic near the end of time (GlobalWindow's MaxTimestamp).
func addClamped(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}
