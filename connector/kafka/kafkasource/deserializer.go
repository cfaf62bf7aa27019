package kafkasource

import (
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Deserializer turns a record's value into a T (Flink's
// DeserializationSchema). It runs on the reader's fetcher goroutine, one
// record at a time; an error is a bad record (see Source.SkipBadRecords and
// Source.SideOutputBadRecords), and a panic is turned into one.
type Deserializer[T any] interface {
	Deserialize(value []byte) (T, error)
}

// RecordDeserializer turns a whole record into a T: key, headers,
// timestamp, topic, partition and offset as well as the value (Flink's
// KafkaRecordDeserializationSchema). When the Deserializer given to New
// also implements RecordDeserializer, the source calls DeserializeRecord
// and never Deserialize. The record must not be changed; its byte slices
// may be kept.
type RecordDeserializer[T any] interface {
	DeserializeRecord(rec *kgo.Record) (T, error)
}

// DeserializerFunc adapts a function of the value to Deserializer.
type DeserializerFunc[T any] func(value []byte) (T, error)

// Deserialize implements Deserializer.
func (f DeserializerFunc[T]) Deserialize(value []byte) (T, error) { return f(value) }

// RecordDeserializerFunc adapts a function of the whole record to
// Deserializer and RecordDeserializer.
type RecordDeserializerFunc[T any] func(rec *kgo.Record) (T, error)

// DeserializeRecord implements RecordDeserializer.
func (f RecordDeserializerFunc[T]) DeserializeRecord(rec *kgo.Record) (T, error) { return f(rec) }

// Deserialize implements Deserializer for a record that has only a value.
func (f RecordDeserializerFunc[T]) Deserialize(value []byte) (T, error) {
	return f(&kgo.Record{Value: value})
}

// Bytes passes values through unchanged (a nil value, a tombstone, stays
// nil).
func Bytes() Deserializer[[]byte] {
	return DeserializerFunc[[]byte](func(v []byte) ([]byte, error) { return v, nil })
}

// String reads values as strings (a tombstone as "").
func String() Deserializer[string] {
	return DeserializerFunc[string](func(v []byte) (string, error) { return string(v), nil })
}

// JSON decodes values as JSON into a T with encoding/json; a tombstone
// (nil value) is an error, as it is no JSON.
func JSON[T any]() Deserializer[T] {
	return DeserializerFunc[T](func(v []byte) (T, error) {
		var out T
		if v == nil {
			return out, fmt.Errorf("kafkasource: the record has no value (a tombstone), which is no JSON %T", out)
		}
		err := json.Unmarshal(v, &out)
		return out, err
	})
}

// decoder is the function the split reader calls for every record.
func decoder[T any](d Deserializer[T]) func(*kgo.Record) (T, error) {
	if rd, ok := d.(RecordDeserializer[T]); ok {
		return rd.DeserializeRecord
	}
	return func(rec *kgo.Record) (T, error) { return d.Deserialize(rec.Value) }
}

// safeDecode calls decode, turning a panic into an error: a bad record
// must not kill the process from a fetcher goroutine.
func safeDecode[T any](decode func(*kgo.Record) (T, error), rec *kgo.Record) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the deserializer panicked: %v", p)
		}
	}()
	return decode(rec)
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// BadRecord is a record the deserializer rejected, as
// Source.SideOutputBadRecords emits it: the raw record and the error.
type BadRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the record's timestamp in Unix milliseconds.
	Timestamp int64
	Key       []byte
	Value     []byte
	Headers   []Header
	// Error is the deserializer's error message.
	Error string
}

func newBadRecord(rec *kgo.Record, err error) BadRecord {
	b := BadRecord{
		Topic:     rec.Topic,
		Partition: rec.Partition,
		Offset:    rec.Offset,
		Timestamp: rec.Timestamp.UnixMilli(),
		Key:       rec.Key,
		Value:     rec.Value,
		Error:     err.Error(),
	}
	if len(rec.Headers) > 0 {
		b.Headers = make([]Header, len(rec.Headers))
		for i, h := range rec.Headers {
			b.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return b
}
