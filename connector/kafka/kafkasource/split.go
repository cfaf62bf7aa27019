package kafkasource

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/weirstream/weir/codec"
)

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String is "topic-partition", Flink's split ID for a Kafka partition.
func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

func compareTP(a, b TopicPartition) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// NoStoppingOffset is the StoppingOffset of a split that is read for ever.
const NoStoppingOffset int64 = -1

// Split is one partition to read, from StartingOffset (the offset of the
// next record to read) up to StoppingOffset (exclusive), or without end
// when StoppingOffset is NoStoppingOffset. The enumerator hands out splits
// with both offsets resolved; a reader's snapshot holds its splits with
// StartingOffset advanced to the offset after the last record it emitted.
type Split struct {
	TopicPartition
	StartingOffset int64
	StoppingOffset int64
}

// SplitID implements source.Split: "topic-partition".
func (s Split) SplitID() string { return s.TopicPartition.String() }

// IsBounded reports whether the split has a stopping offset.
func (s Split) IsBounded() bool { return s.StoppingOffset != NoStoppingOffset }

// String shows the split with its offset range.
func (s Split) String() string {
	stop := "∞"
	if s.IsBounded() {
		stop = strconv.FormatInt(s.StoppingOffset, 10)
	}
	return fmt.Sprintf("%s[%d,%s)", s.TopicPartition, s.StartingOffset, stop)
}

// EnumeratorState is the enumerator's checkpoint.
type EnumeratorState struct {
	// Assigned are the partitions handed to readers. Their progress is in
	// the readers' state; the enumerator only remembers not to hand them
	// out again.
	Assigned []TopicPartition
	// Pending are discovered splits whose reader has not registered yet.
	Pending []Split
	// InitialDiscoveryDone is set once the first discovery, whose
	// partitions start at the starting offsets, has completed; partitions
	// found after it start at the offsets for new partitions.
	InitialDiscoveryDone bool
}

// The encodings carry a format byte first, so a later format can still
// read checkpoints written by this one.
const (
	splitFormat byte = 1
	stateFormat byte = 1
)

// ErrCorrupt is wrapped by every decoding error of a split or enumerator
// checkpoint.
var ErrCorrupt = errors.New("kafkasource: corrupt split or enumerator checkpoint")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// splitCodec encodes a Split: the format byte, then the topic (uvarint
// length and bytes), partition, starting and stopping offset (zig-zag
// varints). Decoding accepts only what Encode writes.
type splitCodec struct{}

var _ codec.Codec[Split] = splitCodec{}

func (splitCodec) Encode(s Split) ([]byte, error) {
	if err := checkSplit(s); err != nil {
		return nil, fmt.Errorf("kafkasource: encode split: %w", err)
	}
	return appendSplit(append(make([]byte, 0, 1+len(s.Topic)+16), splitFormat), s), nil
}

func (splitCodec) Decode(b []byte) (Split, error) {
	if len(b) == 0 || b[0] != splitFormat {
		return Split{}, corrupt("split does not start with format byte %d", splitFormat)
	}
	s, rest, err := readSplit(b[1:])
	if err != nil {
		return Split{}, err
	}
	if len(rest) != 0 {
		return Split{}, corrupt("%d bytes after the split", len(rest))
	}
	return s, nil
}

func appendSplit(dst []byte, s Split) []byte {
	dst = appendTP(dst, s.TopicPartition)
	dst = binary.AppendVarint(dst, s.StartingOffset)
	return binary.AppendVarint(dst, s.StoppingOffset)
}

func appendTP(dst []byte, tp TopicPartition) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(tp.Topic)))
	dst = append(dst, tp.Topic...)
	return binary.AppendVarint(dst, int64(tp.Partition))
}

// checkSplit rejects splits no enumerator makes, so that whatever decodes
// is a split a reader can read.
func checkSplit(s Split) error {
	if s.Topic == "" {
		return errors.New("empty topic")
	}
	if s.Partition < 0 {
		return fmt.Errorf("negative partition %d", s.Partition)
	}
	if s.StartingOffset < 0 {
		return fmt.Errorf("negative starting offset %d", s.StartingOffset)
	}
	if s.StoppingOffset < NoStoppingOffset {
		return fmt.Errorf("stopping offset %d", s.StoppingOffset)
	}
	return nil
}

func readSplit(b []byte) (Split, []byte, error) {
	tp, b, err := readTP(b)
	if err != nil {
		return Split{}, nil, err
	}
	start, b, err := readVarint(b, "starting offset")
	if err != nil {
		return Split{}, nil, err
	}
	stop, b, err := readVarint(b, "stopping offset")
	if err != nil {
		return Split{}, nil, err
	}
	s := Split{TopicPartition: tp, StartingOffset: start, StoppingOffset: stop}
	if err := checkSplit(s); err != nil {
		return Split{}, nil, corrupt("%v", err)
	}
	return s, b, nil
}

