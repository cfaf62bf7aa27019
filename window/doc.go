// Package window is weir's windowing: window types, assigners, triggers,
// evictors and the window operator that runs them on a keyed stream, with
// Flink's semantics (WindowOperator, EvictingWindowOperator and
// MergingWindowSet).
//
// A window operator assigns each record to windows (Assigner): tumbling,
// sliding and session windows on event time or processing time, or the
// single GlobalWindow. A window's contents live in keyed state, per key and
// window: either one accumulator of an AggregateFunction
// (NewAggregatingOperator: constant state per window) or the buffered records
// (NewBufferingOperator: needed by evictors and by functions that look at
// every element). A Trigger decides when a window is evaluated (Fire) and
// when its contents are dropped (Purge); the default trigger of event-time
// windows fires when the watermark passes the window's end, that of
// processing-time windows when the clock does. An Evictor may remove buffered
// elements before or after evaluation.
//
// Results are emitted with the window's MaxTimestamp (End-1 for time
// windows), so downstream event-time operators see them inside the window.
//
// Lateness: a record is late when the watermark has passed its windows. With
// AllowedLateness, an event-time window keeps its state until the watermark
// passes End-1+AllowedLateness; records arriving until then are added and,
// with the default trigger, fire the window again at once (so a window may
// emit several, refined results). After that the window is removed
// (contents, trigger state, the function's per-window state through its
// Clear hook), and records whose windows are all gone go to the side output
// LateDataTag, or are dropped and counted.
//
// Session windows merge: each record opens [ts, ts+gap), and overlapping
// windows of a key are merged, including a late record that bridges two
// sessions. The operator keeps each key's in-flight windows in keyed state
// (MergingWindowSet) and, on a merge, folds the contents and the trigger
// state of the merged windows into the result and removes their timers.
// Triggers used with merging assigners must support merging (CanMerge);
// custom triggers obtain their per-window state with the Partitioned*State
// functions so that OnMergeContext.MergePartitionedState can merge it.
//
// The operator keeps its state in a state.HeapBackend created in Open, with
// event-time and processing-time timers in a state.TimerService; it belongs
// to the subtask goroutine like every operator. The window function's
// per-window state (ProcessContext.WindowState) lives in a second heap
// backend keyed by (key, window). The operator's state names are
// "window-contents" and "merging-window-set"; the built-in triggers add
// "count" (CountTrigger) and "fire-time" (continuous triggers).
package window
