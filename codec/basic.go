package codec

import (
	"encoding/binary"
	"reflect"
	"time"
)

// Specialised codecs for the basic types, so For[string], For[int64] and
// the like encode and decode without reflection. Each writes exactly the
// bytes the compiled codec writes for a named type of the same kind.

// basicCodec returns the specialised codec of T, if it has one.
func basicCodec[T any]() (Codec[T], bool) {
	var c any
	switch any(*new(T)).(type) {
	case bool:
		c = boolCodec{}
	case string:
		c = stringCodec{}
	case []byte:
		c = bytesCodec{}
	case int8:
		c = byteCodec[int8]{}
	case uint8:
		c = byteCodec[uint8]{}
	case int:
		c = varintCodec[int]{}
	case int16:
		c = varintCodec[int16]{}
	case int32:
		c = varintCodec[int32]{}
	case int64:
		c = varintCodec[int64]{}
	case time.Duration:
		c = varintCodec[time.Duration]{}
	case uint:
		c = uvarintCodec[uint]{}
	case uint16:
		c = uvarintCodec[uint16]{}
	case uint32:
		c = uvarintCodec[uint32]{}
	case uint64:
		c = uvarintCodec[uint64]{}
	case uintptr:
		c = uvarintCodec[uintptr]{}
	case float32:
		c = float32Codec{}
	case float64:
		c = float64Codec{}
	case time.Time:
		c = timeCodec{}
	default:
		return nil, false
	}
	cc, ok := c.(Codec[T])
	return cc, ok
}

// finish checks that a basic decoder consumed all of b.
func finish[T any](v T, off int, b []byte, err error) (T, error) {
	if err == nil && off != len(b) {
		err = trailing(off, len(b))
	}
	if err != nil {
		var zero T
		return zero, decodeError(reflect.TypeFor[T](), err)
	}
	return v, nil
}

type boolCodec struct{}

func (boolCodec) AppendEncode(dst []byte, v bool) ([]byte, error) { return appendBool(dst, v), nil }
func (boolCodec) Encode(v bool) ([]byte, error)                   { return appendBool(make([]byte, 0, 1), v), nil }
func (boolCodec) Decode(b []byte) (bool, error) {
	v, off, err := readBool(b, 0)
	return finish(v, off, b, err)
}

type stringCodec struct{}

func (stringCodec) AppendEncode(dst []byte, v string) ([]byte, error) {
	return appendString(dst, v), nil
}

func (stringCodec) Encode(v string) ([]byte, error) {
	return appendString(make([]byte, 0, binary.MaxVarintLen64+len(v)), v), nil
}

func (stringCodec) Decode(b []byte) (string, error) {
	v, off, err := readString(b, 0)
	return finish(v, off, b, err)
}

type bytesCodec struct{}

func (bytesCodec) AppendEncode(dst []byte, v []byte) ([]byte, error) {
	return appendBytes(dst, v), nil
}

func (bytesCodec) Encode(v []byte) ([]byte, error) {
	return appendBytes(make([]byte, 0, binary.MaxVarintLen64+len(v)), v), nil
}

func (bytesCodec) Decode(b []byte) ([]byte, error) {
	v, off, err := readBytes(b, 0)
	return finish(v, off, b, err)
}

type byteCodec[T int8 | uint8] struct{}

func (byteCodec[T]) AppendEncode(dst []byte, v T) ([]byte, error) { return append(dst, byte(v)), nil }
func (byteCodec[T]) Encode(v T) ([]byte, error)                   { return []byte{byte(v)}, nil }
func (byteCodec[T]) Decode(b []byte) (T, error) {
	v, off, err := readByte(b, 0)
	return finish(T(v), off, b, err)
}

type varintCodec[T signed] struct{}

func (varintCodec[T]) AppendEncode(dst []byte, v T) ([]byte, error) {
	return binary.AppendVarint(dst, int64(v)), nil
}

func (varintCodec[T]) Encode(v T) ([]byte, error) {
	return binary.AppendVarint(make([]byte, 0, binary.MaxVarintLen64), int64(v)), nil
}

func (varintCodec[T]) Decode(b []byte) (T, error) {
	v, off, err := readSigned[T](b, 0)
	return finish(v, off, b, err)
}

type uvarintCodec[T unsigned] struct{}

func (uvarintCodec[T]) AppendEncode(dst []byte, v T) ([]byte, error) {
	return binary.AppendUvarint(dst, uint64(v)), nil
}

func (uvarintCodec[T]) Encode(v T) ([]byte, error) {
	return binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64), uint64(v)), nil
}

func (uvarintCodec[T]) Decode(b []byte) (T, error) {
	v, off, err := readUnsigned[T](b, 0)
	return finish(v, off, b, err)
}

type float32Codec struct{}

func (float32Codec) AppendEncode(dst []byte, v float32) ([]byte, error) {
	return appendFloat32(dst, v), nil
}

func (float32Codec) Encode(v float32) ([]byte, error) {
	return appendFloat32(make([]byte, 0, 4), v), nil
}

func (float32Codec) Decode(b []byte) (float32, error) {
	v, off, err := readFloat32(b, 0)
	return finish(v, off, b, err)
}

type float64Codec struct{}

func (float64Codec) AppendEncode(dst []byte, v float64) ([]byte, error) {
	return appendFloat64(dst, v), nil
}

func (float64Codec) Encode(v float64) ([]byte, error) {
	return appendFloat64(make([]byte, 0, 8), v), nil
}

func (float64Codec) Decode(b []byte) (float64, error) {
	v, off, err := readFloat64(b, 0)
	return finish(v, off, b, err)
}

type timeCodec struct{}

func (timeCodec) AppendEncode(dst []byte, v time.Time) ([]byte, error) {
	return appendTime(dst, v), nil
}

func (timeCodec) Encode(v time.Time) ([]byte, error) {
	return appendTime(make([]byte, 0, 3*binary.MaxVarintLen64), v), nil
}

func (timeCodec) Decode(b []byte) (time.Time, error) {
	v, off, err := readTime(b, 0)
	return finish(v, off, b, err)
}
