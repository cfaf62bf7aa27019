package kafkasource

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/stream"
)

const (
	// DefaultDiscoveryInterval is how often an unbounded source looks for
	// new partitions and topics by default, as Flink's
	// partition.discovery.interval.ms.
	DefaultDiscoveryInterval = 5 * time.Minute
	// DefaultTimeout bounds the enumerator's requests (discovery, offset
	// lookups), retries included.
	DefaultTimeout = 60 * time.Second
	// DefaultClientIDPrefix starts the client ids of the source's Kafka
	// clients when neither client.id nor client.id.prefix is set.
	DefaultClientIDPrefix = "weir-kafka-source"
)

// The connector keys a Source takes out of its Properties; every other key
// goes to the Kafka client (kafka.Properties.ClientOpts).
const (
	keyGroupID            = "group.id"
	keyIsolation          = "isolation.level"
	keyDiscovery          = "partition.discovery.interval.ms"
	keyCommitOnCheckpoint = "commit.offsets.on.checkpoint"
	keyClientIDPrefix     = "client.id.prefix"
	keyAutoOffsetReset    = "auto.offset.reset"
	keyEnableAutoCommit   = "enable.auto.commit"
	keyAutoCommitInterval = "auto.commit.interval.ms"
)

// badRecordPolicy is what happens to a record the deserializer rejects.
type badRecordPolicy int

const (
	badFail badRecordPolicy = iota
	badSkip
	badSideOutput
)

// Source reads Kafka topics as a FLIP-27 source (Flink's KafkaSource). It
// implements source.Source[T, Split, EnumeratorState]; pass it to
// stream.FromSource. Configure it with its methods before the job starts;
// configuration errors are reported when the job starts.
type Source[T any] struct {
	clientProps kafka.Properties
	brokers     []string
	deser       Deserializer[T]

	topics  []string
	pattern *regexp.Regexp

	// starting is nil until StartingOffsets: then startingOffsets
	// derives it from auto.offset.reset and group.id.
	starting, newPartitions, stopping OffsetsInitializer
	autoReset                         *ResetStrategy
	interval                          time.Duration

	group              string
	commitOnCheckpoint bool
	readCommitted      bool
	// outOfRange is where a reader resumes when its offset is no longer
	// in the partition (kgo.NoResetOffset fails the job).
	outOfRange     kgo.Offset
	clientIDPrefix string
	timeout        time.Duration

	bad    badRecordPolicy
	badTag string

	// probeAfter is how long a bounded split may go without progress
	// before its reader checks whether only invisible offsets (aborted
	// records, transaction markers) are left before its stop.
	probeAfter time.Duration

	metrics *Metrics
	errs    []error
}

var _ source.Source[string, Split, EnumeratorState] = (*Source[string])(nil)

// New returns a source that reads with the client settings props
// (bootstrap.servers at least) and turns each record into a T with d.
// Choose the topics with Topics or TopicPattern.
//
// Besides the client keys kafka.Properties documents, props may hold these
// connector keys, which the methods of Source override:
//
//	group.id                         consumer group for committed offsets (WithGroupID)
//	isolation.level                  read_committed (default) or read_uncommitted
//	partition.discovery.interval.ms  discovery period in ms; <= 0: discover once (WithDiscoveryInterval)
//	commit.offsets.on.checkpoint     true (default with group.id) or false
//	client.id.prefix                 prefix of the clients' ids (default weir-kafka-source)
//	auto.offset.reset                earliest, latest or none: where a reader resumes when its
//	                                 offset is out of range, and, without StartingOffsets,
//	                                 where partitions start: the group's committed offsets
//	                                 with this reset strategy, or without group.id the
//	                                 earliest or latest offsets (none: an error)
//	enable.auto.commit               only false: offsets are committed on checkpoints
func New[T any](props kafka.Properties, d Deserializer[T]) *Source[T] {
	s := &Source[T]{
		deser:              d,
		newPartitions:      Earliest(),
		interval:           DefaultDiscoveryInterval,
		commitOnCheckpoint: true,
		readCommitted:      true,
		clientIDPrefix:     DefaultClientIDPrefix,
		timeout:            DefaultTimeout,
		probeAfter:         500 * time.Millisecond,
		metrics:            newMetrics(),
		outOfRange:         kgo.NewOffset().AtStart(),
	}
	if d == nil {
		s.errs = append(s.errs, errors.New("kafkasource: the deserializer is nil; use String(), Bytes(), JSON[T]() or your own"))
	}
	client, taken := props.Split(keyGroupID, keyIsolation, keyDiscovery, keyCommitOnCheckpoint,
		keyClientIDPrefix, keyAutoOffsetReset, keyEnableAutoCommit, keyAutoCommitInterval)
	s.clientProps = client
	s.brokers = props.Brokers()
	if len(s.brokers) == 0 {
		s.errs = append(s.errs, errors.New("kafkasource: bootstrap.servers is not set; set it to the brokers' host:port list"))
	}
	s.applyConnectorKeys(taken)
	return s
}

