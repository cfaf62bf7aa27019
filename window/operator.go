package window

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
)

// contentsStateName is the keyed state holding each window's contents, in
// the window's (state window's) namespace.
const contentsStateName = "window-contents"

// ProcessContext is what a window function may use while it evaluates (or
// clears) one window. It is only valid during that call.
type ProcessContext[W Window] interface {
	Window() W
	CurrentProcessingTime() int64
	CurrentWatermark() int64
	// WindowState is keyed state scoped to the current key and this window:
	// state created from it with the state.Get* functions holds one entry
	// per key and window, and needs no SetNamespace (the operator scopes the
	// backend to the window before each call). Per-window state outlives
	// firings; clear it in the function's Clear hook. Merging (session)
	// windows do not support per-window state, as in Flink, because the
	// window it belongs to disappears when it merges: WindowState panics
	// for them.
	WindowState() state.KeyedBackend
	// GlobalState is keyed state of the current key shared by all its
	// windows (state.VoidNamespace). Its names share the operator's state
	// names with the trigger's state.
	GlobalState() state.KeyedBackend
	// Output emits v to the side output tag, with the window's
	// MaxTimestamp as timestamp.
	Output(tag string, v any)
}

// ProcessFunction evaluates a window. Process gets the key, the window (in
// ctx) and its elements: the buffered records in arrival order, or for
// aggregating windows the one aggregate result. Results go to out with the
// window's MaxTimestamp. elements belongs to the function.
//
// A ProcessFunction may also implement
//
//	interface{ Clear(ctx ProcessContext[W]) error }
//
// which is called when the window is removed (at the end of its allowed
// lateness) to clear its per-window state.
type ProcessFunction[IN, OUT any, K comparable, W Window] interface {
	Process(key K, ctx ProcessContext[W], elements []IN, out operator.Collector[OUT]) error
}

// ProcessFunc adapts a function to ProcessFunction.
type ProcessFunc[IN, OUT any, K comparable, W Window] func(key K, ctx ProcessContext[W], elements []IN, out operator.Collector[OUT]) error

// Process calls f.
func (f ProcessFunc[IN, OUT, K, W]) Process(key K, ctx ProcessContext[W], elements []IN, out operator.Collector[OUT]) error {
	return f(key, ctx, elements, out)
}

// clearer is the optional Clear hook of a ProcessFunction.
type clearer[W Window] interface {
	Clear(ctx ProcessContext[W]) error
}

// Config configures a window operator.
type Config[K comparable, IN any, W Window] struct {
	// Name identifies the operator in errors; empty means the name from
	// operator.Context.
	Name string
	// Key selects the key of a record. The input must already be
	// partitioned by it (keygroup.Of with the operator's max parallelism).
	Key func(IN) K
	// Assigner assigns records to windows.
	Assigner Assigner[IN, W]
	// Trigger decides when windows fire; nil means Assigner.DefaultTrigger().
	Trigger Trigger[IN, W]
	// Evictor removes buffered elements when a window fires; nil means none.
	// Only NewBufferingOperator supports it.
	Evictor Evictor[IN, W]
	// AllowedLateness keeps event-time windows (their contents and state)
	// this long after the watermark passed their end: records arriving in
	// that time are added and fire the window again (with the default
	// trigger). Must be >= 0; ignored for processing-time windows.
	AllowedLateness time.Duration
	// LateDataTag names the side output that receives records arriving after
	// all their windows were cleaned up (emitted with their own timestamp).
	// Empty means such records are dropped and counted
	// (Operator.NumLateRecordsDropped).
	LateDataTag string
}

