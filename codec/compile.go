package codec

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"
)

// The binary codec for a type is a tree of closures compiled once from its
// reflect.Type. They read and write values through unsafe.Pointer at offsets
// reflect reports, so encoding and decoding do not go through reflect.Value
// per value (maps and BinaryMarshaler types excepted).

// encFunc appends the encoding of the value at p to dst. depth counts the
// pointers, slices and maps above the value.
type encFunc func(dst []byte, p unsafe.Pointer, depth int) ([]byte, error)

// decFunc decodes the value starting at b[off] into the zero value at p and
// returns the offset after it.
type decFunc func(b []byte, off int, p unsafe.Pointer, depth int) (int, error)

// maxDepth bounds how many pointers, slices and maps may nest in one value,
// so a cyclic value fails to encode instead of recursing forever and a
// crafted input cannot exhaust the stack.
const maxDepth = 10000

var errTooDeep = fmt.Errorf("value nests more than %d pointers, slices or maps (is it cyclic?)", maxDepth)

// typeCodec is the compiled codec of one type. Composite codecs call their
// parts through the *typeCodec, not a copy of enc and dec, because a
// recursive type refers to itself before its closures are built.
type typeCodec struct {
	typ reflect.Type
	enc encFunc
	dec decFunc
	// min is the fewest bytes a value of typ encodes to; 0 only for types
	// that always encode to nothing (empty structs, zero-length arrays).
	min int
	// fields lists, for a struct encoded field by field, the leaf fields
	// with nested structs flattened into it, so a parent can inline them.
	fields []field
	// inline is set when fields is complete and stands for the struct.
	inline bool
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	marshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	unmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	appenderType    = reflect.TypeFor[encoding.BinaryAppender]()
)

// sliceHeader is the memory layout of every slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// compiler builds the codec of one type and everything reachable from it.
type compiler struct {
	seen map[reflect.Type]*typeCodec
	// escapes is set when some reachable type hands the value's address to
	// reflect or to user code (maps, BinaryMarshaler types); the top-level
	// value must then live on the heap.
	escapes bool
}

func compile(t reflect.Type) (tc *typeCodec, escapes bool, err error) {
	c := compiler{seen: map[reflect.Type]*typeCodec{}}
	tc, err = c.compile(t)
	return tc, c.escapes, err
}

