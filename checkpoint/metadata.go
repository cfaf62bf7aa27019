package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/weirstream/weir/snapshot"
)

// Kind tells checkpoints from savepoints.
type Kind int

const (
	// KindCheckpoint is a periodic checkpoint, owned by the job: retained
	// and deleted by the job's retention policy.
	KindCheckpoint Kind = iota
	// KindSavepoint is a user-triggered savepoint, owned by the user: never
	// deleted by weir once complete, always aligned.
	KindSavepoint
)

func (k Kind) String() string {
	if k == KindSavepoint {
		return "savepoint"
	}
	return "checkpoint"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if k != KindCheckpoint && k != KindSavepoint {
		return nil, fmt.Errorf("checkpoint: invalid kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "checkpoint":
		*k = KindCheckpoint
	case "savepoint":
		*k = KindSavepoint
	default:
		return fmt.Errorf("unknown kind %q", b)
	}
	return nil
}

// Metadata describes one completed checkpoint or savepoint: what every
// operator snapshotted, with handles to the state files in the same
// directory. Writing it is what completes a checkpoint.
type Metadata struct {
	// Version is the format version the metadata was read with; writing
	// always uses FormatVersion.
	Version      int       `json:"-"`
	JobID        string    `json:"jobId"`
	CheckpointID int64     `json:"checkpointId"`
	Kind         Kind      `json:"kind"`
	Timestamp    time.Time `json:"timestamp"` // when it was triggered
	// Operators holds every operator with state, by UID, with the states
	// of the subtasks that took part.
	Operators []snapshot.OperatorState `json:"operators"`
	// FinishedOperators are the UIDs of operators all of whose subtasks had
	// finished when the checkpoint was taken (bounded input); a restore
	// does not run them again (Flink's fully finished operators).
	FinishedOperators []string `json:"finishedOperators,omitempty"`
}

// Operator returns the state of the operator with the given UID, or nil.
func (m *Metadata) Operator(uid string) *snapshot.OperatorState {
	for i := range m.Operators {
		if m.Operators[i].UID == uid {
			return &m.Operators[i]
		}
	}
	return nil
}

// StateSize is the number of bytes of state the checkpoint holds.
func (m *Metadata) StateSize() int64 {
	var n int64
	for i := range m.Operators {
		n += operatorSize(&m.Operators[i])
	}
	return n
}

func operatorSize(op *snapshot.OperatorState) int64 {
	n := int64(len(op.Coordinator))
	for i := range op.Subtasks {
		n += subtaskSize(&op.Subtasks[i])
	}
	return n
}

func subtaskSize(s *snapshot.SubtaskState) int64 {
	var n int64
	if s.Keyed != nil {
		n += s.Keyed.Size()
	}
	for _, l := range s.Lists {
		for _, e := range l.Elements {
			n += int64(len(e))
		}
	}
	return n
}

// The binary layout of a _metadata file:
//
//	magic    8 bytes  "WEIRMETA"
//	version  4 bytes  big-endian format version
//	length   8 bytes  big-endian length of body
//	body     length bytes of JSON (the Metadata)
//	crc      4 bytes  big-endian CRC-32C (Castagnoli) of everything before it
//
// Version 1 is the only version so far. A reader checks the magic, then the
// version (so a newer layout is reported as such, not as corruption), then
// the length and the checksum, and only then parses the body.
const (
	metaMagic     = "WEIRMETA"
	FormatVersion = 1
	headerLen     = len(metaMagic) + 4 + 8
	trailerLen    = 4
)

var (
	// ErrCorrupt is wrapped by errors for metadata that is not what a
	// writer produced: bad magic, bad checksum, truncated, or inconsistent.
	ErrCorrupt = errors.New("checkpoint: corrupt metadata")
	// ErrUnknownVersion is wrapped by errors for metadata in a format
	// version this weir does not know, written by a newer weir.
	ErrUnknownVersion = errors.New("checkpoint: unknown metadata format version")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes m in the current format version.
func (m *Metadata) MarshalBinary() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("checkpoint: refusing to write invalid metadata: %w", err)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: encoding metadata: %w", err)
	}
	b := make([]byte, 0, headerLen+len(body)+trailerLen)
	b = append(b, metaMagic...)
	b = binary.BigEndian.AppendUint32(b, FormatVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(len(body)))
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// DecodeMetadata decodes a _metadata file. Errors wrap ErrCorrupt or
// ErrUnknownVersion; they do not name the file (the caller does).
func DecodeMetadata(b []byte) (*Metadata, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
	if len(b) < len(metaMagic) || string(b[:len(metaMagic)]) != metaMagic {
		return nil, corrupt("not a weir metadata file (bad magic)")
	}
	if len(b) < len(metaMagic)+4 {
		return nil, corrupt("truncated after %d bytes", len(b))
	}
	v := binary.BigEndian.Uint32(b[len(metaMagic):])
	if v == 0 {
		return nil, corrupt("format version 0")
	}
	if v > FormatVersion {
		return nil, fmt.Errorf("%w %d: written by a newer weir (this one reads versions up to %d); upgrade weir to read it",
			ErrUnknownVersion, v, FormatVersion)
	}
	if len(b) < headerLen+trailerLen {
		return nil, corrupt("truncated after %d bytes", len(b))
	}
	n := binary.BigEndian.Uint64(b[len(metaMagic)+4:])
	if n != uint64(len(b)-headerLen-trailerLen) {
		return nil, corrupt("body length %d does not match the file size %d (truncated or extended)", n, len(b))
	}
	sum := binary.BigEndian.Uint32(b[len(b)-trailerLen:])
	if got := crc32.Checksum(b[:len(b)-trailerLen], castagnoli); got != sum {
		return nil, corrupt("checksum mismatch (stored %08x, computed %08x)", sum, got)
	}
	dec := json.NewDecoder(bytes.NewReader(b[headerLen : len(b)-trailerLen]))
	m := &Metadata{}
	if err := dec.Decode(m); err != nil {
		return nil, corrupt("body: %v", err)
	}
	if dec.More() {
		return nil, corrupt("body: data after the metadata")
	}
	if err := m.validate(); err != nil {
		return nil, corrupt("%v", err)
	}
	m.Version = int(v)
	return m, nil
}

// validate checks what a restore relies on without looking further, so a
// damaged but checksum-valid file cannot make it index out of range or
// read outside the snapshot directory.
func (m *Metadata) validate() error {
	if m.CheckpointID <= 0 {
		return fmt.Errorf("checkpoint id %d is not positive", m.CheckpointID)
	}
	if m.Kind != KindCheckpoint && m.Kind != KindSavepoint {
		return fmt.Errorf("invalid kind %d", int(m.Kind))
	}
	uids := make(map[string]bool, len(m.Operators))
	for i := range m.Operators {
		op := &m.Operators[i]
		if op.UID == "" {
			return fmt.Errorf("operator %d has no UID", i)
		}
		if uids[op.UID] {
			return fmt.Errorf("operator UID %q appears twice", op.UID)
		}
		uids[op.UID] = true
		if err := validateOperator(op); err != nil {
			return fmt.Errorf("operator %q: %w", op.UID, err)
		}
	}
	for _, uid := range m.FinishedOperators {
		if uid == "" {
			return errors.New("empty UID among the finished operators")
		}
	}
	return nil
}

func validateOperator(op *snapshot.OperatorState) error {
	if op.Parallelism < 0 || op.MaxParallelism < 0 {
		return fmt.Errorf("negative parallelism %d or max parallelism %d", op.Parallelism, op.MaxParallelism)
	}
	seen := make(map[int]bool, len(op.Subtasks))
	for _, st := range op.Subtasks {
		if st.Index < 0 || op.Parallelism > 0 && st.Index >= op.Parallelism {
			return fmt.Errorf("subtask index %d outside parallelism %d", st.Index, op.Parallelism)
		}
		if seen[st.Index] {
			return fmt.Errorf("subtask %d appears twice", st.Index)
		}
		seen[st.Index] = true
		for _, l := range st.Lists {
			if l.Mode < snapshot.Split || l.Mode > snapshot.Broadcast {
				return fmt.Errorf("subtask %d: list state %q has invalid mode %d", st.Index, l.Name, int(l.Mode))
			}
		}
		if st.Keyed != nil {
			if err := validateKeyed(st.Keyed, op.MaxParallelism); err != nil {
				return fmt.Errorf("subtask %d: %w", st.Index, err)
			}
		}
	}
	return nil
}

func validateKeyed(h *snapshot.KeyedHandle, maxParallelism int) error {
	if !validName(h.File) {
		return fmt.Errorf("keyed state file %q is not a plain relative name", h.File)
	}
	r := h.KeyGroups
	if r.Start < 0 || r.End < r.Start-1 || maxParallelism > 0 && r.End >= maxParallelism {
		return fmt.Errorf("key groups %d..%d invalid for max parallelism %d", r.Start, r.End, maxParallelism)
	}
	if len(h.Offsets) != r.Len()+1 {
		return fmt.Errorf("%d offsets for %d key groups (want one more than key groups)", len(h.Offsets), r.Len())
	}
	for i, o := range h.Offsets {
		if o < 0 || i > 0 && o < h.Offsets[i-1] {
			return fmt.Errorf("keyed state offsets are not ascending at %d", i)
		}
	}
	return nil
}