// Operator is Flink's WindowOperator (and, with an evictor,
// EvictingWindowOperator): it assigns each record to windows, keeps their
// contents in keyed state, asks the trigger when to evaluate them, emits the
// window function's results, and removes windows at the end of their
// allowed lateness. It implements operator.OneInput[IN] and, like every
// operator, belongs to its subtask goroutine; only NumLateRecordsDropped may
// be read from other goroutines.
type Operator[K comparable, IN, OUT any, W Window] struct {
	name      string
	key       func(IN) K
	assigner  Assigner[IN, W]
	merging   MergingAssigner[IN, W] // nil unless the assigner merges
	trigger   Trigger[IN, W]
	eventTime bool
	lateness  int64 // ms, >= 0
	lateTag   string
	contents  windowContents[K, IN, OUT, W]
	clear     func(ctx ProcessContext[W]) error // the function's Clear hook, or nil

	out    operator.Output[OUT]
	outErr error

	backend *state.HeapBackend
	// windowBackend holds the window function's per-window state under
	// composite (key, window) keys; created on first use. The state API
	// cannot list the handles a function created, so the operator could not
	// set their namespace to the window; scoping the key scopes them all.
	windowBackend *state.HeapBackend
	opts          state.HeapOptions
	timers        *state.TimerService
	// mergingSet is the current key's in-flight windows of a merging
	// assigner, reloaded for each record and timer.
	mergingSet *mergingWindowSet[W]

	curKey K
	tctx   triggerContext[K, IN, OUT, W]
	pctx   processContext[K, IN, OUT, W]
	coll   timestampedCollector[OUT]

	lateDropped atomic.Int64

	// triggerTimerIsCleanup: the default event-time (processing-time)
	// trigger registers a timer at the window's end, which with no allowed
	// lateness is the cleanup time, so the cleanup registration would only
	// repeat it.
	triggerTimerIsCleanup bool

	// boxes holds recently used windows as namespaces (interfaces): the
	// windows of time assigners repeat from record to record, and boxing
	// each anew would allocate per record and window.
	boxes   [8]any
	nextBox int

	// nsScratch holds windows as namespaces while windows merge; reused.
	nsScratch []any
}

// windowContents is how an operator stores window contents and evaluates the
// window function on them: incrementally aggregated, or buffered.
type windowContents[K comparable, IN, OUT any, W Window] interface {
	open(b *state.HeapBackend) error
	setNamespace(ns any)
	// contains reports whether the current namespace has contents.
	contains() bool
	add(v IN, ts int64) error
	// emit evaluates the function on the contents of the current namespace;
	// it reports false, without calling the function, when they are empty.
	emit(key K, w W, ctx *processContext[K, IN, OUT, W], out operator.Collector[OUT]) (bool, error)
	clear()
	merge(target any, sources []any) error
}

// NewAggregatingOperator builds a window operator that aggregates each window
// incrementally: its contents are one accumulator of agg (merged when
// windows merge), and fn sees one element, agg's result. Evictors need the
// buffered elements, so cfg.Evictor must be nil.
func NewAggregatingOperator[K comparable, IN, ACC, V, OUT any, W Window](cfg Config[K, IN, W],
	agg state.AggregateFunction[IN, ACC, V], fn ProcessFunction[V, OUT, K, W]) (*Operator[K, IN, OUT, W], error) {
	if cfg.Evictor != nil {
		return nil, fmt.Errorf("window: operator %q: an evictor needs the buffered window elements and cannot be used "+
			"with an incremental aggregation; build the operator with NewBufferingOperator and aggregate in the window function", cfg.Name)
	}
	if agg == nil {
		return nil, fmt.Errorf("window: operator %q: the aggregate function is nil", cfg.Name)
	}
	if fn == nil {
		return nil, fmt.Errorf("window: operator %q: the window function is nil", cfg.Name)
	}
	var clear func(ProcessContext[W]) error
	if c, ok := fn.(clearer[W]); ok {
		clear = c.Clear
	}
	return newOperator[K, IN, OUT, W](cfg, &aggregatingContents[K, IN, ACC, V, OUT, W]{agg: agg, fn: fn}, clear)
}

// NewBufferingOperator builds a window operator that buffers every record of
// a window (with its timestamp) and hands them all to fn when the window
// fires. It is the operator for windows with an evictor, and for window
// functions that need every element.
func NewBufferingOperator[K comparable, IN, OUT any, W Window](cfg Config[K, IN, W],
	fn ProcessFunction[IN, OUT, K, W]) (*Operator[K, IN, OUT, W], error) {
	if fn == nil {
		return nil, fmt.Errorf("window: operator %q: the window function is nil", cfg.Name)
	}
	var clear func(ProcessContext[W]) error
	if c, ok := fn.(clearer[W]); ok {
		clear = c.Clear
	}
	return newOperator[K, IN, OUT, W](cfg, &bufferingContents[K, IN, OUT, W]{fn: fn, evictor: cfg.Evictor}, clear)
}

