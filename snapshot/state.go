package snapshot

import (
	"fmt"

	"github.com/weirstream/weir/keygroup"
)

// Mode says how operator (non-keyed) state is redistributed on restore.
type Mode int

const (
	// Split deals the elements of all old subtasks round-robin over the new
	// subtasks (Flink's operator list state).
	Split Mode = iota
	// Union gives every new subtask the elements of all old subtasks.
	Union
	// Broadcast gives every new subtask the state of old subtask 0 (all old
	// subtasks hold the same broadcast state).
	Broadcast
)

var modeNames = [...]string{"split", "union", "broadcast"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ListState is one named operator state of one subtask: encoded elements.
type ListState struct {
	Name     string   `json:"name"`
	Mode     Mode     `json:"mode"`
	Elements [][]byte `json:"elements"`
}

// KeyedHandle locates one subtask's keyed state: a file holding its key
// groups one after the other. Key group KeyGroups.Start+i occupies bytes
// [Offsets[i], Offsets[i+1]) of File.
type KeyedHandle struct {
	// File is relative to the checkpoint directory.
	File      string         `json:"file"`
	KeyGroups keygroup.Range `json:"keyGroups"`
	Offsets   []int64        `json:"offsets"`
}

// Span returns the byte range of key group kg, which must be in KeyGroups.
func (h *KeyedHandle) Span(kg int) (start, end int64) {
	i := kg - h.KeyGroups.Start
	return h.Offsets[i], h.Offsets[i+1]
}

// Size is the number of bytes of keyed state in File.
func (h *KeyedHandle) Size() int64 {
	if len(h.Offsets) == 0 {
		return 0
	}
	return h.Offsets[len(h.Offsets)-1] - h.Offsets[0]
}

// SubtaskState is what one subtask of one operator snapshotted.
type SubtaskState struct {
	Index int `json:"index"`
	// Keyed is nil for operators without keyed state.
	Keyed *KeyedHandle `json:"keyed,omitempty"`
	// Lists is the operator state (source splits, sink committables, user
	// operator list/union/broadcast state).
	Lists []ListState `json:"lists,omitempty"`
}

// OperatorState is one operator's part of a checkpoint, found by UID on
// restore.
type OperatorState struct {
	UID            string `json:"uid"`
	Name           string `json:"name"`
	Parallelism    int    `json:"parallelism"`
	MaxParallelism int    `json:"maxParallelism"`
	// Coordinator is the operator coordinator's state (a source's split
	// enumerator), encoded by the coordinator.
	Coordinator []byte         `json:"coordinator,omitempty"`
	Subtasks    []SubtaskState `json:"subtasks"`
}
