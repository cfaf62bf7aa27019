package codec

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
)

// defaults caches the codec For chose per type (reflect.Type → Codec[T]).
var defaults sync.Map

// binaries caches the result of Binary per type (reflect.Type → binaryResult).
var binaries sync.Map

type binaryResult struct {
	codec any // Codec[T], nil when err is set
	err   error
}

// For returns the default codec for T, used for state and in-flight data
// when the user sets none. It chooses once per type and caches the choice:
//
//   - the binary codec (see Binary and the package documentation) when the
//     binary format can encode T;
//   - else Gob[T] when gob can encode T: interfaces (concrete types must be
//     registered with gob.Register) and composites holding them;
//   - else a codec whose every call returns an error wrapping
//     ErrUnsupported that says why (channels, functions, unsafe.Pointer,
//     and structs with unexported fields: gob would drop those fields
//     silently, losing data at every checkpoint, unless the type implements
//     gob.GobEncoder).
//
// For never panics. Append encodes into a caller's buffer with any of them;
// the binary codec does so without allocating.
func For[T any]() Codec[T] {
	t := reflect.TypeFor[T]()
	if c, ok := defaults.Load(t); ok {
		return c.(Codec[T])
	}
	var c Codec[T]
	_, gobEncoder := reflect.New(t).Interface().(gob.GobEncoder)
	if b, err := Binary[T](); err == nil {
		c = b
	} else if errors.Is(err, errUnexported) && !gobEncoder {
		c = unsupported[T]{err: fmt.Errorf("%w; give the type an explicit Codec (or export the field) so no data is lost", err)}
	} else if gobErr := gobCanEncode(t); gobErr == nil {
		c = Gob[T]{}
	} else {
		c = unsupported[T]{err: fmt.Errorf("%w; gob cannot encode it either (%w); give it an explicit Codec", err, gobErr)}
	}
	actual, _ := defaults.LoadOrStore(t, c)
	return actual.(Codec[T])
}

// Binary returns the binary codec of T, or an error wrapping ErrUnsupported
// that names the part of T the binary format cannot encode. Use it instead
// of For to insist on the binary format. The codec implements
// AppendEncoder.
func Binary[T any]() (Codec[T], error) {
	t := reflect.TypeFor[T]()
	r, ok := binaries.Load(t)
	if !ok {
		c, err := newBinary[T]()
		r, _ = binaries.LoadOrStore(t, binaryResult{codec: c, err: err})
	}
	res := r.(binaryResult)
	if res.err != nil {
		return nil, res.err
	}
	return res.codec.(Codec[T]), nil
}

// gobCanEncode reports whether gob accepts t, by encoding a zero value.
// Pointers are stripped first: gob flattens them, and a nil pointer would
// fail for a reason that says nothing about the type.
func gobCanEncode(t reflect.Type) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gob panicked: %v", r)
		}
	}()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return gob.NewEncoder(io.Discard).Encode(reflect.New(t).Interface())
}

// unsupported is the codec For returns for a type nothing can encode.
type unsupported[T any] struct{ err error }

func (u unsupported[T]) Encode(T) ([]byte, error) { return nil, u.err }

func (u unsupported[T]) Decode([]byte) (T, error) {
	var zero T
	return zero, u.err
}

// Any adapts c to values of static type any holding a T, for runtime
// parts that handle keys and namespaces without knowing their type. The
// adapter implements AppendEncoder, through c's AppendEncode when c has one.
func Any[T any](c Codec[T]) Codec[any] { return anyCodec[T]{c} }

type anyCodec[T any] struct{ c Codec[T] }

func (a anyCodec[T]) Encode(v any) ([]byte, error) {
	t, ok := v.(T)
	if !ok {
		var want T
		return nil, &TypeError{Got: v, Want: want}
	}
	return a.c.Encode(t)
}

func (a anyCodec[T]) AppendEncode(dst []byte, v any) ([]byte, error) {
	t, ok := v.(T)
	if !ok {
		var want T
		return dst, &TypeError{Got: v, Want: want}
	}
	return Append(a.c, dst, t)
}

func (a anyCodec[T]) Decode(b []byte) (any, error) { return a.c.Decode(b) }

// TypeError reports a value of another type than a codec handles.
type TypeError struct{ Got, Want any }

// Error names both types.
func (e *TypeError) Error() string {
	return "codec: cannot encode a " + typeName(e.Got) + " with a codec for " + typeName(e.Want)
}
