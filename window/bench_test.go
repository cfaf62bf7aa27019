package window

import (
	"strconv"
	"testing"
	"time"

	"github.com/weirstream/weir/runtime/operator"
)

// discard is an Output that drops everything.
type discard[T any] struct{ n int }

func (d *discard[T]) Collect(T, int64)               { d.n++ }
func (d *discard[T]) EmitWatermark(int64)            {}
func (d *discard[T]) EmitWatermarkStatus(bool)       {}
func (d *discard[T]) CollectSide(string, any, int64) {}

// benchWindows measures the cost per record of an aggregating window
// operator: 1000 keys, one record per ms, a watermark every 1000 records.
func benchWindows(b *testing.B, assigner Assigner[kv, TimeWindow], fires bool) {
	op, err := NewAggregatingOperator(Config[string, kv, TimeWindow]{Key: kvKey, Assigner: assigner},
		sumCount{}, emitAcc[TimeWindow]())
	if err != nil {
		b.Fatal(err)
	}
	out := &discard[result[TimeWindow]]{}
	op.SetOutput(operator.Output[result[TimeWindow]](out))
	if err := op.Open(&fakeContext{clock: &manualClock{}}); err != nil {
		b.Fatal(err)
	}
	defer op.Close()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ts := int64(i)
		if err := op.ProcessElement(kv{Key: keys[i%len(keys)], V: 1}, ts); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if err := op.ProcessWatermark(ts - 1); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if fires && b.N > 10_000 && out.n == 0 {
		b.Fatal("no window fired")
	}
}

func BenchmarkTumblingAggregate(b *testing.B) {
	benchWindows(b, TumblingEventTimeWindows[kv](time.Second), true)
}

func BenchmarkSlidingAggregate(b *testing.B) {
	benchWindows(b, SlidingEventTimeWindows[kv](time.Second, 250*time.Millisecond), true)
}

func BenchmarkSessionAggregate(b *testing.B) {
	benchWindows(b, EventTimeSessionWindows[kv](500*time.Millisecond), true)
}

// BenchmarkSessionMergingAggregate: each key's records arrive within the
// gap, so every record grows its session (a merge per record) and no
// session ends.
func BenchmarkSessionMergingAggregate(b *testing.B) {
	benchWindows(b, EventTimeSessionWindows[kv](2*time.Second), false)
}