func newOperator[K comparable, IN, OUT any, W Window](cfg Config[K, IN, W], contents windowContents[K, IN, OUT, W],
	clear func(ProcessContext[W]) error) (*Operator[K, IN, OUT, W], error) {
	if cfg.Key == nil {
		return nil, fmt.Errorf("window: operator %q: the key selector is nil; windows need a keyed stream", cfg.Name)
	}
	if cfg.Assigner == nil {
		return nil, fmt.Errorf("window: operator %q: the window assigner is nil", cfg.Name)
	}
	if cfg.AllowedLateness < 0 {
		return nil, fmt.Errorf("window: operator %q: the allowed lateness must be >= 0, got %v", cfg.Name, cfg.AllowedLateness)
	}
	trigger := cfg.Trigger
	if trigger == nil {
		trigger = cfg.Assigner.DefaultTrigger()
	}
	for _, part := range []any{cfg.Assigner, trigger, cfg.Evictor} {
		if v, ok := part.(validator); ok {
			if err := v.validate(); err != nil {
				return nil, fmt.Errorf("%w (operator %q)", err, cfg.Name)
			}
		}
	}
	merging, _ := cfg.Assigner.(MergingAssigner[IN, W])
	if merging != nil && !trigger.CanMerge() {
		return nil, fmt.Errorf("window: operator %q: the merging window assigner %v cannot be used with trigger %v, "+
			"which does not support merging (CanMerge is false)", cfg.Name, cfg.Assigner, trigger)
	}
	o := &Operator[K, IN, OUT, W]{
		name:      cfg.Name,
		key:       cfg.Key,
		assigner:  cfg.Assigner,
		merging:   merging,
		trigger:   trigger,
		eventTime: cfg.Assigner.IsEventTime(),
		lateness:  cfg.AllowedLateness.Milliseconds(),
		lateTag:   cfg.LateDataTag,
		contents:  contents,
		clear:     clear,
	}
	_, defaultEventTime := trigger.(eventTimeTrigger[IN, W])
	_, defaultProcessingTime := trigger.(processingTimeTrigger[IN, W])
	// Processing-time windows have no allowed lateness: their cleanup time
	// is always the window's end, where the default trigger's timer is.
	o.triggerTimerIsCleanup = defaultEventTime && o.eventTime && o.lateness == 0 ||
		defaultProcessingTime && !o.eventTime
	o.tctx.op = o
	o.pctx.op = o
	return o, nil
}

// NumLateRecordsDropped counts the records dropped because they arrived
// after all their windows were cleaned up and no LateDataTag was set. Safe
// to call from any goroutine.
func (o *Operator[K, IN, OUT, W]) NumLateRecordsDropped() int64 { return o.lateDropped.Load() }

// SetOutput implements operator.Operator; out must be an operator.Output[OUT].
func (o *Operator[K, IN, OUT, W]) SetOutput(out any) {
	typed, ok := out.(operator.Output[OUT])
	if !ok {
		o.outErr = fmt.Errorf("window: operator %q: SetOutput got %T, want operator.Output[%v]",
			o.name, out, reflect.TypeFor[OUT]())
		return
	}
	o.out, o.outErr = typed, nil
	o.coll.out = typed
}

// Open implements operator.Operator: it creates the keyed state backend and
// the timer service of the subtask.
func (o *Operator[K, IN, OUT, W]) Open(ctx operator.Context) error {
	if o.name == "" {
		o.name = ctx.OperatorName()
	}
	if o.outErr != nil {
		return o.outErr
	}
	if o.out == nil {
		return fmt.Errorf("window: operator %q: Open before SetOutput", o.name)
	}
	pts := ctx.ProcessingTime()
	o.opts = state.HeapOptions{MaxParallelism: ctx.MaxParallelism(), KeyGroups: ctx.KeyGroupRange(), Now: pts.Now,
		KeyCodec: codec.Any(codec.For[K]()), NamespaceCodec: codec.Any(codec.For[W]())}
	o.backend = state.NewHeapBackend(o.opts)
	if err := o.restore(ctx.Restored()); err != nil {
		return fmt.Errorf("window: operator %q: restore: %w", o.name, err)
	}
	o.timers = state.NewTimerService(o.backend, pts, timerTarget[K, IN, OUT, W]{o})
	if err := o.contents.open(o.backend); err != nil {
		return err
	}
	if o.merging != nil {
		st, err := state.GetListState(o.backend, state.ListDescriptor[windowMapping[W]]{Name: mergingSetStateName})
		if err != nil {
			return err
		}
		o.mergingSet = newMergingWindowSet(st, o.merging.MergeWindows)
	}
	return nil
}

