package kafkasink

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/sink"
)

// Serializer turns one stream element into the Kafka record to write
// (Flink's KafkaRecordSerializationSchema). The record must name its
// topic; it may set Key, Value, Headers, Timestamp (else the element's
// event timestamp, else the time of writing) and, with
// kgo.ManualPartitioner as the sink's partitioner, Partition. The sink
// owns the returned record; return a new one per call. Serialize is called
// from the writing subtask's goroutine; a sink with parallelism above one
// calls it from several goroutines at once.
type Serializer[T any] interface {
	Serialize(v T, ctx sink.Context) (*kgo.Record, error)
}

// SerializerFunc adapts a function to Serializer.
type SerializerFunc[T any] func(v T, ctx sink.Context) (*kgo.Record, error)

// Serialize implements Serializer.
func (f SerializerFunc[T]) Serialize(v T, ctx sink.Context) (*kgo.Record, error) { return f(v, ctx) }

// Encoder turns an element (or a part of it) into bytes: a record key or
// value.
type Encoder[T any] func(v T) ([]byte, error)

// StringEncoder encodes a string as its bytes.
func StringEncoder[S ~string]() Encoder[S] {
	return func(v S) ([]byte, error) { return []byte(v), nil }
}

// BytesEncoder writes a []byte as it is. The sink does not copy it: do
// not change the slice after the element was emitted.
func BytesEncoder() Encoder[[]byte] {
	return func(v []byte) ([]byte, error) { return v, nil }
}

// JSONEncoder encodes with encoding/json.
func JSONEncoder[T any]() Encoder[T] {
	return func(v T) ([]byte, error) { return json.Marshal(v) }
}

// RecordSerializer builds records from parts, as Flink's
// KafkaRecordSerializationSchema builder does. Set Topic or TopicSelector,
// and Value.
type RecordSerializer[T any] struct {
	// Topic is the topic of every record when TopicSelector is nil. The
	// sink checks at start that it exists.
	Topic string
	// TopicSelector picks the topic per record.
	TopicSelector func(v T) string
	// Key encodes the record key; nil writes records without a key (which
	// the default partitioner spreads by batch).
	Key Encoder[T]
	// Value encodes the record value.
	Value Encoder[T]
	// Headers returns the record headers; nil writes none.
	Headers func(v T) []kgo.RecordHeader
}

// Serialize implements Serializer.
func (s *RecordSerializer[T]) Serialize(v T, _ sink.Context) (*kgo.Record, error) {
	r := &kgo.Record{Topic: s.Topic}
	if s.TopicSelector != nil {
		r.Topic = s.TopicSelector(v)
		if r.Topic == "" {
			return nil, fmt.Errorf("kafkasink: the topic selector returned no topic for %v; return a topic name for every element", v)
		}
	}
	if s.Value == nil {
		return nil, errors.New("kafkasink: RecordSerializer has no Value encoder; set Value, e.g. kafkasink.StringEncoder[string]()")
	}
	var err error
	if r.Value, err = s.Value(v); err != nil {
		return nil, fmt.Errorf("kafkasink: encode the value of a record for topic %s: %w", r.Topic, err)
	}
	if s.Key != nil {
		if r.Key, err = s.Key(v); err != nil {
			return nil, fmt.Errorf("kafkasink: encode the key of a record for topic %s: %w", r.Topic, err)
		}
	}
	if s.Headers != nil {
		r.Headers = s.Headers(v)
	}
	return r, nil
}

// fixedTopic implements topicChecker: the sink checks a fixed topic at start.
func (s *RecordSerializer[T]) fixedTopic() string {
	if s.TopicSelector != nil {
		return ""
	}
	return s.Topic
}

// validate reports a serializer that can never produce a record.
func (s *RecordSerializer[T]) validate() error {
	if s.Topic == "" && s.TopicSelector == nil {
		return errors.New("kafkasink: RecordSerializer has neither Topic nor TopicSelector; set the topic to write to")
	}
	if s.Value == nil {
		return errors.New("kafkasink: RecordSerializer has no Value encoder; set Value, e.g. kafkasink.StringEncoder[string]()")
	}
	return nil
}

// topicChecker is implemented by serializers that write to one topic known
// up front, so the sink can check at start that the topic exists.
type topicChecker interface{ fixedTopic() string }

// validator is implemented by serializers that can check their settings.
type validator interface{ validate() error }

// StringValues writes each string as the value of a record without a key
// to topic.
func StringValues(topic string) *RecordSerializer[string] {
	return &RecordSerializer[string]{Topic: topic, Value: StringEncoder[string]()}
}

// BytesValues writes each []byte as the value of a record without a key to
// topic.
func BytesValues(topic string) *RecordSerializer[[]byte] {
	return &RecordSerializer[[]byte]{Topic: topic, Value: BytesEncoder()}
}

// JSONValues writes each element as JSON into the value of a record to
// topic; key, when not nil, encodes the record key.
func JSONValues[T any](topic string, key Encoder[T]) *RecordSerializer[T] {
	return &RecordSerializer[T]{Topic: topic, Key: key, Value: JSONEncoder[T]()}
}
