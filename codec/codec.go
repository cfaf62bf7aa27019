package codec

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
)

// Codec encodes and decodes values of T. Implementations must be
// deterministic for equal values and safe for concurrent use.
type Codec[T any] interface {
	Encode(v T) ([]byte, error)
	Decode(b []byte) (T, error)
}

// AppendEncoder is implemented by codecs that can append an encoding to a
// caller's buffer, so a caller encoding many values reuses one buffer
// instead of allocating per value. The binary codecs (For, Binary)
// implement it. AppendEncode returns dst unchanged with an error.
type AppendEncoder[T any] interface {
	AppendEncode(dst []byte, v T) ([]byte, error)
}

// Append appends the encoding of v by c to dst: through AppendEncode when c
// implements AppendEncoder, else by appending the result of Encode.
func Append[T any](c Codec[T], dst []byte, v T) ([]byte, error) {
	if a, ok := c.(AppendEncoder[T]); ok {
		return a.AppendEncode(dst, v)
	}
	b, err := c.Encode(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// JSON is a Codec using encoding/json: portable and readable, for splits and
// small state.
type JSON[T any] struct{}

// Encode implements Codec.
func (JSON[T]) Encode(v T) ([]byte, error) { return json.Marshal(v) }

// Decode implements Codec.
func (JSON[T]) Decode(b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("codec: decode %T from JSON: %w", v, err)
	}
	return v, nil
}

// Gob is a Codec using encoding/gob, for Go types JSON cannot round-trip.
type Gob[T any] struct{}

// Encode implements Codec.
func (Gob[T]) Encode(v T) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&v); err != nil {
		return nil, fmt.Errorf("codec: encode %T with gob: %w", v, err)
	}
	return buf.Bytes(), nil
}

// Decode implements Codec.
func (Gob[T]) Decode(b []byte) (T, error) {
	var v T
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
		return v, fmt.Errorf("codec: decode %T with gob: %w", v, err)
	}
	return v, nil
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