// isMarshaler reports whether values of t encode with their own
// MarshalBinary and decode with UnmarshalBinary on a pointer.
func isMarshaler(t reflect.Type) bool {
	if t.Kind() == reflect.Interface || t.Kind() == reflect.Pointer {
		return false
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(marshalerType) && pt.Implements(unmarshalerType)
}

// minSize is the fewest bytes a value of t encodes to, for a type compile
// accepts. It follows the type, not the compiled codecs, so it is known
// for a recursive type while that is still being compiled.
func minSize(t reflect.Type) int {
	if t == timeType {
		return 2
	}
	if isMarshaler(t) {
		return 1
	}
	switch t.Kind() {
	case reflect.Float32:
		return 4
	case reflect.Float64, reflect.Complex64:
		return 8
	case reflect.Complex128:
		return 16
	case reflect.Array:
		return satMul(t.Len(), minSize(t.Elem()))
	case reflect.Struct:
		n := 0
		for i := range t.NumField() {
			if f := t.Field(i); f.Name != "_" {
				n = satAdd(n, minSize(f.Type))
			}
		}
		return n
	}
	return 1
}

func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func (c *compiler) compile(t reflect.Type) (*typeCodec, error) {
	if tc, ok := c.seen[t]; ok {
		return tc, nil
	}
	tc := &typeCodec{typ: t, min: minSize(t)}
	c.seen[t] = tc
	switch {
	case t == timeType:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return appendTime(dst, *(*time.Time)(p)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			v, next, err := readTime(b, off)
			*(*time.Time)(p) = v
			return next, err
		}
		return tc, nil
	case isMarshaler(t):
		c.escapes = true
		c.marshaler(tc)
		return tc, nil
	}
	if err := c.kind(tc); err != nil {
		return nil, err
	}
	return tc, nil
}

func (c *compiler) kind(tc *typeCodec) error {
	t := tc.typ
	switch t.Kind() {
	case reflect.Bool:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return appendBool(dst, *(*bool)(p)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			v, next, err := readBool(b, off)
			*(*bool)(p) = v
			return next, err
		}
	case reflect.Int8:
		tc.enc, tc.dec = byteEnc[int8], byteDec[int8]
	case reflect.Uint8:
		tc.enc, tc.dec = byteEnc[uint8], byteDec[uint8]
	case reflect.Int16:
		tc.enc, tc.dec = varintEnc[int16], varintDec[int16]
	case reflect.Int32:
		tc.enc, tc.dec = varintEnc[int32], varintDec[int32]
	case reflect.Int64:
		tc.enc, tc.dec = varintEnc[int64], varintDec[int64]
	case reflect.Int:
		tc.enc, tc.dec = varintEnc[int], varintDec[int]
	case reflect.Uint16:
		tc.enc, tc.dec = uvarintEnc[uint16], uvarintDec[uint16]
	case reflect.Uint32:
		tc.enc, tc.dec = uvarintEnc[uint32], uvarintDec[uint32]
	case reflect.Uint64:
		tc.enc, tc.dec = uvarintEnc[uint64], uvarintDec[uint64]
	case reflect.Uint:
		tc.enc, tc.dec = uvarintEnc[uint], uvarintDec[uint]
	case reflect.Uintptr:
		tc.enc, tc.dec = uvarintEnc[uintptr], uvarintDec[uintptr]
	case reflect.Float32:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return appendFloat32(dst, *(*float32)(p)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			v, next, err := readFloat32(b, off)
			*(*float32)(p) = v
			return next, err
		}
	case reflect.Float64:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return appendFloat64(dst, *(*float64)(p)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			v, next, err := readFloat64(b, off)
			*(*float64)(p) = v
			return next, err
		}
	case reflect.Complex64:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			v := *(*complex64)(p)
			return appendFloat32(appendFloat32(dst, real(v)), imag(v)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			re, next, err := readFloat32(b, off)
			if err != nil {
				return off, err
			}
			im, next, err := readFloat32(b, next)
			*(*complex64)(p) = complex(re, im)
			return next, err
		}
	case reflect.Complex128:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			v := *(*complex128)(p)
			return appendFloat64(appendFloat64(dst, real(v)), imag(v)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			re, next, err := readFloat64(b, off)
			if err != nil {
				return off, err
			}
			im, next, err := readFloat64(b, next)
			*(*complex128)(p) = complex(re, im)
			return next, err
		}
	case reflect.String:
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return appendString(dst, *(*string)(p)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			v, next, err := readString(b, off)
			*(*string)(p) = v
			return next, err
		}
	case reflect.Pointer:
		return c.pointer(tc)
	case reflect.Slice:
		return c.slice(tc)
	case reflect.Array:
		return c.array(tc)
	case reflect.Map:
		return c.mapType(tc)
	case reflect.Struct:
		return c.structType(tc)
	default:
		// Interfaces, channels, functions and unsafe.Pointer.
		return fmt.Errorf("%v is a %v", t, t.Kind())
	}
	return nil
}

type signed interface {
	~int | ~int16 | ~int32 | ~int64
}

type unsigned interface {
	~uint | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

func byteEnc[T ~int8 | ~uint8](dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
	return append(dst, byte(*(*T)(p))), nil
}

func byteDec[T ~int8 | ~uint8](b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
	v, next, err := readByte(b, off)
	*(*T)(p) = T(v)
	return next, err
}

func varintEnc[T signed](dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
	return binary.AppendVarint(dst, int64(*(*T)(p))), nil
}

func varintDec[T signed](b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
	v, next, err := readSigned[T](b, off)
	*(*T)(p) = v
	return next, err
}

func readSigned[T signed](b []byte, off int) (T, int, error) {
	x, next, err := readVarint(b, off)
	if err != nil {
		return 0, off, err
	}
	if int64(T(x)) != x {
		return 0, off, corrupt(off, "%d overflows %T", x, T(0))
	}
	return T(x), next, nil
}

func uvarintEnc[T unsigned](dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
	return binary.AppendUvarint(dst, uint64(*(*T)(p))), nil
}

func uvarintDec[T unsigned](b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
	v, next, err := readUnsigned[T](b, off)
	*(*T)(p) = v
	return next, err
}

func readUnsigned[T unsigned](b []byte, off int) (T, int, error) {
	x, next, err := readUvarint(b, off)
	if err != nil {
		return 0, off, err
	}
	if uint64(T(x)) != x {
		return 0, off, corrupt(off, "%d overflows %T", x, T(0))
	}
	return T(x), next, nil
}

func (c *compiler) pointer(tc *typeCodec) error {
	elem, err := c.compile(tc.typ.Elem())
	if err != nil {
		return err
	}
	et := tc.typ.Elem()
	tc.enc = func(dst []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return append(dst, 0), nil
		}
		if depth >= maxDepth {
			return dst, errTooDeep
		}
		return elem.enc(append(dst, 1), q, depth+1)
	}
	tc.dec = func(b []byte, off int, p unsafe.Pointer, depth int) (int, error) {
		if off >= len(b) {
			return off, truncated(off, "a pointer")
		}
		switch b[off] {
		case 0:
			*(*unsafe.Pointer)(p) = nil
			return off + 1, nil
		case 1:
		default:
			return off, corrupt(off, "pointer flag %#x is neither 0 nor 1", b[off])
		}
		if depth >= maxDepth {
			return off, corrupt(off, "value nests more than %d pointers, slices or maps", maxDepth)
		}
		q := reflect.New(et).UnsafePointer()
		next, err := elem.dec(b, off+1, q, depth+1)
		if err != nil {
			return off, err
		}
		*(*unsafe.Pointer)(p) = q
		return next, nil
	}
	return nil
}

// isRawBytes reports whether values of t are single bytes copied as they
// are, so slices and arrays of t can be copied in one go.
func isRawBytes(t reflect.Type) bool {
	return t.Kind() == reflect.Uint8 && !isMarshaler(t)
}

func (c *compiler) slice(tc *typeCodec) error {
	et := tc.typ.Elem()
	if isRawBytes(et) {
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return appendBytes(dst, *(*[]byte)(p)), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			v, next, err := readBytes(b, off)
			*(*[]byte)(p) = v
			return next, err
		}
		return nil
	}
	elem, err := c.compile(et)
	if err != nil {
		return err
	}
	size := et.Size()
	tc.enc = func(dst []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		h := (*sliceHeader)(p)
		if h.data == nil {
			return append(dst, 0), nil
		}
		if depth >= maxDepth {
			return dst, errTooDeep
		}
		dst = binary.AppendUvarint(dst, uint64(h.len)+1)
		if elem.min == 0 {
			return dst, nil
		}
		for i := range h.len {
			var err error
			if dst, err = elem.enc(dst, unsafe.Add(h.data, uintptr(i)*size), depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	typ := tc.typ
	tc.dec = func(b []byte, off int, p unsafe.Pointer, depth int) (int, error) {
		n, isNil, next, err := readNilLen(b, off, elem.min, "slice")
		if err != nil {
			return off, err
		}
		h := (*sliceHeader)(p)
		if isNil {
			*h = sliceHeader{}
			return next, nil
		}
		if depth >= maxDepth {
			return off, corrupt(off, "value nests more than %d pointers, slices or maps", maxDepth)
		}
		*h = sliceHeader{}
		if n == 0 {
			// A non-nil empty slice; MakeSlice gives it a non-nil data pointer.
			h.data = reflect.MakeSlice(typ, 0, 0).UnsafePointer()
			return next, nil
		}
		// Grow allocates the backing array straight into *h; the value
		// behind p never leaves this call.
		v := reflect.NewAt(typ, p).Elem()
		v.Grow(n)
		v.SetLen(n)
		if elem.min == 0 {
			return next, nil
		}
		for i := range n {
			if next, err = elem.dec(b, next, unsafe.Add(h.data, uintptr(i)*size), depth+1); err != nil {
				return off, within(err, '[', "", i)
			}
		}
		return next, nil
	}
	return nil
}

func (c *compiler) array(tc *typeCodec) error {
	et, n := tc.typ.Elem(), tc.typ.Len()
	if isRawBytes(et) {
		tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
			return append(dst, unsafe.Slice((*byte)(p), n)...), nil
		}
		tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
			if len(b)-off < n {
				return off, truncated(off, fmt.Sprintf("a %d-byte array", n))
			}
			copy(unsafe.Slice((*byte)(p), n), b[off:])
			return off + n, nil
		}
		return nil
	}
	elem, err := c.compile(et)
	if err != nil {
		return err
	}
	if n == 0 || elem.min == 0 {
		tc.enc = func(dst []byte, _ unsafe.Pointer, _ int) ([]byte, error) { return dst, nil }
		tc.dec = func(_ []byte, off int, _ unsafe.Pointer, _ int) (int, error) { return off, nil }
		return nil
	}
	size := et.Size()
	tc.enc = func(dst []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		for i := range n {
			var err error
			if dst, err = elem.enc(dst, unsafe.Add(p, uintptr(i)*size), depth); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	tc.dec = func(b []byte, off int, p unsafe.Pointer, depth int) (int, error) {
		next := off
		for i := range n {
			var err error
			if next, err = elem.dec(b, next, unsafe.Add(p, uintptr(i)*size), depth); err != nil {
				return off, within(err, '[', "", i)
			}
		}
		return next, nil
	}
	return nil
}

type field struct {
	name   string
	offset uintptr
	codec  *typeCodec
}

func (c *compiler) structType(tc *typeCodec) error {
	t := tc.typ
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			continue // blank fields hold nothing a program can read
		}
		if !f.IsExported() {
			return fmt.Errorf("%w: field %s of %v is unexported (export it, or implement encoding.BinaryMarshaler and BinaryUnmarshaler)", errUnexported, f.Name, t)
		}
		fc, err := c.compile(f.Type)
		if err != nil {
			return fmt.Errorf("field %s of %v: %w", f.Name, t, err)
		}
		if minSize(f.Type) == 0 {
			continue // always encodes to nothing
		}
		if fc.inline {
			// One flat loop instead of a call per nesting level.
			for _, sf := range fc.fields {
				fields = append(fields, field{name: f.Name + "." + sf.name, offset: f.Offset + sf.offset, codec: sf.codec})
			}
			continue
		}
		fields = append(fields, field{name: f.Name, offset: f.Offset, codec: fc})
	}
	tc.fields, tc.inline = fields, true
	tc.enc = func(dst []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		for i := range fields {
			var err error
			if dst, err = fields[i].codec.enc(dst, unsafe.Add(p, fields[i].offset), depth); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	tc.dec = func(b []byte, off int, p unsafe.Pointer, depth int) (int, error) {
		next := off
		for i := range fields {
			var err error
			if next, err = fields[i].codec.dec(b, next, unsafe.Add(p, fields[i].offset), depth); err != nil {
				return off, within(err, '.', fields[i].name, 0)
			}
		}
		return next, nil
	}
	return nil
}

// mapScratch holds the entries of one map while they are sorted.
type mapScratch struct {
	buf     []byte
	entries []mapEntry
}

// mapEntry locates one encoded entry in mapScratch.buf: the key is
// buf[start:mid], the value buf[mid:end].
type mapEntry struct{ start, mid, end int }

var mapScratchPool = sync.Pool{New: func() any { return new(mapScratch) }}

func (c *compiler) mapType(tc *typeCodec) error {
	c.escapes = true
	t := tc.typ
	key, err := c.compile(t.Key())
	if err != nil {
		return fmt.Errorf("key of %v: %w", t, err)
	}
	val, err := c.compile(t.Elem())
	if err != nil {
		return fmt.Errorf("value of %v: %w", t, err)
	}
	tc.enc = func(dst []byte, p unsafe.Pointer, depth int) ([]byte, error) {
		m := reflect.NewAt(t, p).Elem()
		if m.IsNil() {
			return append(dst, 0), nil
		}
		if depth >= maxDepth {
			return dst, errTooDeep
		}
		dst = binary.AppendUvarint(dst, uint64(m.Len())+1)
		if m.Len() == 0 {
			return dst, nil
		}
		s := mapScratchPool.Get().(*mapScratch)
		defer func() {
			s.buf, s.entries = s.buf[:0], s.entries[:0]
			mapScratchPool.Put(s)
		}()
		k, v := reflect.New(t.Key()), reflect.New(t.Elem())
		for it := m.MapRange(); it.Next(); {
			k.Elem().SetIterKey(it)
			v.Elem().SetIterValue(it)
			e := mapEntry{start: len(s.buf)}
			var err error
			if s.buf, err = key.enc(s.buf, k.UnsafePointer(), depth+1); err != nil {
				return dst, err
			}
			e.mid = len(s.buf)
			if s.buf, err = val.enc(s.buf, v.UnsafePointer(), depth+1); err != nil {
				return dst, err
			}
			e.end = len(s.buf)
			s.entries = append(s.entries, e)
		}
		// Sorting by encoded key makes equal maps encode equally whatever
		// their iteration order; values break ties between keys that
		// encode alike but are distinct in the map (NaNs).
		buf := s.buf
		slices.SortFunc(s.entries, func(a, b mapEntry) int {
			if c := bytes.Compare(buf[a.start:a.mid], buf[b.start:b.mid]); c != 0 {
				return c
			}
			return bytes.Compare(buf[a.mid:a.end], buf[b.mid:b.end])
		})
		for _, e := range s.entries {
			dst = append(dst, buf[e.start:e.end]...)
		}
		return dst, nil
	}
	tc.dec = func(b []byte, off int, p unsafe.Pointer, depth int) (int, error) {
		n, isNil, next, err := readNilLen(b, off, satAdd(key.min, val.min), "map")
		if err != nil {
			return off, err
		}
		m := reflect.NewAt(t, p).Elem()
		if isNil {
			m.SetZero()
			return next, nil
		}
		if depth >= maxDepth {
			return off, corrupt(off, "value nests more than %d pointers, slices or maps", maxDepth)
		}
		// The length was checked against the input left only when entries
		// take bytes; cap the size hint by the input either way.
		m.Set(reflect.MakeMapWithSize(t, min(n, len(b)-next)))
		k, v := reflect.New(t.Key()), reflect.New(t.Elem())
		var prevKey, prevVal []byte
		for i := range n {
			k.Elem().SetZero()
			v.Elem().SetZero()
			start := next
			if next, err = key.dec(b, next, k.UnsafePointer(), depth+1); err != nil {
				return off, within(err, '{', "", i)
			}
			mid := next
			if next, err = val.dec(b, next, v.UnsafePointer(), depth+1); err != nil {
				return off, within(err, '{', "", i)
			}
			// Only the canonical order is accepted, so decoding then
			// encoding gives back the input.
			if i > 0 {
				c := bytes.Compare(prevKey, b[start:mid])
				if c == 0 {
					c = bytes.Compare(prevVal, b[mid:next])
				}
				if c > 0 {
					return off, within(corrupt(start, "map entries out of order"), '{', "", i)
				}
			}
			prevKey, prevVal = b[start:mid], b[mid:next]
			m.SetMapIndex(k.Elem(), v.Elem())
			if m.Len() != i+1 {
				return off, within(corrupt(start, "duplicate map key"), '{', "", i)
			}
		}
		return next, nil
	}
	return nil
}

func (c *compiler) marshaler(tc *typeCodec) {
	t := tc.typ
	appends := reflect.PointerTo(t).Implements(appenderType)
	tc.enc = func(dst []byte, p unsafe.Pointer, _ int) ([]byte, error) {
		v := reflect.NewAt(t, p).Interface()
		if !appends {
			data, err := v.(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				return dst, fmt.Errorf("MarshalBinary of %v: %w", t, err)
			}
			dst = binary.AppendUvarint(dst, uint64(len(data)))
			return append(dst, data...), nil
		}
		// Append in place, then slide the data up to make room for its
		// length prefix.
		start := len(dst)
		dst, err := v.(encoding.BinaryAppender).AppendBinary(dst)
		if err != nil {
			return dst[:start], fmt.Errorf("AppendBinary of %v: %w", t, err)
		}
		n := len(dst) - start
		var prefix [binary.MaxVarintLen64]byte
		w := binary.PutUvarint(prefix[:], uint64(n))
		dst = append(dst, prefix[:w]...)
		copy(dst[start+w:], dst[start:start+n])
		copy(dst[start:], prefix[:w])
		return dst, nil
	}
	tc.dec = func(b []byte, off int, p unsafe.Pointer, _ int) (int, error) {
		n, next, err := readLen(b, off, 1, t.String())
		if err != nil {
			return off, err
		}
		u := reflect.NewAt(t, p).Interface().(encoding.BinaryUnmarshaler)
		// The full slice expression keeps UnmarshalBinary from appending
		// into the rest of the input.
		if err := u.UnmarshalBinary(b[next : next+n : next+n]); err != nil {
			return off, &CorruptError{Offset: off, Reason: "UnmarshalBinary failed", Err: err}
		}
		return next + n, nil
	}
}
