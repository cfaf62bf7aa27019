package window

import (
	"errors"
	"strings"
	"testing"

	"github.com/weirstream/weir/state"
)

func TestTriggerResult(t *testing.T) {
	cases := []struct {
		r           TriggerResult
		fire, purge bool
		name        string
	}{
		{Continue, false, false, "CONTINUE"},
		{Fire, true, false, "FIRE"},
		{Purge, false, true, "PURGE"},
		{FireAndPurge, true, true, "FIRE_AND_PURGE"},
	}
	for _, c := range cases {
		if c.r.IsFire() != c.fire || c.r.IsPurge() != c.purge || c.r.String() != c.name {
			t.Errorf("%v: IsFire %v IsPurge %v", c.r, c.r.IsFire(), c.r.IsPurge())
		}
	}
}

// firstValuesTrigger keeps the values of a window in a list state and fires
// when the watermark passes the window end; MergePartitionedState must
// concatenate the lists of merged sessions. With byName false it obtains
// its state directly from the backend, which cannot be merged by name.
type firstValuesTrigger struct {
	eventTimeTrigger[kv, TimeWindow]
	byName bool
	seen   *[][]int64 // the list at each firing
}

var valuesDesc = state.ListDescriptor[int64]{Name: "trigger-values"}

func (t firstValuesTrigger) list(ctx TriggerContext) (state.ListState[int64], error) {
	if t.byName {
		return PartitionedListState(ctx, valuesDesc)
	}
	s, err := state.GetListState(ctx.Backend(), valuesDesc)
	if err != nil {
		return nil, err
	}
	s.(state.Namespaced).SetNamespace(ctx.Window())
	return s, nil
}

func (t firstValuesTrigger) OnElement(v kv, ts int64, w TimeWindow, ctx TriggerContext) (TriggerResult, error) {
	l, err := t.list(ctx)
	if err != nil {
		return Continue, err
	}
	if err := l.Add(v.V); err != nil {
		return Continue, err
	}
	return t.eventTimeTrigger.OnElement(v, ts, w, ctx)
}

func (t firstValuesTrigger) OnEventTime(time int64, w TimeWindow, ctx TriggerContext) (TriggerResult, error) {
	r, err := t.eventTimeTrigger.OnEventTime(time, w, ctx)
	if r.IsFire() {
		l, err := t.list(ctx)
		if err != nil {
			return Continue, err
		}
		vs, _ := l.Get()
		*t.seen = append(*t.seen, vs)
	}
	return r, err
}

func (t firstValuesTrigger) OnMerge(w TimeWindow, ctx OnMergeContext) error {
	if _, err := t.list(ctx); err != nil {
		return err
	}
	if err := ctx.MergePartitionedState(valuesDesc.Name); err != nil {
		return err
	}
	return t.eventTimeTrigger.OnMerge(w, ctx)
}

func (t firstValuesTrigger) Clear(w TimeWindow, ctx TriggerContext) error {
	l, err := t.list(ctx)
	if err != nil {
		return err
	}
	l.Clear()
	return t.eventTimeTrigger.Clear(w, ctx)
}

func TestMergePartitionedState(t *testing.T) {
	var seen [][]int64
	h := sessionOp(t, 10*ms, 0, firstValuesTrigger{byName: true, seen: &seen})
	h.element(kv{"a", 1}, 0)
	h.element(kv{"a", 2}, 20)
	h.element(kv{"a", 3}, 10)
	h.watermark(29)
	if len(seen) != 1 || len(seen[0]) != 3 {
		t.Fatalf("trigger lists at firing: %v, want one list of all three values", seen)
	}

	var unused [][]int64
	h = sessionOp(t, 10*ms, 0, firstValuesTrigger{byName: false, seen: &unused})
	h.element(kv{"a", 1}, 0)
	err := h.op.ProcessElement(kv{"a", 2}, 5)
	if err == nil || !strings.Contains(err.Error(), "Partitioned*State") {
		t.Fatalf("merging state unknown by name: %v", err)
	}

	if err := (&triggerContext[string, kv, int, TimeWindow]{}).MergePartitionedState("x"); !errors.Is(err, errNotMerging) {
		t.Fatalf("MergePartitionedState outside OnMerge: %v", err)
	}
}
