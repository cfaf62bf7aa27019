package keygroup

import (
	"fmt"
	"math/bits"
	"reflect"
)

// UpperBoundMaxParallelism is the largest supported maximum parallelism (Flink's 1<<15).
const UpperBoundMaxParallelism = 1 << 15

// DefaultLowerBoundMaxParallelism is the smallest derived maximum parallelism.
const DefaultLowerBoundMaxParallelism = 128

// DefaultMaxParallelism derives the maximum parallelism for an operator that
// did not set one, as Flink does: 1.5 × parallelism rounded up to a power of
// two, clamped to [128, 32768].
func DefaultMaxParallelism(parallelism int) int {
	n := parallelism + parallelism/2
	p := 1
	if n > 1 {
		p = 1 << bits.Len(uint(n-1))
	}
	return min(max(p, DefaultLowerBoundMaxParallelism), UpperBoundMaxParallelism)
}

// Murmur scrambles a 32-bit hash code exactly as Flink's MathUtils.murmurHash
// and returns a non-negative value.
func Murmur(code int32) int32 {
	c := uint32(code)
	c *= 0xcc9e2d51
	c = bits.RotateLeft32(c, 15)
	c *= 0x1b873593
	c = bits.RotateLeft32(c, 13)
	c = c*5 + 0xe6546b64
	c ^= 4
	c ^= c >> 16
	c *= 0x85ebca6b
	c ^= c >> 13
	c *= 0xc2b2ae35
	c ^= c >> 16
	v := int32(c)
	switch {
	case v >= 0:
		return v
	case v != -1<<31:
		return -v
	default:
		return 0
	}
}

// ForHash returns the key group of a key with the given hash code.
func ForHash(hashCode int32, maxParallelism int) int {
	return int(Murmur(hashCode)) % maxParallelism
}

// Of returns the key group of key.
func Of(key any, maxParallelism int) int {
	return ForHash(HashCode(key), maxParallelism)
}

// OperatorIndex returns the subtask that owns a key group.
func OperatorIndex(keyGroup, maxParallelism, parallelism int) int {
	return keyGroup * parallelism / maxParallelism
}

// Range is an inclusive range of key groups [Start, End] owned by one subtask.
type Range struct{ Start, End int }

// RangeFor returns the key groups owned by subtask index of parallelism.
func RangeFor(maxParallelism, parallelism, index int) Range {
	return Range{
		Start: (index*maxParallelism + parallelism - 1) / parallelism,
		End:   ((index+1)*maxParallelism - 1) / parallelism,
	}
}

// Contains reports whether kg lies in r.
func (r Range) Contains(kg int) bool { return kg >= r.Start && kg <= r.End }

// Len is the number of key groups in r.
func (r Range) Len() int { return r.End - r.Start + 1 }

// Hasher lets a key type supply its own stable hash code. Hash codes must be
// equal for equal keys and stable across processes (never use maphash).
type Hasher interface{ HashCode() int32 }

// HashCode returns a process-independent hash code for key. Strings and
// integers (also named types of those kinds) hash as Java does; a key that
// implements Hasher uses its own code; other types fall back to their
// String method or fmt representation (slow, but stable). HasherFor agrees
// with it for every type.
func HashCode(key any) int32 {
	switch k := key.(type) {
	case string:
		return StringHash(k)
	case int:
		return int64Hash(int64(k))
	case int64:
		return int64Hash(k)
	case int32:
		return k
	case bool:
		return boolHash(k)
	case []byte:
		return bytesHash(k)
	case Hasher:
		return k.HashCode()
	}
	v := reflect.ValueOf(key)
	switch v.Kind() {
	case reflect.String:
		return StringHash(v.String())
	case reflect.Int, reflect.Int64:
		return int64Hash(v.Int())
	case reflect.Int32, reflect.Int16, reflect.Int8:
		return int32(v.Int())
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return int64Hash(int64(v.Uint()))
	case reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return int32(uint32(v.Uint()))
	case reflect.Bool:
		return boolHash(v.Bool())
	}
	if s, ok := key.(fmt.Stringer); ok {
		return StringHash(s.String())
	}
	return StringHash(fmt.Sprintf("%#v", key))
}

// boolHash is Java's Boolean.hashCode.
func boolHash(b bool) int32 {
	if b {
		return 1231
	}
	return 1237
}

// StringHash is Java's String.hashCode over UTF-16 code units.
func StringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			h = 31*h + int32(c)
			continue
		}
		for _, r := range s[i:] {
			if r >= 0x10000 {
				r -= 0x10000
				h = 31*h + int32(0xD800+(r>>10))
				h = 31*h + int32(0xDC00+(r&0x3FF))
			} else {
				h = 31*h + int32(r)
			}
		}
		return h
	}
	return h
}

func int64Hash(v int64) int32 { return int32(v ^ int64(uint64(v)>>32)) }

func bytesHash(b []byte) int32 {
	h := int32(1)
	for _, c := range b {
		h = 31*h + int32(int8(c))
	}
	return h
}
