package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ErrCorrupt is wrapped by every error the binary codec returns for input it
// cannot decode: truncated, damaged, written for another type or with
// trailing bytes.
var ErrCorrupt = errors.New("codec: corrupt data")

// ErrUnsupported is wrapped by the errors of Binary for types the binary
// format cannot encode, and by every call of the codec For returns for a type
// that neither the binary format nor gob can encode.
var ErrUnsupported = errors.New("codec: unsupported type")

// errUnexported marks a struct whose unexported fields no default codec
// can carry: gob would silently drop them.
var errUnexported = errors.New("unexported field")

// CorruptError describes input the binary codec cannot decode. It wraps
// ErrCorrupt, and Err when that is set.
type CorruptError struct {
	// Type is the type the codec decodes.
	Type reflect.Type
	// Path locates the failing part inside the value, as in ".Items[3].Name"
	// (slice and array elements in brackets, map entries as {n} in encoded
	// order); empty for the value itself.
	Path string
	// Offset is the byte offset in the input where the failing part starts.
	Offset int
	// Reason says what was wrong.
	Reason string
	// Err is the error of a type's UnmarshalBinary, if that is what failed.
	Err error

	// steps collects Path innermost first while the error travels up
	// through the decoders, so a deep path costs linear time.
	steps []string
}

// Error says what was wrong, where, and in which type.
func (e *CorruptError) Error() string {
	where := ""
	if e.Path != "" {
		where = " in " + e.Path
	}
	msg := fmt.Sprintf("codec: cannot decode %v: %s at byte %d%s", e.Type, e.Reason, e.Offset, where)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + " (the bytes are damaged or were written for another type)"
}

// Unwrap returns ErrCorrupt and, when set, the UnmarshalBinary error.
func (e *CorruptError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrCorrupt, e.Err}
	}
	return []error{ErrCorrupt}
}

// corrupt reports bad input at off. The codec at the top fills in Type.
func corrupt(off int, format string, args ...any) error {
	return &CorruptError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// within records on a CorruptError from a nested decoder the step leading
// to it: a field (".Name"), an element ("[3]") or a map entry ("{3}").
func within(err error, kind byte, name string, index int) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		switch kind {
		case '.':
			ce.steps = append(ce.steps, "."+name)
		case '[':
			ce.steps = append(ce.steps, "["+strconv.Itoa(index)+"]")
		default:
			ce.steps = append(ce.steps, "{"+strconv.Itoa(index)+"}")
		}
	}
	return err
}

// decodeError finishes an error from the decoders of t for the caller.
func decodeError(t reflect.Type, err error) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		ce.Type = t
		var path strings.Builder
		for i := len(ce.steps) - 1; i >= 0; i-- {
			path.WriteString(ce.steps[i])
		}
		ce.Path, ce.steps = path.String(), nil
		return ce
	}
	return fmt.Errorf("codec: decode %v: %w", t, err)
}

// trailing reports bytes left after a complete value.
func trailing(off, n int) error {
	return corrupt(off, "%d trailing bytes after the value", n-off)
}

// truncated reports input that ends inside a value.
func truncated(off int, what string) error {
	return corrupt(off, "input ends inside %s", what)
}