func readTP(b []byte) (TopicPartition, []byte, error) {
	n, b, err := readUvarint(b, "topic length")
	if err != nil {
		return TopicPartition{}, nil, err
	}
	if n == 0 || n > uint64(len(b)) {
		return TopicPartition{}, nil, corrupt("topic length %d with %d bytes left", n, len(b))
	}
	topic := string(b[:n])
	p, b, err := readVarint(b[n:], "partition")
	if err != nil {
		return TopicPartition{}, nil, err
	}
	if p < 0 || p > math.MaxInt32 {
		return TopicPartition{}, nil, corrupt("partition %d", p)
	}
	return TopicPartition{Topic: topic, Partition: int32(p)}, b, nil
}

// readUvarint and readVarint accept only the shortest encoding, so that a
// decoded value encodes to the bytes it came from.
func readUvarint(b []byte, what string) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		return 0, nil, corrupt("bad %s", what)
	}
	return v, b[n:], nil
}

func readVarint(b []byte, what string) (int64, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(binary.AppendVarint(nil, v)) {
		return 0, nil, corrupt("bad %s", what)
	}
	return v, b[n:], nil
}

// stateCodec encodes an EnumeratorState: the format byte, a byte 0 or 1 for
// InitialDiscoveryDone, the number of assigned partitions (uvarint) and
// each partition as in a split, the number of pending splits and each
// split. A partition appears at most once in the whole state.
type stateCodec struct{}

var _ codec.Codec[EnumeratorState] = stateCodec{}

func (stateCodec) Encode(st EnumeratorState) ([]byte, error) {
	if err := checkState(st); err != nil {
		return nil, fmt.Errorf("kafkasource: encode enumerator checkpoint: %w", err)
	}
	b := []byte{stateFormat, 0}
	if st.InitialDiscoveryDone {
		b[1] = 1
	}
	b = binary.AppendUvarint(b, uint64(len(st.Assigned)))
	for _, tp := range st.Assigned {
		b = appendTP(b, tp)
	}
	b = binary.AppendUvarint(b, uint64(len(st.Pending)))
	for _, s := range st.Pending {
		b = appendSplit(b, s)
	}
	return b, nil
}

func checkState(st EnumeratorState) error {
	seen := make(map[TopicPartition]bool, len(st.Assigned)+len(st.Pending))
	for _, tp := range st.Assigned {
		if err := checkSplit(Split{TopicPartition: tp}); err != nil {
			return err
		}
		if seen[tp] {
			return fmt.Errorf("partition %s appears twice", tp)
		}
		seen[tp] = true
	}
	for _, s := range st.Pending {
		if err := checkSplit(s); err != nil {
			return err
		}
		if seen[s.TopicPartition] {
			return fmt.Errorf("partition %s appears twice", s.TopicPartition)
		}
		seen[s.TopicPartition] = true
	}
	return nil
}

func (stateCodec) Decode(b []byte) (EnumeratorState, error) {
	var st EnumeratorState
	if len(b) < 2 || b[0] != stateFormat || b[1] > 1 {
		return st, corrupt("enumerator checkpoint does not start with format byte %d and a flag", stateFormat)
	}
	st.InitialDiscoveryDone = b[1] == 1
	b = b[2:]
	n, b, err := readUvarint(b, "number of assigned partitions")
	if err != nil {
		return st, err
	}
	// Every partition takes at least 2 bytes: a bound that keeps a forged
	// count from allocating more than the input justifies.
	if n > uint64(len(b))/2 {
		return st, corrupt("%d assigned partitions in %d bytes", n, len(b))
	}
	if n > 0 {
		st.Assigned = make([]TopicPartition, 0, n)
	}
	for range n {
		var tp TopicPartition
		if tp, b, err = readTP(b); err != nil {
			return EnumeratorState{}, err
		}
		st.Assigned = append(st.Assigned, tp)
	}
	if n, b, err = readUvarint(b, "number of pending splits"); err != nil {
		return EnumeratorState{}, err
	}
	if n > uint64(len(b))/4 {
		return EnumeratorState{}, corrupt("%d pending splits in %d bytes", n, len(b))
	}
	if n > 0 {
		st.Pending = make([]Split, 0, n)
	}
	for range n {
		var s Split
		if s, b, err = readSplit(b); err != nil {
			return EnumeratorState{}, err
		}
		st.Pending = append(st.Pending, s)
	}
	if len(b) != 0 {
		return EnumeratorState{}, corrupt("%d bytes after the enumerator checkpoint", len(b))
	}
	if err := checkState(st); err != nil {
		return EnumeratorState{}, corrupt("%v", err)
	}
	return st, nil
}

// sortSplits orders splits by topic and partition, for deterministic
// snapshots and assignments.
func sortSplits(s []Split) {
	slices.SortFunc(s, func(a, b Split) int { return compareTP(a.TopicPartition, b.TopicPartition) })
}
