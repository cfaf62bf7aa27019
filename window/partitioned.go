package window

import (
	"fmt"

	"github.com/weirstream/weir/state"
)

// The Partitioned*State functions are Flink's TriggerContext.getPartitionedState:
// they return a trigger's state handle scoped to the context's window (the
// namespace is set, so the handle is ready to use) and make it known to
// OnMergeContext.MergePartitionedState, which finds trigger state by name.
// A trigger may equally call the state.Get* functions on ctx.Backend() and
// SetNamespace(ctx.Window()) itself, but then its state cannot be merged by
// name.

// PartitionedValueState returns the trigger's ValueState for ctx's window.
func PartitionedValueState[T any](ctx TriggerContext, d state.ValueDescriptor[T]) (state.ValueState[T], error) {
	s, err := state.GetValueState(ctx.Backend(), d)
	return scope(ctx, d.Name, s, err)
}

// PartitionedListState returns the trigger's ListState for ctx's window.
func PartitionedListState[T any](ctx TriggerContext, d state.ListDescriptor[T]) (state.ListState[T], error) {
	s, err := state.GetListState(ctx.Backend(), d)
	return scope(ctx, d.Name, s, err)
}

// PartitionedMapState returns the trigger's MapState for ctx's window.
func PartitionedMapState[K comparable, V any](ctx TriggerContext, d state.MapDescriptor[K, V]) (state.MapState[K, V], error) {
	s, err := state.GetMapState(ctx.Backend(), d)
	return scope(ctx, d.Name, s, err)
}

// PartitionedReducingState returns the trigger's ReducingState for ctx's
// window.
func PartitionedReducingState[T any](ctx TriggerContext, d state.ReducingDescriptor[T]) (state.ReducingState[T], error) {
	s, err := state.GetReducingState(ctx.Backend(), d)
	return scope(ctx, d.Name, s, err)
}

// PartitionedAggregatingState returns the trigger's AggregatingState for
// ctx's window.
func PartitionedAggregatingState[IN, ACC, OUT any](ctx TriggerContext, d state.AggregatingDescriptor[IN, ACC, OUT]) (state.AggregatingState[IN, OUT], error) {
	s, err := state.GetAggregatingState(ctx.Backend(), d)
	return scope(ctx, d.Name, s, err)
}

// stateRegistry is implemented by the operator's trigger context: it
// remembers trigger state handles by name for MergePartitionedState.
type stateRegistry interface {
	rememberState(name string, s state.Namespaced)
}

func scope[S any](ctx TriggerContext, name string, s S, err error) (S, error) {
	if err != nil {
		return s, err
	}
	ns, ok := any(s).(state.Namespaced)
	if !ok {
		return s, fmt.Errorf("window: state %q (%T) cannot be scoped to a window: it does not implement state.Namespaced", name, s)
	}
	ns.SetNamespace(ctx.Window())
	if r, ok := ctx.(stateRegistry); ok {
		r.rememberState(name, ns)
	}
	return s, nil
}
