package source

import (
	"maps"
	"slices"
)

// assignmentTracker remembers which splits went to which subtask since the
// last completed checkpoint (Flink's SplitAssignmentTracker). A split
// assigned after the checkpoint a failed subtask restores from is in neither
// that subtask's restored state nor the enumerator's, so the coordinator
// returns it to the enumerator on SubtaskReset.
//
// Splits are kept encoded: the enumerator may keep mutating its own values.
// Used only on the coordinator goroutine.
type assignmentTracker struct {
	// byCheckpoint holds, per checkpoint ID, the assignments made after the
	// previous checkpoint and before this one, per subtask.
	byCheckpoint map[int64]map[int][][]byte
	// pending holds assignments made since the last checkpoint.
	pending map[int][][]byte
}

func newAssignmentTracker() *assignmentTracker {
	return &assignmentTracker{byCheckpoint: map[int64]map[int][][]byte{}, pending: map[int][][]byte{}}
}

func (t *assignmentTracker) recordAssignment(subtask int, split []byte) {
	t.pending[subtask] = append(t.pending[subtask], split)
}

// onCheckpoint closes the current interval: the assignments so far belong
// to checkpointID.
func (t *assignmentTracker) onCheckpoint(checkpointID int64) {
	if len(t.pending) == 0 {
		return
	}
	t.byCheckpoint[checkpointID] = t.pending
	t.pending = map[int][][]byte{}
}

// onCheckpointComplete forgets assignments covered by a completed
// checkpoint: restoring from it or later includes them in reader state.
func (t *assignmentTracker) onCheckpointComplete(checkpointID int64) {
	maps.DeleteFunc(t.byCheckpoint, func(id int64, _ map[int][][]byte) bool { return id <= checkpointID })
}

// takeSince removes and returns the splits assigned to subtask after the
// checkpoint restoredID, oldest first.
func (t *assignmentTracker) takeSince(subtask int, restoredID int64) [][]byte {
	var out [][]byte
	for _, id := range slices.Sorted(maps.Keys(t.byCheckpoint)) {
		if id <= restoredID {
			continue
		}
		per := t.byCheckpoint[id]
		out = append(out, per[subtask]...)
		delete(per, subtask)
		if len(per) == 0 {
			delete(t.byCheckpoint, id)
		}
	}
	out = append(out, t.pending[subtask]...)
	delete(t.pending, subtask)
	return out
}
