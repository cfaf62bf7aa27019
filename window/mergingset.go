package window

import (
	"fmt"
	"slices"

	"github.com/weirstream/weir/state"
)

// mergingSetStateName is the keyed state (VoidNamespace) holding each key's
// mergingWindowSet between records.
const mergingSetStateName = "merging-window-set"

// windowMapping maps an in-flight window to its state window: the namespace
// under which the window's contents are stored. Merging moves contents into
// one of the merged windows' state windows instead of into a new namespace,
// so that merging only touches the state of the windows that are absorbed.
type windowMapping[W Window] struct {
	Window, StateWindow W
}

// mergingWindowSet is Flink's MergingWindowSet: the in-flight windows of one
// key of a merging assigner and their state windows. It is loaded from keyed
// state for each record or timer and persisted when it changed.
type mergingWindowSet[W Window] struct {
	merge   func(windows []W, merge func(toMerge []W, result W)) error
	entries []windowMapping[W]
	changed bool
	st      state.ListState[windowMapping[W]]

	// Scratch space of addWindow, kept between records: the operator
	// reuses one set for every key, so a record allocates none of it.
	windows     []W
	results     []mergeResult[W]
	merged      []W // every result's toMerge, back to back
	mergedState []W
}

// mergeResult is one merge the assigner decided: the windows
// merged[from:to] of the set's scratch space become result.
type mergeResult[W Window] struct {
	result   W
	from, to int
}

// mergeFunc is called for each merge that absorbs existing windows: result is
// the new window, merged the in-flight windows it replaces (without the new
// window), stateResult the state window that now holds result's contents and
// mergedState the state windows whose contents must be folded into it.
type mergeFunc[W Window] func(result W, merged []W, stateResult W, mergedState []W) error

func eq[W Window](a, b W) bool { return any(a) == any(b) }

func newMergingWindowSet[W Window](st state.ListState[windowMapping[W]],
	merge func(windows []W, merge func(toMerge []W, result W)) error) *mergingWindowSet[W] {
	return &mergingWindowSet[W]{merge: merge, st: st}
}

// load reads the current key's in-flight windows from keyed state.
func (s *mergingWindowSet[W]) load() error {
	entries, err := s.st.Get()
	if err != nil {
		return err
	}
	s.entries, s.changed = entries, false
	return nil
}

func (s *mergingWindowSet[W]) index(w W) int {
	return slices.IndexFunc(s.entries, func(e windowMapping[W]) bool { return eq(e.Window, w) })
}

// stateWindow returns the state window of an in-flight window.
func (s *mergingWindowSet[W]) stateWindow(w W) (W, bool) {
	if i := s.index(w); i >= 0 {
		return s.entries[i].StateWindow, true
	}
	var zero W
	return zero, false
}

func (s *mergingWindowSet[W]) put(w, stateWindow W) {
	s.changed = true
	if i := s.index(w); i >= 0 {
		s.entries[i].StateWindow = stateWindow
		return
	}
	s.entries = append(s.entries, windowMapping[W]{Window: w, StateWindow: stateWindow})
}

func (s *mergingWindowSet[W]) remove(w W) (W, bool) {
	i := s.index(w)
	if i < 0 {
		var zero W
		return zero, false
	}
	sw := s.entries[i].StateWindow
	s.entries = slices.Delete(s.entries, i, i+1)
	s.changed = true
	return sw, true
}

// retireWindow removes a window that was cleaned up or is late.
func (s *mergingWindowSet[W]) retireWindow(w W) error {
	if _, ok := s.remove(w); !ok {
		return fmt.Errorf("window: window %v is not in the in-flight window set", w)
	}
	return nil
}

// persist writes the set back to keyed state if it changed.
func (s *mergingWindowSet[W]) persist() error {
	if !s.changed {
		return nil
	}
	s.changed = false
	return s.st.Update(s.entries)
}

// addWindow adds a new window, merging it with the in-flight windows as the
// assigner decides, and returns the window the new window ended up in (the
// new window itself when nothing merged with it). mergeFn runs for every merge
// that absorbs existing windows, before addWindow returns.
func (s *mergingWindowSet[W]) addWindow(newWindow W, mergeFn mergeFunc[W]) (W, error) {
	s.windows = s.windows[:0]
	for _, e := range s.entries {
		s.windows = append(s.windows, e.Window)
	}
	s.windows = append(s.windows, newWindow)

	s.results, s.merged = s.results[:0], s.merged[:0]
	err := s.merge(s.windows, func(toMerge []W, result W) {
		from := len(s.merged)
		s.merged = append(s.merged, toMerge...)
		s.results = append(s.results, mergeResult[W]{result: result, from: from, to: len(s.merged)})
	})
	if err != nil {
		return newWindow, err
	}

	resultWindow, mergedNewWindow := newWindow, false
	for _, r := range s.results {
		merged := s.merged[r.from:r.to:r.to]
		if i := slices.IndexFunc(merged, func(w W) bool { return eq(w, newWindow) }); i >= 0 {
			merged = slices.Delete(merged, i, i+1)
			mergedNewWindow, resultWindow = true, r.result
		}
		if len(merged) == 0 {
			// Only the new window, replaced by a different one: nothing in
			// flight is absorbed, the result starts with its own state.
			if _, ok := s.stateWindow(r.result); !ok {
				s.put(r.result, r.result)
			}
			continue
		}
		// Any merged window's state window can hold the result; keeping an
		// existing one means its contents need not move.
		stateResult, ok := s.stateWindow(merged[0])
		if !ok {
			return newWindow, fmt.Errorf("window: the assigner merged window %v, which is not in flight", merged[0])
		}
		mergedState := s.mergedState[:0]
		for _, m := range merged {
			if sw, ok := s.remove(m); ok {
				mergedState = append(mergedState, sw)
			}
		}
		s.mergedState = mergedState
		s.put(r.result, stateResult)
		mergedState = slices.DeleteFunc(mergedState, func(w W) bool { return eq(w, stateResult) })
		// A merge of one in-flight window with a new window inside it does
		// not change that window: no state or trigger needs merging.
		if len(merged) == 1 && eq(merged[0], r.result) {
			continue
		}
		if err := mergeFn(r.result, merged, stateResult, mergedState); err != nil {
			return newWindow, err
		}
	}
	if !mergedNewWindow {
		// A window that merged with nothing is its own state window. Flink
		// re-maps it even when it is already in flight under another state
		// window (possible with dynamic gaps), losing that window's
		// contents; an existing mapping is kept instead.
		if _, ok := s.stateWindow(resultWindow); !ok {
			s.put(resultWindow, resultWindow)
		}
	}
	return resultWindow, nil
}
