package state

import (
	"reflect"
	"sync/atomic"
)

// Copy-on-write snapshots (Snapshot) freeze the state in time proportional
// to the number of states and key groups, not entries: the snapshot keeps
// the slot arrays of every key group as they are, and the subtask copies a
// key group's slots the first time it changes the group afterwards. Some
// entries reference storage that is changed in place (list arrays, the Go
// map of MapState, accumulators with pointers handed to user functions);
// after a key group is copied its entries still share that storage with the
// snapshot, so such tables mark every copied entry shared and give an entry
// its own copy before changing it in place (see table.sharedAt).
//
// Appending to a list needs no copy: the snapshot reads only the elements
// up to the length it froze, and nothing shortens a shared array in place.

// cowClock tells tables and timer queues whether their storage may be
// shared with a snapshot. version belongs to the subtask goroutine; live is
// decremented by Release on the snapshot writer's goroutine, and the atomic
// orders the writer's last read before the subtask's first write in place.
type cowClock struct {
	// version is bumped by every Snapshot. Storage last made private at an
	// older version may be referenced by a snapshot.
	version uint64
	// live counts snapshots not yet released; with none, nothing is shared.
	live atomic.Int32
}

// stale reports whether storage made private at version ver may be shared
// with a snapshot; the caller then copies it and records the version.
func (c *cowClock) stale(ver uint64) bool { return ver != c.version }

// sharing reports whether any snapshot is still being written.
func (c *cowClock) sharing() bool { return c.live.Load() > 0 }

// hasRefs reports whether values of t reference memory that could be
// changed in place through a copy of the value (pointers, maps, slices,
// interfaces, channels, functions). Strings are immutable and do not count.
func hasRefs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasRefs(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasRefs(t.Field(i).Type) {
				return true
			}
		}
		return false
	default:
		return true
	}
}
