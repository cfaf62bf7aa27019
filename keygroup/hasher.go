package keygroup

import (
	"reflect"
	"unsafe"
)

// HasherFor returns a hash-code function for key type K that does not box
// the key: string and integer kinds (including named types such as
// `type Word string`) hash without allocation on the per-record path; other
// types go through HashCode. A key type implementing Hasher always uses its
// own HashCode, as HashCode does.
func HasherFor[K comparable]() func(K) int32 {
	t := reflect.TypeFor[K]()
	if t.Implements(reflect.TypeFor[Hasher]()) {
		return func(k K) int32 { return any(k).(Hasher).HashCode() }
	}
	switch t.Kind() {
	case reflect.String:
		return func(k K) int32 { return StringHash(*(*string)(unsafe.Pointer(&k))) }
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return func(k K) int32 { return int64Hash(*(*int64)(unsafe.Pointer(&k))) }
	case reflect.Int32, reflect.Uint32:
		return func(k K) int32 { return *(*int32)(unsafe.Pointer(&k)) }
	case reflect.Bool:
		return func(k K) int32 { return boolHash(*(*bool)(unsafe.Pointer(&k))) }
	case reflect.Int16:
		return func(k K) int32 { return int32(*(*int16)(unsafe.Pointer(&k))) }
	case reflect.Uint16:
		return func(k K) int32 { return int32(*(*uint16)(unsafe.Pointer(&k))) }
	case reflect.Int8:
		return func(k K) int32 { return int32(*(*int8)(unsafe.Pointer(&k))) }
	case reflect.Uint8:
		return func(k K) int32 { return int32(*(*uint8)(unsafe.Pointer(&k))) }
	}
	return func(k K) int32 { return HashCode(k) }
}