// ProcessElement implements operator.OneInput: it is Flink's
// WindowOperator.processElement.
func (o *Operator[K, IN, OUT, W]) ProcessElement(v IN, ts int64) error {
	key := o.key(v)
	o.backend.SetCurrentKey(key)
	o.curKey = key
	windows, err := o.assigner.AssignWindows(v, ts, o.timers)
	if err != nil {
		return fmt.Errorf("%w (operator %q)", err, o.name)
	}
	skipped := true
	if o.merging != nil {
		if skipped, err = o.processMerging(v, ts, windows); err != nil {
			return err
		}
	} else {
		for _, w := range windows {
			if o.isWindowLate(w) {
				continue
			}
			skipped = false
			ns := o.namespace(w)
			o.contents.setNamespace(ns)
			seen := o.triggerTimerIsCleanup && o.contents.contains()
			if err := o.contents.add(v, ts); err != nil {
				return err
			}
			if seen {
				// The default trigger registered its timer with the window's
				// first record and answers Continue (in event time until the
				// watermark passes the window's end, which a window that is
				// not late has not reached; in processing time always):
				// calling it again would only repeat the registration (a
				// timer map probe per record and window). The contents go
				// when that timer fires, so contents mean a pending timer.
				continue
			}
			if err := o.onElement(v, ts, w, ns); err != nil {
				return err
			}
		}
	}
	if skipped && o.isElementLate(ts) {
		if o.lateTag != "" {
			o.out.CollectSide(o.lateTag, v, ts)
		} else {
			o.lateDropped.Add(1)
		}
	}
	return nil
}

// namespace returns w as a state namespace, reusing a recent box of an
// equal window.
func (o *Operator[K, IN, OUT, W]) namespace(w W) any {
	for _, b := range o.boxes {
		if b != nil && b == any(w) { // the comparison does not escape: no allocation
			return b
		}
	}
	b := any(w)
	o.boxes[o.nextBox] = b
	o.nextBox = (o.nextBox + 1) % len(o.boxes)
	return b
}

// processMerging adds a record to its windows of a merging assigner and
// reports whether all of them were late.
func (o *Operator[K, IN, OUT, W]) processMerging(v IN, ts int64, windows []W) (skipped bool, err error) {
	set := o.mergingSet
	if err := set.load(); err != nil {
		return false, err
	}
	skipped = true
	for _, w := range windows {
		actual, err := set.addWindow(w, o.mergeWindows)
		if err != nil {
			return false, err
		}
		if o.isWindowLate(actual) {
			if err := set.retireWindow(actual); err != nil {
				return false, err
			}
			continue
		}
		skipped = false
		stateWindow, ok := set.stateWindow(actual)
		if !ok {
			return false, fmt.Errorf("window: operator %q: window %v is not in the in-flight window set", o.name, actual)
		}
		o.contents.setNamespace(stateWindow)
		if err := o.contents.add(v, ts); err != nil {
			return false, err
		}
		if err := o.onElement(v, ts, actual, any(actual)); err != nil {
			return false, err
		}
	}
	return skipped, set.persist()
}

// mergeWindows is the merge callback of the merging window set: it merges
// the trigger state and the contents of the merged windows into result and
// removes the merged windows' timers.
func (o *Operator[K, IN, OUT, W]) mergeWindows(result W, merged []W, stateResult W, mergedState []W) error {
	if o.eventTime && o.cleanupTime(result) <= o.timers.CurrentWatermark() {
		return fmt.Errorf("window: operator %q: the end timestamp of an event-time window cannot become earlier "+
			"than the current watermark by merging; current watermark: %d, window: %v (the merging assigner is broken)",
			o.name, o.timers.CurrentWatermark(), result)
	}
	if !o.eventTime && result.MaxTimestamp() <= o.timers.CurrentProcessingTime() {
		return fmt.Errorf("window: operator %q: the end timestamp of a processing-time window cannot become earlier "+
			"than the current processing time by merging; current processing time: %d, window: %v (the merging assigner is broken)",
			o.name, o.timers.CurrentProcessingTime(), result)
	}
	o.tctx.set(result, any(result))
	o.nsScratch = o.nsScratch[:0]
	for _, m := range merged {
		o.nsScratch = append(o.nsScratch, m)
	}
	o.tctx.merged = o.nsScratch
	err := o.trigger.OnMerge(result, &o.tctx)
	o.tctx.merged = nil
	if err != nil {
		return o.triggerError(err, result)
	}
	for _, m := range merged {
		ns := any(m)
		o.tctx.set(m, ns)
		if err := o.trigger.Clear(m, &o.tctx); err != nil {
			return o.triggerError(err, m)
		}
		o.deleteCleanupTimer(m, ns)
	}
	o.nsScratch = o.nsScratch[:0]
	for _, sw := range mergedState {
		o.nsScratch = append(o.nsScratch, sw)
	}
	return o.contents.merge(stateResult, o.nsScratch)
}

