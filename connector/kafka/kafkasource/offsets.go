package kafkasource

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// OffsetsInitializer resolves an offset for each of a set of partitions:
// where their splits start, or, for a bounded source, where they stop
// (Flink's OffsetsInitializer). The enumerator calls it off the
// coordinator goroutine when it discovers partitions; the offsets it
// returns are fixed in the splits, so a restored job does not resolve them
// again.
type OffsetsInitializer interface {
	// Offsets returns an offset for every partition of tps, asking Kafka
	// through r. An error fails the job: say which partition and why.
	Offsets(ctx context.Context, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error)
	// String describes the initializer in errors and logs.
	String() string
}

// OffsetsRetriever asks Kafka about partitions' offsets, for
// OffsetsInitializers.
type OffsetsRetriever interface {
	// Earliest returns each partition's log start offset.
	Earliest(ctx context.Context, tps []TopicPartition) (map[TopicPartition]int64, error)
	// Latest returns each partition's end offset: the last stable offset
	// when the source reads read_committed, the high watermark otherwise,
	// so that a bounded source stops where its readers can read to.
	Latest(ctx context.Context, tps []TopicPartition) (map[TopicPartition]int64, error)
	// Committed returns the offsets the source's consumer group (group.id)
	// committed; partitions without a committed offset are missing from
	// the result. Without group.id it fails.
	Committed(ctx context.Context, tps []TopicPartition) (map[TopicPartition]int64, error)
	// AtTimestamp returns, for each partition, the offset of the first
	// record whose timestamp is at or after ms (Unix milliseconds), or the
	// end offset when there is none.
	AtTimestamp(ctx context.Context, ms int64, tps []TopicPartition) (map[TopicPartition]int64, error)
}

// ResetStrategy is what Committed does for a partition without a
// committed offset.
type ResetStrategy int

const (
	// ResetEarliest starts the partition at its earliest offset.
	ResetEarliest ResetStrategy = iota
	// ResetLatest starts the partition at its end offset.
	ResetLatest
	// ResetNone fails the job.
	ResetNone
)

func (r ResetStrategy) String() string {
	switch r {
	case ResetEarliest:
		return "earliest"
	case ResetLatest:
		return "latest"
	case ResetNone:
		return "none"
	}
	return fmt.Sprintf("ResetStrategy(%d)", int(r))
}

// Earliest resolves each partition's earliest offset (log start).
func Earliest() OffsetsInitializer { return earliest{} }

// Latest resolves each partition's end offset at the time the partition is
// discovered (see OffsetsRetriever.Latest). As a starting offset it reads
// only records produced after that; as a stopping offset it reads what the
// partition held when the job started.
func Latest() OffsetsInitializer { return latest{} }

// Committed resolves the consumer group's committed offsets (group.id
// must be set); partitions without one follow reset.
func Committed(reset ResetStrategy) OffsetsInitializer { return committed{reset: reset} }

// Timestamp resolves, for each partition, the first offset whose record
// timestamp is at or after t, or the end offset when there is none. As a
// stopping offset it ends each partition before the first record at or
// after t.
func Timestamp(t time.Time) OffsetsInitializer { return timestamp{ms: t.UnixMilli()} }

// SpecificOffsets resolves the offsets given; partitions not in offsets use
// fallback, or fail the job when fallback is nil.
func SpecificOffsets(offsets map[TopicPartition]int64, fallback OffsetsInitializer) OffsetsInitializer {
	return specific{offsets: maps.Clone(offsets), fallback: fallback}
}

type earliest struct{}

func (earliest) Offsets(ctx context.Context, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error) {
	return r.Earliest(ctx, tps)
}

func (earliest) String() string { return "earliest" }

type latest struct{}

func (latest) Offsets(ctx context.Context, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error) {
	return r.Latest(ctx, tps)
}

func (latest) String() string { return "latest" }

type committed struct{ reset ResetStrategy }

func (c committed) Offsets(ctx context.Context, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error) {
	got, err := r.Committed(ctx, tps)
	if err != nil {
		return nil, err
	}
	var missing []TopicPartition
	for _, tp := range tps {
		if _, ok := got[tp]; !ok {
			missing = append(missing, tp)
		}
	}
	if len(missing) == 0 {
		return got, nil
	}
	var reset map[TopicPartition]int64
	switch c.reset {
	case ResetEarliest:
		reset, err = r.Earliest(ctx, missing)
	case ResetLatest:
		reset, err = r.Latest(ctx, missing)
	case ResetNone:
		return nil, fmt.Errorf("kafkasource: partition %s has no committed offset and the reset strategy is none; commit offsets for the group first, or use Committed(ResetEarliest) or Committed(ResetLatest)", missing[0])
	default:
		return nil, fmt.Errorf("kafkasource: unknown reset strategy %d; use ResetEarliest, ResetLatest or ResetNone", int(c.reset))
	}
	if err != nil {
		return nil, err
	}
	maps.Copy(got, reset)
	return got, nil
}

func (c committed) String() string { return "committed (reset " + c.reset.String() + ")" }

type timestamp struct{ ms int64 }

func (t timestamp) Offsets(ctx context.Context, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error) {
	return r.AtTimestamp(ctx, t.ms, tps)
}

func (t timestamp) String() string {
	return "timestamp " + time.UnixMilli(t.ms).UTC().Format(time.RFC3339Nano)
}

type specific struct {
	offsets  map[TopicPartition]int64
	fallback OffsetsInitializer
}

func (s specific) Offsets(ctx context.Context, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error) {
	out := make(map[TopicPartition]int64, len(tps))
	var rest []TopicPartition
	for _, tp := range tps {
		if off, ok := s.offsets[tp]; ok {
			out[tp] = off
		} else {
			rest = append(rest, tp)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	if s.fallback == nil {
		return nil, fmt.Errorf("kafkasource: no offset given for partition %s and no fallback; add it to SpecificOffsets or pass a fallback such as Earliest()", rest[0])
	}
	more, err := s.fallback.Offsets(ctx, rest, r)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, more)
	return out, nil
}

func (s specific) String() string {
	keys := slices.SortedFunc(maps.Keys(s.offsets), compareTP)
	desc := "specific offsets {"
	for i, tp := range keys {
		if i > 0 {
			desc += ", "
		}
		desc += fmt.Sprintf("%s: %d", tp, s.offsets[tp])
	}
	desc += "}"
	if s.fallback != nil {
		desc += ", else " + s.fallback.String()
	}
	return desc
}
