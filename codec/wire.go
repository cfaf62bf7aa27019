package codec

import (
	"encoding/binary"
	"math"
	"time"
)

// The primitives of the binary format (see doc.go). Every read checks the
// remaining input first and returns the offset after what it read; no read
// trusts a length before comparing it with the bytes left.

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func readBool(b []byte, off int) (bool, int, error) {
	if off >= len(b) {
		return false, off, truncated(off, "a bool")
	}
	switch b[off] {
	case 0:
		return false, off + 1, nil
	case 1:
		return true, off + 1, nil
	}
	return false, off, corrupt(off, "bool byte %#x is neither 0 nor 1", b[off])
}

func readByte(b []byte, off int) (byte, int, error) {
	if off >= len(b) {
		return 0, off, truncated(off, "a byte")
	}
	return b[off], off + 1, nil
}

// readUvarint reads a LEB128 varint and rejects overlong forms, so every
// value has exactly one encoding.
func readUvarint(b []byte, off int) (uint64, int, error) {
	if off < len(b) && b[off] < 0x80 {
		return uint64(b[off]), off + 1, nil
	}
	var x uint64
	var s uint
	for i := range binary.MaxVarintLen64 {
		if off+i >= len(b) {
			return 0, off, truncated(off, "a varint")
		}
		c := b[off+i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, off, corrupt(off, "varint overflows 64 bits")
			}
			if c == 0 {
				return 0, off, corrupt(off, "varint has a redundant trailing zero byte")
			}
			return x | uint64(c)<<s, off + i + 1, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, off, corrupt(off, "varint overflows 64 bits")
}

// readVarint reads a zig-zag varint as binary.AppendVarint writes it.
func readVarint(b []byte, off int) (int64, int, error) {
	ux, next, err := readUvarint(b, off)
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, next, err
}

// readLen reads a length prefix and checks that count items of at least
// min bytes each fit in the input left, so a damaged prefix cannot make the
// decoder allocate more than the input justifies.
func readLen(b []byte, off int, min int, what string) (int, int, error) {
	n, next, err := readUvarint(b, off)
	if err != nil {
		return 0, off, err
	}
	if n > math.MaxInt {
		return 0, off, corrupt(off, "%s length %d overflows int", what, n)
	}
	if min > 0 && n > uint64((len(b)-next)/min) {
		return 0, off, corrupt(off, "%s length %d exceeds the %d bytes left", what, n, len(b)-next)
	}
	return int(n), next, nil
}

// readNilLen reads the length of a slice or map, written as 0 for nil and
// n+1 for n items.
func readNilLen(b []byte, off int, min int, what string) (n int, isNil bool, next int, err error) {
	u, next, err := readUvarint(b, off)
	if err != nil {
		return 0, false, off, err
	}
	if u == 0 {
		return 0, true, next, nil
	}
	u--
	if u > math.MaxInt {
		return 0, false, off, corrupt(off, "%s length %d overflows int", what, u)
	}
	if min > 0 && u > uint64((len(b)-next)/min) {
		return 0, false, off, corrupt(off, "%s length %d exceeds the %d bytes left", what, u, len(b)-next)
	}
	return int(u), false, next, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func readString(b []byte, off int) (string, int, error) {
	n, next, err := readLen(b, off, 1, "string")
	if err != nil {
		return "", off, err
	}
	return string(b[next : next+n]), next + n, nil
}

func appendBytes(dst []byte, v []byte) []byte {
	if v == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(v))+1)
	return append(dst, v...)
}

func readBytes(b []byte, off int) ([]byte, int, error) {
	n, isNil, next, err := readNilLen(b, off, 1, "byte slice")
	if err != nil || isNil {
		return nil, next, err
	}
	v := make([]byte, n)
	copy(v, b[next:])
	return v, next + n, nil
}

func appendFloat32(dst []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
}

func readFloat32(b []byte, off int) (float32, int, error) {
	if len(b)-off < 4 {
		return 0, off, truncated(off, "a float32")
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b[off:])), off + 4, nil
}

func appendFloat64(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

func readFloat64(b []byte, off int) (float64, int, error) {
	if len(b)-off < 8 {
		return 0, off, truncated(off, "a float64")
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[off:])), off + 8, nil
}

// appendTime writes the instant (Unix seconds and nanoseconds) and the zone
// offset; the zone name and the monotonic reading are dropped, as
// time.Time.MarshalBinary does.
func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	ns := uint64(t.Nanosecond()) << 1
	if t.Location() == time.UTC {
		return binary.AppendUvarint(dst, ns)
	}
	_, offset := t.Zone()
	dst = binary.AppendUvarint(dst, ns|1)
	return binary.AppendVarint(dst, int64(offset))
}

func readTime(b []byte, off int) (time.Time, int, error) {
	sec, next, err := readVarint(b, off)
	if err != nil {
		return time.Time{}, off, err
	}
	ns, next, err := readUvarint(b, next)
	if err != nil {
		return time.Time{}, off, err
	}
	if ns>>1 >= 1e9 {
		return time.Time{}, off, corrupt(off, "time nanoseconds %d out of range", ns>>1)
	}
	t := time.Unix(sec, int64(ns>>1))
	if ns&1 == 0 {
		return t.UTC(), next, nil
	}
	offset, next, err := readVarint(b, next)
	if err != nil {
		return time.Time{}, off, err
	}
	if offset < math.MinInt32 || offset > math.MaxInt32 {
		return time.Time{}, off, corrupt(off, "time zone offset %d out of range", offset)
	}
	// Like time.Time.UnmarshalBinary: an offset matching the local zone at
	// that instant decodes as Local, any other as an unnamed fixed zone.
	if _, local := t.Zone(); local == int(offset) {
		return t, next, nil
	}
	return t.In(time.FixedZone("", int(offset))), next, nil
}