// onElement runs the trigger for a record just added to window w (whose
// contents are in the current namespace) and acts on its decision.
func (o *Operator[K, IN, OUT, W]) onElement(v IN, ts int64, w W, ns any) error {
	o.tctx.set(w, ns)
	res, err := o.trigger.OnElement(v, ts, w, &o.tctx)
	if err != nil {
		return o.triggerError(err, w)
	}
	if res.IsFire() {
		emitted, err := o.emit(w)
		if err != nil {
			return err
		}
		if !emitted {
			return nil // as Flink: an empty window registers no cleanup timer here
		}
	}
	if res.IsPurge() {
		o.contents.clear()
	}
	if alreadyRegistered := o.triggerTimerIsCleanup && res == Continue; !alreadyRegistered {
		o.registerCleanupTimer(w, ns)
	}
	return nil
}

// onTimer is Flink's WindowOperator.onEventTime / onProcessingTime.
func (o *Operator[K, IN, OUT, W]) onTimer(t state.Timer, eventTime bool) error {
	w, ok := t.Namespace.(W)
	if !ok {
		return fmt.Errorf("window: operator %q: a timer fired for namespace %T, want %v", o.name, t.Namespace, reflect.TypeFor[W]())
	}
	key, ok := t.Key.(K)
	if !ok {
		return fmt.Errorf("window: operator %q: a timer fired for key %T, want %v", o.name, t.Key, reflect.TypeFor[K]())
	}
	o.curKey = key
	o.tctx.set(w, t.Namespace)

	var set *mergingWindowSet[W]
	if o.merging != nil {
		set = o.mergingSet
		if err := set.load(); err != nil {
			return err
		}
		stateWindow, ok := set.stateWindow(w)
		if !ok {
			// The window merged or was cleaned up, and with it its trigger
			// state; a trigger left this timer behind. Nothing to do.
			return nil
		}
		o.contents.setNamespace(stateWindow)
	} else {
		o.contents.setNamespace(t.Namespace)
	}

	var (
		res TriggerResult
		err error
	)
	if eventTime {
		res, err = o.trigger.OnEventTime(t.Timestamp, w, &o.tctx)
	} else {
		res, err = o.trigger.OnProcessingTime(t.Timestamp, w, &o.tctx)
	}
	if err != nil {
		return o.triggerError(err, w)
	}
	if res.IsFire() {
		if _, err := o.emit(w); err != nil {
			return err
		}
	}
	if res.IsPurge() {
		o.contents.clear()
	}
	if eventTime == o.eventTime && t.Timestamp == o.cleanupTime(w) {
		if err := o.clearAllState(w, set); err != nil {
			return err
		}
	}
	if set != nil {
		return set.persist()
	}
	return nil
}

// clearAllState removes a window at the end of its lifetime: its contents,
// its trigger state and timers, the function's per-window state (Clear hook)
// and its entry in the merging window set.
func (o *Operator[K, IN, OUT, W]) clearAllState(w W, set *mergingWindowSet[W]) error {
	o.contents.clear()
	if err := o.trigger.Clear(w, &o.tctx); err != nil {
		return o.triggerError(err, w)
	}
	if o.clear != nil {
		o.pctx.set(w, o.tctx.ns)
		if err := o.clear(&o.pctx); err != nil {
			return fmt.Errorf("window: operator %q: clearing window %v: %w", o.name, w, err)
		}
	}
	if set != nil {
		return set.retireWindow(w)
	}
	return nil
}

