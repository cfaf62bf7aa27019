package window

import (
	"fmt"
	"slices"
	"time"

	"github.com/weirstream/weir/eventtime"
)

// TimestampedValue is a buffered window element with its event timestamp
// (eventtime.NoTimestamp when the record had none).
type TimestampedValue[T any] struct {
	Value     T
	Timestamp int64
}

// EvictorContext is what an evictor may ask the operator.
type EvictorContext interface {
	CurrentProcessingTime() int64
	CurrentWatermark() int64
}

// Evictor removes elements from a buffered window when it fires: EvictBefore
// runs before the window function sees the elements, EvictAfter after it.
// Both get the window's elements in arrival order and return the elements to
// keep, in order; they may reuse the backing array of elements. What is kept
// after EvictAfter is the window's content from then on.
type Evictor[T any, W Window] interface {
	EvictBefore(elements []TimestampedValue[T], w W, ctx EvictorContext) []TimestampedValue[T]
	EvictAfter(elements []TimestampedValue[T], w W, ctx EvictorContext) []TimestampedValue[T]
}

func evictAfter(doEvictAfter []bool) bool { return len(doEvictAfter) > 0 && doEvictAfter[0] }

// phased runs an evict function either before or after the window function.
type phased[T any, W Window] struct {
	after bool
	evict func(elements []TimestampedValue[T]) []TimestampedValue[T]
	name  string
	err   error
}

func (e phased[T, W]) validate() error { return e.err }

func (e phased[T, W]) EvictBefore(elements []TimestampedValue[T], _ W, _ EvictorContext) []TimestampedValue[T] {
	if e.after {
		return elements
	}
	return e.evict(elements)
}

func (e phased[T, W]) EvictAfter(elements []TimestampedValue[T], _ W, _ EvictorContext) []TimestampedValue[T] {
	if !e.after {
		return elements
	}
	return e.evict(elements)
}

func (e phased[T, W]) String() string { return e.name }

// CountEvictor keeps at most max elements, dropping the oldest (earliest
// arrived). It evicts before the window function, or after it when
// doEvictAfter is true.
func CountEvictor[T any, W Window](max int, doEvictAfter ...bool) Evictor[T, W] {
	var err error
	if max < 0 {
		err = fmt.Errorf("window: CountEvictor needs max >= 0, got %d", max)
	}
	return phased[T, W]{
		err:   err,
		after: evictAfter(doEvictAfter),
		name:  fmt.Sprintf("CountEvictor(%d)", max),
		evict: func(elements []TimestampedValue[T]) []TimestampedValue[T] {
			if len(elements) <= max {
				return elements
			}
			return elements[len(elements)-max:]
		},
	}
}

// TimeEvictor keeps the elements whose timestamp is within keep of the
// largest timestamp in the window (elements at or before max-keep are
// dropped). Windows whose first element has no timestamp are left alone. It
// evicts before the window function, or after it when doEvictAfter is true.
func TimeEvictor[T any, W Window](keep time.Duration, doEvictAfter ...bool) Evictor[T, W] {
	size := keep.Milliseconds()
	var err error
	if size < 0 {
		err = fmt.Errorf("window: TimeEvictor needs keep >= 0, got %v", keep)
	}
	return phased[T, W]{
		err:   err,
		after: evictAfter(doEvictAfter),
		name:  fmt.Sprintf("TimeEvictor(%dms)", size),
		evict: func(elements []TimestampedValue[T]) []TimestampedValue[T] {
			if len(elements) == 0 || elements[0].Timestamp == eventtime.NoTimestamp {
				return elements
			}
			maxTS := elements[0].Timestamp
			for _, e := range elements[1:] {
				maxTS = max(maxTS, e.Timestamp)
			}
			cutoff := maxTS - size
			return slices.DeleteFunc(elements, func(e TimestampedValue[T]) bool { return e.Timestamp <= cutoff })
		},
	}
}

// DeltaEvictor drops every element whose delta to the last element of the
// window is >= threshold. It evicts before the window function, or after it
// when doEvictAfter is true.
func DeltaEvictor[T any, W Window](threshold float64, delta func(a, b T) float64, doEvictAfter ...bool) Evictor[T, W] {
	var err error
	if delta == nil {
		err = fmt.Errorf("window: DeltaEvictor needs a delta function, got nil")
	}
	return phased[T, W]{
		err:   err,
		after: evictAfter(doEvictAfter),
		name:  fmt.Sprintf("DeltaEvictor(%v)", threshold),
		evict: func(elements []TimestampedValue[T]) []TimestampedValue[T] {
			if len(elements) == 0 {
				return elements
			}
			last := elements[len(elements)-1].Value
			return slices.DeleteFunc(elements, func(e TimestampedValue[T]) bool { return delta(e.Value, last) >= threshold })
		},
	}
}
