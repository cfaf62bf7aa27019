package window

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Window is a finite (or, for GlobalWindow, endless) bucket of a keyed stream.
// Window values are used as state namespaces and timer namespaces and as map
// keys, so implementations must be comparable value types (structs of plain
// fields), and equal windows must compare equal with ==.
type Window interface {
	// MaxTimestamp is the largest timestamp (ms) that still belongs to the
	// window. Results of a window are emitted with this timestamp, and an
	// event-time window is complete once the watermark passes it.
	MaxTimestamp() int64
}

// TimeWindow is the half-open interval [Start, End) in milliseconds.
type TimeWindow struct{ Start, End int64 }

// MaxTimestamp is End-1: the last millisecond inside the window.
func (w TimeWindow) MaxTimestamp() int64 { return w.End - 1 }

// Intersects reports whether w and o overlap or touch (Flink's definition:
// sessions that touch merge).
func (w TimeWindow) Intersects(o TimeWindow) bool { return w.Start <= o.End && w.End >= o.Start }

// Cover returns the smallest window that contains both w and o.
func (w TimeWindow) Cover(o TimeWindow) TimeWindow {
	return TimeWindow{Start: min(w.Start, o.Start), End: max(w.End, o.End)}
}

// String formats w as "[start, end)".
func (w TimeWindow) String() string { return fmt.Sprintf("[%d, %d)", w.Start, w.End) }

// GlobalWindow is the single window of GlobalWindows: every element of a key
// belongs to it, and it never ends, so only a custom trigger makes it fire.
type GlobalWindow struct{}

// MaxTimestamp is math.MaxInt64: the window never ends.
func (GlobalWindow) MaxTimestamp() int64 { return math.MaxInt64 }

// String returns "GlobalWindow".
func (GlobalWindow) String() string { return "GlobalWindow" }

// WindowStartWithOffset returns the start of the window of length size
// (aligned to offset) that contains ts. It is Flink's
// TimeWindow.getWindowStartWithOffset and is correct for negative timestamps,
// where Go's % (like Java's) yields a negative remainder.
func WindowStartWithOffset(ts, offset, size int64) int64 {
	rem := (ts - offset) % size
	if rem < 0 {
		return ts - (rem + size)
	}
	return ts - rem
}

// MergeTimeWindows merges overlapping (or touching) windows, as Flink's
// TimeWindow.mergeWindows: windows are sorted by start, runs of intersecting
// windows are folded with Cover, and merge is called for every run of more
// than one distinct window with the run's windows and their cover. toMerge
// is valid only during the call: merge copies what it keeps. windows is
// not changed.
func MergeTimeWindows(windows []TimeWindow, merge func(toMerge []TimeWindow, result TimeWindow)) {
	byStart := func(a, b TimeWindow) int { return cmp.Compare(a.Start, b.Start) }
	sorted := windows
	if !slices.IsSortedFunc(windows, byStart) {
		// In-order input appends each new window after the in-flight ones,
		// already sorted; only out-of-order input pays for a copy.
		sorted = slices.Clone(windows)
		slices.SortFunc(sorted, byStart)
	}
	for i := 0; i < len(sorted); {
		cover, j := sorted[i], i+1
		for j < len(sorted) && cover.Intersects(sorted[j]) {
			cover = cover.Cover(sorted[j])
			j++
		}
		if run := distinct(sorted[i:j]); len(run) > 1 {
			merge(run, cover)
		}
		i = j
	}
}

// distinct returns run without repeated windows, in order: Flink collects a
// run in a set, so the same window twice is one window and a run of one
// window is no merge. It copies only when there is a repeat.
func distinct(run []TimeWindow) []TimeWindow {
	for k := 1; k < len(run); k++ {
		if slices.Contains(run[:k], run[k]) {
			out := slices.Clone(run[:k])
			for _, w := range run[k+1:] {
				if !slices.Contains(out, w) {
					out = append(out, w)
				}
			}
			return out
		}
	}
	return run
}