// emit evaluates the window function on w's contents (the current
// namespace) and reports whether there were any.
func (o *Operator[K, IN, OUT, W]) emit(w W) (bool, error) {
	o.coll.ts = w.MaxTimestamp()
	o.pctx.set(w, o.tctx.ns)
	emitted, err := o.contents.emit(o.curKey, w, &o.pctx, &o.coll)
	if err != nil {
		return emitted, fmt.Errorf("window: operator %q: window function on window %v of key %v: %w", o.name, w, o.curKey, err)
	}
	return emitted, nil
}

func (o *Operator[K, IN, OUT, W]) triggerError(err error, w W) error {
	return fmt.Errorf("window: operator %q: trigger %v on window %v of key %v: %w", o.name, o.trigger, w, o.curKey, err)
}

// cleanupTime is when w's state is removed: its end plus the allowed
// lateness for event time (math.MaxInt64 when that overflows, meaning
// never), its end for processing time.
func (o *Operator[K, IN, OUT, W]) cleanupTime(w W) int64 {
	if o.eventTime {
		return addClamped(w.MaxTimestamp(), o.lateness)
	}
	return w.MaxTimestamp()
}

func (o *Operator[K, IN, OUT, W]) registerCleanupTimer(w W, ns any) {
	t := o.cleanupTime(w)
	if t == math.MaxInt64 {
		return // the end of time never comes: no timer needed
	}
	if o.eventTime {
		o.timers.RegisterEventTimeTimer(ns, t)
	} else {
		o.timers.RegisterProcessingTimeTimer(ns, t)
	}
}

func (o *Operator[K, IN, OUT, W]) deleteCleanupTimer(w W, ns any) {
	t := o.cleanupTime(w)
	if t == math.MaxInt64 {
		return
	}
	if o.eventTime {
		o.timers.DeleteEventTimeTimer(ns, t)
	} else {
		o.timers.DeleteProcessingTimeTimer(ns, t)
	}
}

// isWindowLate reports whether an event-time window was already cleaned up
// (its end plus the allowed lateness is at or below the watermark).
func (o *Operator[K, IN, OUT, W]) isWindowLate(w W) bool {
	return o.eventTime && o.cleanupTime(w) <= o.timers.CurrentWatermark()
}

// isElementLate reports whether a record is behind the watermark by more
// than the allowed lateness.
func (o *Operator[K, IN, OUT, W]) isElementLate(ts int64) bool {
	return o.eventTime && addClamped(ts, o.lateness) <= o.timers.CurrentWatermark()
}

// ProcessWatermark implements operator.Operator: it fires the event-time
// timers up to wm (evaluating and cleaning up windows), then forwards wm.
func (o *Operator[K, IN, OUT, W]) ProcessWatermark(wm int64) error {
	if err := o.timers.AdvanceWatermark(wm); err != nil {
		return err
	}
	o.out.EmitWatermark(wm)
	return nil
}

// ProcessWatermarkStatus implements operator.Operator by forwarding.
func (o *Operator[K, IN, OUT, W]) ProcessWatermarkStatus(idle bool) error {
	o.out.EmitWatermarkStatus(idle)
	return nil
}

// Finish implements operator.Operator. Nothing is flushed here: bounded
// inputs end with eventtime.MaxWatermark, which fires every event-time
// window; processing-time windows still open at the end are not evaluated,
// as in Flink.
func (o *Operator[K, IN, OUT, W]) Finish() error { return nil }

// Close implements operator.Operator: it stops the processing-time timers
// and releases the state.
func (o *Operator[K, IN, OUT, W]) Close() error {
	if o.timers != nil {
		o.timers.Close()
	}
	if o.backend != nil {
		o.backend.Close()
	}
	if o.windowBackend != nil {
		o.windowBackend.Close()
	}
	return nil
}

// timerTarget receives the operator's fired timers; it keeps OnEventTime and
// OnProcessingTime off the operator's exported API.
type timerTarget[K comparable, IN, OUT any, W Window] struct{ o *Operator[K, IN, OUT, W] }

func (t timerTarget[K, IN, OUT, W]) OnEventTime(tm state.Timer) error { return t.o.onTimer(tm, true) }

func (t timerTarget[K, IN, OUT, W]) OnProcessingTime(tm state.Timer) error {
	return t.o.onTimer(tm, false)
}

