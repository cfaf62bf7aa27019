// Package codec turns typed values into bytes and back: for records crossing
// process boundaries, for source splits and enumerator state sent to the
// JobManager, and for keys, namespaces and values of state in checkpoints
// and savepoints.
//
// A Codec[T] encodes and decodes values of T. JSON and Gob are the
// general-purpose codecs; For[T] picks the default for T, which for almost
// every state and record type is the binary codec described below. Any
// adapts a codec to values held as any, for runtime parts that do not know
// the type. AppendEncoder (and Append for any codec) encodes into a
// caller's buffer, so encoding many values allocates nothing per value.
//
// # Which codec For chooses
//
// For[T] decides once per type and caches the decision.
//
// The binary codec handles: bool; every int and uint kind, uintptr;
// float32, float64, complex64, complex128; string; slices, arrays and
// maps of handled types; structs whose fields (other than blank "_"
// fields) are all exported and handled; pointers to handled types;
// time.Time and time.Duration; named types of all of these; and any type
// whose pointer implements both encoding.BinaryMarshaler and
// encoding.BinaryUnmarshaler, whatever its fields. Empty structs and
// zero-length arrays encode to nothing. bool, string, []byte, the int,
// uint and float kinds (unnamed), time.Time and time.Duration have
// specialised codecs that use no reflection at all; other types run a
// tree of closures compiled once from the type.
//
// Gob[T] is the fallback for types the binary format cannot encode but
// gob can: interface types and values holding interfaces (the concrete
// types must be registered with gob.Register), structs with unexported
// fields (gob silently drops those fields, so they do not survive a
// checkpoint: export them or implement encoding.BinaryMarshaler), and
// struct fields of channel or function type (dropped by gob likewise).
//
// Anything else (channels, functions, unsafe.Pointer, structs without any
// exported field, or composites holding them where gob does not drop them)
// gets a codec whose every call fails with an error wrapping
// ErrUnsupported. Binary[T] returns the binary codec or the reason T does
// not qualify, for code that wants to insist on the binary format.
//
// # The binary format, version 1
//
// The format is part of the checkpoint and savepoint format: FormatVersion
// names it, and any change to the rules below must raise it. An encoded
// value carries no header, type information or field names; the reader
// must know the type. Decoding accepts exactly the bytes the encoder
// writes (canonical form), so for any input that decodes, encoding the
// result gives the input back; encoding the same value always gives the
// same bytes.
//
//   - bool: one byte, 0 or 1.
//   - int8, uint8: one byte (two's complement for int8).
//   - int, int16, int32, int64 (so time.Duration): zig-zag varint as
//     encoding/binary.AppendVarint writes it; -64..63 take one byte.
//   - uint, uint16, uint32, uint64, uintptr: unsigned LEB128 varint as
//     encoding/binary.AppendUvarint writes it. int and uint are 64 bits on
//     the wire on every platform. Decoding rejects overlong varints and
//     values that overflow the type.
//   - float32, float64: the IEEE 754 bits, 4 or 8 bytes little-endian (NaN
//     payloads and the sign of zero kept). complex64, complex128: the real
//     part, then the imaginary part.
//   - string: uvarint byte length, then the bytes (not checked for UTF-8).
//   - slice: uvarint 0 for a nil slice, n+1 for n elements, then the
//     elements; for byte-kind elements the bytes as they are.
//   - array: the elements, without a length.
//   - map: uvarint 0 for a nil map, n+1 for n entries, then n key/value
//     pairs in ascending order of the encoded key bytes (pairs whose keys
//     encode alike, distinct NaNs, by the encoded value bytes). Decoding
//     rejects any other order and duplicate keys.
//   - struct: the fields in declaration order, without names; blank fields
//     and zero-size fields take no bytes. Adding, removing, reordering or
//     retyping a field of a state type makes old checkpoints undecodable
//     for it.
//   - pointer: one byte 0 for nil, or 1 followed by the value pointed to.
//     Pointers that share a target are written once each and decode as
//     separate values.
//   - time.Time: zig-zag varint of the Unix seconds, then uvarint of
//     nanoseconds<<1 | z; z = 0 means UTC, z = 1 is followed by a zig-zag
//     varint of the zone offset in seconds east of UTC. The zone name and
//     the monotonic clock reading are not kept (as with
//     time.Time.MarshalBinary); an offset equal to the local zone's at that
//     instant decodes as time.Local, any other as an unnamed fixed zone.
//   - a type whose pointer implements encoding.BinaryMarshaler and
//     encoding.BinaryUnmarshaler (time.Time aside): uvarint length, then
//     what MarshalBinary (or AppendBinary, when implemented) returns; the
//     methods take precedence over the type's structure.
//
// A value may nest at most 10000 pointers, slices and maps (a deeper or
// cyclic value fails to encode), and decoding stops at the same depth.
//
// # Errors and bad input
//
// Decoding never panics on bad input and never allocates more than the
// input justifies: every length is checked against the bytes left before
// anything is allocated. A Decode of damaged, truncated or foreign bytes,
// or of bytes followed by trailing ones, returns a *CorruptError that
// wraps ErrCorrupt and names the type, the byte offset and the path inside
// the value where decoding failed.
package codec