func (s *Source[T]) badProperty(key, value, accepted string) {
	s.errs = append(s.errs, fmt.Errorf("kafkasource: property %s=%q is invalid; %s", key, value, accepted))
}

func (s *Source[T]) applyConnectorKeys(taken map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(taken)) {
		v := strings.TrimSpace(taken[k])
		switch k {
		case keyGroupID:
			s.group = v
		case keyIsolation:
			switch v {
			case "read_committed":
				s.readCommitted = true
			case "read_uncommitted":
				s.readCommitted = false
			default:
				s.badProperty(k, v, "use read_committed or read_uncommitted")
			}
		case keyDiscovery:
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				s.badProperty(k, v, "use a number of milliseconds (<= 0 discovers partitions once)")
				continue
			}
			s.interval = max(time.Duration(ms)*time.Millisecond, 0)
		case keyCommitOnCheckpoint:
			b, err := strconv.ParseBool(v)
			if err != nil {
				s.badProperty(k, v, "use true or false")
				continue
			}
			s.commitOnCheckpoint = b
		case keyClientIDPrefix:
			if v == "" {
				s.badProperty(k, v, "use a non-empty prefix")
				continue
			}
			s.clientIDPrefix = v
		case keyAutoOffsetReset:
			var reset ResetStrategy
			switch v {
			case "earliest":
				reset, s.outOfRange = ResetEarliest, kgo.NewOffset().AtStart()
			case "latest":
				reset, s.outOfRange = ResetLatest, kgo.NewOffset().AtEnd()
			case "none":
				reset, s.outOfRange = ResetNone, kgo.NoResetOffset()
			default:
				s.badProperty(k, v, "use earliest, latest or none")
				continue
			}
			s.autoReset = &reset
		case keyEnableAutoCommit:
			if v != "false" {
				s.badProperty(k, v, "the Kafka source commits offsets when checkpoints complete, never automatically: remove it or set false (and see commit.offsets.on.checkpoint)")
			}
		case keyAutoCommitInterval:
			s.badProperty(k, v, "the Kafka source commits offsets when checkpoints complete: remove it and set execution.checkpointing.interval")
		}
	}
}

// Topics sets the topics to read. A topic that does not exist fails the
// job when it starts.
func (s *Source[T]) Topics(topics ...string) *Source[T] {
	s.topics = slices.Clone(topics)
	if len(topics) == 0 {
		s.errs = append(s.errs, errors.New("kafkasource: Topics needs at least one topic"))
	}
	for _, t := range topics {
		if t == "" {
			s.errs = append(s.errs, errors.New("kafkasource: Topics got an empty topic name"))
		}
	}
	return s
}

// TopicPattern reads every topic whose whole name matches the regular
// expression pattern (Go syntax), except internal topics; with discovery
// on, topics created later are read too, from the offsets for new
// partitions.
func (s *Source[T]) TopicPattern(pattern string) *Source[T] {
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("kafkasource: topic pattern %q: %w", pattern, err))
		return s
	}
	s.pattern = re
	return s
}

// StartingOffsets sets where the partitions found when the job first
// starts begin (default Earliest(), or as auto.offset.reset says). A
// restored job resumes from its checkpoint instead.
func (s *Source[T]) StartingOffsets(init OffsetsInitializer) *Source[T] {
	if init == nil {
		s.errs = append(s.errs, errors.New("kafkasource: StartingOffsets got a nil initializer"))
	}
	s.starting = init
	return s
}

// NewPartitionOffsets sets where partitions discovered after the first
// discovery begin: partitions added to a topic and topics created later
// that match the pattern. The default, Earliest(), loses nothing written
// before the discovery (Flink's default since 1.19).
func (s *Source[T]) NewPartitionOffsets(init OffsetsInitializer) *Source[T] {
	if init == nil {
		s.errs = append(s.errs, errors.New("kafkasource: NewPartitionOffsets got a nil initializer"))
	}
	s.newPartitions = init
	return s
}

// Bounded makes the source bounded: every partition ends at the offset
// stop resolves (exclusive; Latest() reads what the partitions held at
// start), and the job ends when all have. Partitions are discovered once.
func (s *Source[T]) Bounded(stop OffsetsInitializer) *Source[T] {
	if stop == nil {
		s.errs = append(s.errs, errors.New("kafkasource: Bounded got a nil initializer"))
	}
	s.stopping = stop
	return s
}

// WithDiscoveryInterval sets how often the enumerator looks for new
// partitions and, with TopicPattern, new topics (default
// DefaultDiscoveryInterval). d <= 0 discovers once: readers are told that
// no more splits come once all are assigned.
func (s *Source[T]) WithDiscoveryInterval(d time.Duration) *Source[T] {
	s.interval = max(d, 0)
	return s
}

// WithGroupID sets the consumer group: Committed starting offsets are read
// from it, and the offsets a completed checkpoint holds are committed to
// it (for monitoring; progress lives in checkpoints). The source joins no
// group: it assigns partitions itself.
func (s *Source[T]) WithGroupID(id string) *Source[T] {
	s.group = id
	return s
}