// triggerContext is the operator's TriggerContext and OnMergeContext for
// the current key and window.
type triggerContext[K comparable, IN, OUT any, W Window] struct {
	op     *Operator[K, IN, OUT, W]
	window W
	ns     any   // window, boxed once for state and timers
	merged []any // during OnMerge: the merged windows
	// known maps trigger state names to their handles for
	// MergePartitionedState.
	known map[string]state.Namespaced
}

func (c *triggerContext[K, IN, OUT, W]) set(w W, ns any) { c.window, c.ns = w, ns }

func (c *triggerContext[K, IN, OUT, W]) CurrentProcessingTime() int64 {
	return c.op.timers.CurrentProcessingTime()
}

func (c *triggerContext[K, IN, OUT, W]) CurrentWatermark() int64 {
	return c.op.timers.CurrentWatermark()
}

func (c *triggerContext[K, IN, OUT, W]) RegisterEventTimeTimer(ts int64) {
	c.op.timers.RegisterEventTimeTimer(c.ns, ts)
}

func (c *triggerContext[K, IN, OUT, W]) DeleteEventTimeTimer(ts int64) {
	c.op.timers.DeleteEventTimeTimer(c.ns, ts)
}

func (c *triggerContext[K, IN, OUT, W]) RegisterProcessingTimeTimer(ts int64) {
	c.op.timers.RegisterProcessingTimeTimer(c.ns, ts)
}

func (c *triggerContext[K, IN, OUT, W]) DeleteProcessingTimeTimer(ts int64) {
	c.op.timers.DeleteProcessingTimeTimer(c.ns, ts)
}

func (c *triggerContext[K, IN, OUT, W]) Backend() state.KeyedBackend { return c.op.backend }

func (c *triggerContext[K, IN, OUT, W]) Window() any { return c.ns }

func (c *triggerContext[K, IN, OUT, W]) rememberState(name string, s state.Namespaced) {
	if c.known == nil {
		c.known = map[string]state.Namespaced{}
	}
	c.known[name] = s
}

// errNotMerging is returned by MergePartitionedState outside Trigger.OnMerge.
var errNotMerging = errors.New("window: MergePartitionedState called outside Trigger.OnMerge")

func (c *triggerContext[K, IN, OUT, W]) MergePartitionedState(stateName string) error {
	if c.merged == nil {
		return errNotMerging
	}
	s, ok := c.known[stateName]
	if !ok {
		return fmt.Errorf("window: MergePartitionedState(%q): the trigger has no such state in this subtask; "+
			"obtain trigger state with the window.Partitioned*State functions so it can be merged by name", stateName)
	}
	s.SetNamespace(c.ns)
	return s.MergeNamespaces(c.ns, c.merged)
}

// processContext is the operator's ProcessContext for the current key and
// window.
type processContext[K comparable, IN, OUT any, W Window] struct {
	op     *Operator[K, IN, OUT, W]
	window W
	ns     any
}

func (c *processContext[K, IN, OUT, W]) set(w W, ns any) { c.window, c.ns = w, ns }

func (c *processContext[K, IN, OUT, W]) Window() W { return c.window }

func (c *processContext[K, IN, OUT, W]) CurrentProcessingTime() int64 {
	return c.op.timers.CurrentProcessingTime()
}

func (c *processContext[K, IN, OUT, W]) CurrentWatermark() int64 {
	return c.op.timers.CurrentWatermark()
}

// windowKey is the key of per-window state: the record key and the window.
// It hashes like the record key so it falls in the same key group.
type windowKey struct{ key, window any }

func (k windowKey) HashCode() int32 { return keygroup.HashCode(k.key) }

func (c *processContext[K, IN, OUT, W]) WindowState() state.KeyedBackend {
	o := c.op
	if o.merging != nil {
		panic(fmt.Sprintf("window: operator %q: per-window state (ProcessContext.WindowState) is not supported with "+
			"merging windows such as sessions, as in Flink: a window disappears when it merges; use GlobalState", o.name))
	}
	if o.windowBackend == nil {
		o.windowBackend = state.NewHeapBackend(o.windowOptions())
	}
	o.windowBackend.SetCurrentKey(windowKey{key: o.backend.CurrentKey(), window: c.ns})
	return o.windowBackend
}

func (c *processContext[K, IN, OUT, W]) GlobalState() state.KeyedBackend { return c.op.backend }

