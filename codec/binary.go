package codec

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"
)

// binaryCodec is the binary codec of a type without a specialised codec: a
// compiled typeCodec behind the Codec[T] methods.
type binaryCodec[T any] struct {
	tc *typeCodec
	// escapes is set when the closures hand the value's address to reflect
	// or user code; the value is then copied to the heap first.
	escapes bool
}

// noescape hides p from escape analysis, so a value whose address is passed
// to the compiled closures can stay on the caller's stack. That is safe
// only because closures of a type without maps and BinaryMarshaler types
// never store the pointer anywhere; binaryCodec uses it for those types
// only. The pointer round-trips through memory typed uintptr, which escape
// analysis does not follow.
func noescape(p unsafe.Pointer) unsafe.Pointer {
	x := uintptr(p) ^ 0 //nolint:staticcheck // the xor hides the pointer from escape analysis, as the runtime's noescape does
	return *(*unsafe.Pointer)(unsafe.Pointer(&x))
}

// AppendEncode implements AppendEncoder.
func (c *binaryCodec[T]) AppendEncode(dst []byte, v T) ([]byte, error) {
	if c.escapes {
		return c.appendHeap(dst, v)
	}
	out, err := c.tc.enc(dst, noescape(unsafe.Pointer(&v)), 0)
	if err != nil {
		return dst, c.encodeError(err)
	}
	return out, nil
}

//go:noinline
func (c *binaryCodec[T]) appendHeap(dst []byte, v T) ([]byte, error) {
	out, err := c.tc.enc(dst, unsafe.Pointer(&v), 0)
	if err != nil {
		return dst, c.encodeError(err)
	}
	return out, nil
}

func (c *binaryCodec[T]) encodeError(err error) error {
	return fmt.Errorf("codec: encode %v: %w", c.tc.typ, err)
}

// encodeBuffers hold scratch space for Encode, which then copies the
// result into one allocation of the exact size.
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuffer keeps a rare huge value from pinning its buffer.
const maxPooledBuffer = 64 << 10

// Encode implements Codec.
func (c *binaryCodec[T]) Encode(v T) ([]byte, error) {
	bp := encodeBuffers.Get().(*[]byte)
	b, err := c.AppendEncode((*bp)[:0], v)
	var out []byte
	if err == nil {
		out = make([]byte, len(b))
		copy(out, b)
	}
	if cap(b) <= maxPooledBuffer {
		*bp = b
		encodeBuffers.Put(bp)
	}
	return out, err
}

// Decode implements Codec.
func (c *binaryCodec[T]) Decode(b []byte) (T, error) {
	if c.escapes {
		return c.decodeHeap(b)
	}
	var v T
	off, err := c.tc.dec(b, 0, noescape(unsafe.Pointer(&v)), 0)
	if err == nil && off != len(b) {
		err = trailing(off, len(b))
	}
	if err != nil {
		var zero T
		return zero, decodeError(c.tc.typ, err)
	}
	return v, nil
}

//go:noinline
func (c *binaryCodec[T]) decodeHeap(b []byte) (T, error) {
	v := new(T)
	off, err := c.tc.dec(b, 0, unsafe.Pointer(v), 0)
	if err == nil && off != len(b) {
		err = trailing(off, len(b))
	}
	if err != nil {
		var zero T
		return zero, decodeError(c.tc.typ, err)
	}
	return *v, nil
}

// newBinary builds the binary codec of T: a specialised one for the basic
// types, else one compiled from T's structure.
func newBinary[T any]() (Codec[T], error) {
	if c, ok := basicCodec[T](); ok {
		return c, nil
	}
	t := reflect.TypeFor[T]()
	tc, escapes, err := compile(t)
	if err != nil {
		return nil, fmt.Errorf("codec: the binary format cannot encode %v: %w: %w", t, err, ErrUnsupported)
	}
	return &binaryCodec[T]{tc: tc, escapes: escapes}, nil
}

// FormatVersion is the version of the binary format described in the
// package documentation. Checkpoints record it so a reader can refuse
// state written in a format it does not know.
const FormatVersion = 1