// CommitOffsetsOnCheckpoint sets whether offsets are committed to the
// group when a checkpoint completes (default true when a group is set).
func (s *Source[T]) CommitOffsetsOnCheckpoint(on bool) *Source[T] {
	s.commitOnCheckpoint = on
	return s
}

// ReadUncommitted makes readers see records of open and aborted
// transactions. By default the source reads read_committed, unlike Flink,
// because pipelines built on weir's transactional Kafka sink are meant to
// pass on committed output only; a bounded source's Latest() then stops
// at the last stable offset.
func (s *Source[T]) ReadUncommitted() *Source[T] {
	s.readCommitted = false
	return s
}

// SkipBadRecords drops records the deserializer rejects instead of failing
// the job. They are counted (Metrics.SkippedRecords) and logged at most
// every 10 seconds.
func (s *Source[T]) SkipBadRecords() *Source[T] {
	s.bad, s.badTag = badSkip, ""
	return s
}

// SideOutputBadRecords sends records the deserializer rejects, with the
// error, to the side output tag instead of failing the job; read them with
// stream.SideOutput(stream, tag). They are counted
// (Metrics.SideOutputRecords).
func (s *Source[T]) SideOutputBadRecords(tag stream.OutputTag[BadRecord]) *Source[T] {
	s.bad, s.badTag = badSideOutput, tag.ID()
	if tag.ID() == "" {
		s.errs = append(s.errs, errors.New("kafkasource: SideOutputBadRecords needs a tag made with stream.NewOutputTag"))
	}
	return s
}

// WithTimeout bounds each of the enumerator's requests, retries included
// (default DefaultTimeout): brokers that do not answer within it fail the
// job with an error naming them.
func (s *Source[T]) WithTimeout(d time.Duration) *Source[T] {
	if d <= 0 {
		s.errs = append(s.errs, fmt.Errorf("kafkasource: timeout %v is invalid; use a positive duration", d))
	}
	s.timeout = d
	return s
}

// Metrics returns the source's counters and per-partition lag, shared by
// all of its readers in this process.
func (s *Source[T]) Metrics() *Metrics { return s.metrics }

func (s *Source[T]) err() error {
	errs := slices.Clone(s.errs)
	switch {
	case len(s.topics) == 0 && s.pattern == nil:
		errs = append(errs, errors.New("kafkasource: no topics to read; call Topics or TopicPattern"))
	case len(s.topics) > 0 && s.pattern != nil:
		errs = append(errs, errors.New("kafkasource: both Topics and TopicPattern are set; use one"))
	}
	return errors.Join(errs...)
}

// startingOffsets is the initializer of the first discovery: the one
// given to StartingOffsets, else what a Kafka consumer with these
// properties would do, else Earliest (Flink's default).
func (s *Source[T]) startingOffsets() OffsetsInitializer {
	switch {
	case s.starting != nil:
		return s.starting
	case s.autoReset == nil:
		return Earliest()
	case s.group != "" || *s.autoReset == ResetNone:
		return Committed(*s.autoReset)
	case *s.autoReset == ResetLatest:
		return Latest()
	}
	return Earliest()
}

// bounded reports whether splits have stopping offsets.
func (s *Source[T]) bounded() bool { return s.stopping != nil }

// discoverOnce reports whether partitions are discovered only once, so
// readers are told no more splits come.
func (s *Source[T]) discoverOnce() bool { return s.bounded() || s.interval <= 0 }

// Boundedness implements source.Source.
func (s *Source[T]) Boundedness() source.Boundedness {
	if s.bounded() {
		return source.Bounded
	}
	return source.ContinuousUnbounded
}

// clientOpts are the franz-go options of a client named name (unless
// client.id is set).
func (s *Source[T]) clientOpts(name string) ([]kgo.Opt, error) {
	opts, err := s.clientProps.ClientOpts()
	if err != nil {
		return nil, fmt.Errorf("kafkasource: %w", err)
	}
	if _, ok := s.clientProps["client.id"]; !ok {
		opts = append(opts, kgo.ClientID(s.clientIDPrefix+"-"+name))
	}
	return opts, nil
}

func (s *Source[T]) subscription() subscription {
	return subscription{topics: slices.Clone(s.topics), pattern: s.pattern}
}

// CreateEnumerator implements source.Source.
func (s *Source[T]) CreateEnumerator(ctx source.SplitEnumeratorContext[Split]) (source.SplitEnumerator[Split, EnumeratorState], error) {
	return s.newEnumerator(ctx, EnumeratorState{})
}

// RestoreEnumerator implements source.Source.
func (s *Source[T]) RestoreEnumerator(ctx source.SplitEnumeratorContext[Split], cp EnumeratorState) (source.SplitEnumerator[Split, EnumeratorState], error) {
	return s.newEnumerator(ctx, cp)
}

// SplitCodec implements source.Source.
func (s *Source[T]) SplitCodec() codec.Codec[Split] { return splitCodec{} }

// CheckpointCodec implements source.Source.
func (s *Source[T]) CheckpointCodec() codec.Codec[EnumeratorState] { return stateCodec{} }
