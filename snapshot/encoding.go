package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every decoding error: the bytes are not what
// the writer produced (truncated, or damaged in storage).
var ErrCorrupt = errors.New("snapshot: corrupt state data")

// Encoder appends primitives to a byte slice. The zero value is ready.
type Encoder struct{ buf []byte }

// Uvarint appends v as an unsigned varint.
func (e *Encoder) Uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Varint appends v as a zig-zag varint.
func (e *Encoder) Varint(v int64) { e.buf = binary.AppendVarint(e.buf, v) }

// Bytes appends b with its length.
func (e *Encoder) Bytes(b []byte) {
	e.Uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// String appends s with its length.
func (e *Encoder) String(s string) {
	e.Uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Raw appends b as is.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// Data returns the bytes appended so far; they stay valid until Reset.
func (e *Encoder) Data() []byte { return e.buf }

// Len is the number of bytes appended so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the encoder, keeping its capacity.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// Decoder reads what an Encoder wrote. The first error sticks: later reads
// return zero values, and Err reports it.
type Decoder struct {
	b   []byte
	off int
	err error
}

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

func (d *Decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d of %d", ErrCorrupt, what, d.off, len(d.b))
	}
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zig-zag varint.
func (d *Decoder) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// Bytes reads a length-prefixed byte string. The result aliases the
// decoder's input.
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(fmt.Sprintf("length %d beyond the end", n))
		return nil
	}
	b := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return b
}

// String reads a length-prefixed string.
func (d *Decoder) String() string { return string(d.Bytes()) }

// Len is the number of bytes not read yet.
func (d *Decoder) Len() int { return len(d.b) - d.off }

// Err is the first decoding error, wrapping ErrCorrupt.
func (d *Decoder) Err() error { return d.err }