func (c *processContext[K, IN, OUT, W]) Output(tag string, v any) {
	c.op.out.CollectSide(tag, v, c.window.MaxTimestamp())
}

// timestampedCollector emits the window function's results with the
// window's MaxTimestamp.
type timestampedCollector[OUT any] struct {
	out operator.Output[OUT]
	ts  int64
}

func (c *timestampedCollector[OUT]) Collect(v OUT) { c.out.Collect(v, c.ts) }

// aggregatingContents keeps a window as one accumulator.
type aggregatingContents[K comparable, IN, ACC, V, OUT any, W Window] struct {
	agg state.AggregateFunction[IN, ACC, V]
	fn  ProcessFunction[V, OUT, K, W]
	st  state.AggregatingState[IN, V]
	ns  state.Namespaced
}

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) open(b *state.HeapBackend) error {
	st, err := state.GetAggregatingState(b, state.AggregatingDescriptor[IN, ACC, V]{Name: contentsStateName, Aggregate: c.agg})
	if err != nil {
		return err
	}
	c.st, c.ns = st, st.(state.Namespaced)
	return nil
}

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) setNamespace(ns any) { c.ns.SetNamespace(ns) }

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) contains() bool { return c.ns.HasState() }

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) add(v IN, _ int64) error { return c.st.Add(v) }

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) emit(key K, _ W, ctx *processContext[K, IN, OUT, W],
	out operator.Collector[OUT]) (bool, error) {
	v, ok, err := c.st.Get()
	if err != nil || !ok {
		return false, err
	}
	return true, c.fn.Process(key, ctx, []V{v}, out)
}

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) clear() { c.st.Clear() }

func (c *aggregatingContents[K, IN, ACC, V, OUT, W]) merge(target any, sources []any) error {
	return c.ns.MergeNamespaces(target, sources)
}

// bufferingContents keeps a window as the list of its records, evicting from
// it when it fires if there is an evictor.
type bufferingContents[K comparable, IN, OUT any, W Window] struct {
	fn      ProcessFunction[IN, OUT, K, W]
	evictor Evictor[IN, W]
	st      state.ListState[TimestampedValue[IN]]
	ns      state.Namespaced
}

func (c *bufferingContents[K, IN, OUT, W]) open(b *state.HeapBackend) error {
	st, err := state.GetListState(b, state.ListDescriptor[TimestampedValue[IN]]{Name: contentsStateName})
	if err != nil {
		return err
	}
	c.st, c.ns = st, st.(state.Namespaced)
	return nil
}

func (c *bufferingContents[K, IN, OUT, W]) setNamespace(ns any) { c.ns.SetNamespace(ns) }

func (c *bufferingContents[K, IN, OUT, W]) contains() bool { return c.ns.HasState() }

func (c *bufferingContents[K, IN, OUT, W]) add(v IN, ts int64) error {
	return c.st.Add(TimestampedValue[IN]{Value: v, Timestamp: ts})
}

func (c *bufferingContents[K, IN, OUT, W]) emit(key K, w W, ctx *processContext[K, IN, OUT, W],
	out operator.Collector[OUT]) (bool, error) {
	elements, err := c.st.Get()
	if err != nil || len(elements) == 0 {
		return false, err
	}
	if c.evictor == nil {
		return true, c.fn.Process(key, ctx, values(elements), out)
	}
	evictorCtx := ctx.op.timers
	elements = c.evictor.EvictBefore(elements, w, evictorCtx)
	if err := c.fn.Process(key, ctx, values(elements), out); err != nil {
		return true, err
	}
	elements = c.evictor.EvictAfter(elements, w, evictorCtx)
	// What the evictors kept is the window's content from now on (Flink's
	// FLINK-4369 fix: a list state cannot drop single elements).
	return true, c.st.Update(elements)
}

func values[T any](elements []TimestampedValue[T]) []T {
	vs := make([]T, len(elements))
	for i, e := range elements {
		vs[i] = e.Value
	}
	return vs
}

func (c *bufferingContents[K, IN, OUT, W]) clear() { c.st.Clear() }

func (c *bufferingContents[K, IN, OUT, W]) merge(target any, sources []any) error {
	return c.ns.MergeNamespaces(target, sources)
}

var _ operator.OneInput[int] = (*Operator[string, int, int, TimeWindow])(nil)
