package snapshot

import (
	"fmt"

	"github.com/weirstream/weir/keygroup"
)

// Assignment is what one subtask of a restored operator starts from.
type Assignment struct {
	// KeyGroups is the subtask's key-group range at the new parallelism.
	KeyGroups keygroup.Range
	// Keyed are the old subtasks' keyed state handles that overlap
	// KeyGroups; only the overlapping key groups belong to the subtask.
	Keyed []*KeyedHandle
	// Lists is the operator state, redistributed by mode.
	Lists []ListState
}

// Assign computes the state of subtask index of parallelism subtasks with
// maxParallelism key groups from o, which may have been taken at another
// parallelism. Keyed state moves by key group; it cannot move to another
// max parallelism.
func (o *OperatorState) Assign(parallelism, maxParallelism, index int) (Assignment, error) {
	if parallelism < 1 || index < 0 || index >= parallelism {
		return Assignment{}, fmt.Errorf("snapshot: subtask %d of %d does not exist", index, parallelism)
	}
	r := keygroup.RangeFor(maxParallelism, parallelism, index)
	a := Assignment{KeyGroups: r}
	for i := range o.Subtasks {
		h := o.Subtasks[i].Keyed
		if h == nil {
			continue
		}
		if o.MaxParallelism != maxParallelism {
			return Assignment{}, fmt.Errorf("snapshot: operator %q (uid %q) has keyed state in %d key groups (max parallelism %d), "+
				"but the job now runs it with max parallelism %d; keyed state can only be restored with the same max parallelism: "+
				"set pipeline.max-parallelism (or SetMaxParallelism on the operator) to %d",
				o.Name, o.UID, o.MaxParallelism, o.MaxParallelism, maxParallelism, o.MaxParallelism)
		}
		if h.KeyGroups.End < r.Start || h.KeyGroups.Start > r.End {
			continue
		}
		if len(h.Offsets) != h.KeyGroups.Len()+1 {
			return Assignment{}, fmt.Errorf("%w: operator %q subtask %d: keyed state handle has %d offsets for %d key groups",
				ErrCorrupt, o.UID, o.Subtasks[i].Index, len(h.Offsets), h.KeyGroups.Len())
		}
		a.Keyed = append(a.Keyed, h)
	}
	lists, err := o.assignLists(parallelism, index)
	if err != nil {
		return Assignment{}, err
	}
	a.Lists = lists
	return a, nil
}

// assignLists redistributes operator state: split state is dealt
// round-robin over the new subtasks in old-subtask order, union state goes
// whole to every subtask, broadcast state is old subtask 0's.
func (o *OperatorState) assignLists(parallelism, index int) ([]ListState, error) {
	type acc struct {
		mode  Mode
		elems [][]byte
		n     int // elements seen, for round-robin dealing
	}
	byName := map[string]*acc{}
	var order []string
	for _, sub := range o.Subtasks {
		for _, l := range sub.Lists {
			a := byName[l.Name]
			if a == nil {
				a = &acc{mode: l.Mode}
				byName[l.Name] = a
				order = append(order, l.Name)
			} else if a.mode != l.Mode {
				return nil, fmt.Errorf("%w: operator %q state %q is %s in one subtask and %s in another", ErrCorrupt, o.UID, l.Name, a.mode, l.Mode)
			}
			switch l.Mode {
			case Split:
				for _, e := range l.Elements {
					if a.n%parallelism == index {
						a.elems = append(a.elems, e)
					}
					a.n++
				}
			case Union:
				a.elems = append(a.elems, l.Elements...)
			case Broadcast:
				if sub.Index == 0 || a.n == 0 {
					a.elems = l.Elements
					a.n = 1
				}
			default:
				return nil, fmt.Errorf("%w: operator %q state %q has unknown mode %d", ErrCorrupt, o.UID, l.Name, int(l.Mode))
			}
		}
	}
	out := make([]ListState, 0, len(order))
	for _, name := range order {
		a := byName[name]
		out = append(out, ListState{Name: name, Mode: a.mode, Elements: a.elems})
	}
	return out, nil
}
