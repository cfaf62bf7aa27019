package sourcetest

import (
	"slices"
	"sync"

	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/source"
)

// Output is an operator.Output that records what a source operator emits.
// One goroutine may write while others read: Len is meant for polling a
// running job.
type Output[T any] struct {
	mu         sync.Mutex
	values     []T
	timestamps []int64
	watermarks []int64
	statuses   []bool
	side       []SideRecord
}

// SideRecord is a record a source sent to a side output.
type SideRecord struct {
	Tag   string
	Value any
	TS    int64
}

var _ operator.Output[int] = (*Output[int])(nil)

// Collect records v with its timestamp.
func (o *Output[T]) Collect(v T, ts int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.values = append(o.values, v)
	o.timestamps = append(o.timestamps, ts)
}

// EmitWatermark records wm.
func (o *Output[T]) EmitWatermark(wm int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.watermarks = append(o.watermarks, wm)
}

// EmitWatermarkStatus records an idle (true) or active (false) status.
func (o *Output[T]) EmitWatermarkStatus(idle bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuses = append(o.statuses, idle)
}

// CollectSide records a side-output record.
func (o *Output[T]) CollectSide(tag string, v any, ts int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.side = append(o.side, SideRecord{Tag: tag, Value: v, TS: ts})
}

// Side returns the side-output records in emission order.
func (o *Output[T]) Side() []SideRecord { return locked(&o.mu, &o.side) }

// Len is the number of records collected so far.
func (o *Output[T]) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.values)
}

// Values returns the records in emission order.
func (o *Output[T]) Values() []T { return locked(&o.mu, &o.values) }

// Timestamps returns the records' timestamps, index for index with Values.
func (o *Output[T]) Timestamps() []int64 { return locked(&o.mu, &o.timestamps) }

// Watermarks returns the watermarks in emission order.
func (o *Output[T]) Watermarks() []int64 { return locked(&o.mu, &o.watermarks) }

// Statuses returns the watermark statuses in emission order (true: idle).
func (o *Output[T]) Statuses() []bool { return locked(&o.mu, &o.statuses) }

// locked returns a copy of *s taken under mu.
func locked[E any](mu *sync.Mutex, s *[]E) []E {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(*s)
}

// Record is one record a reader emitted into a ReaderOutput.
type Record[T any] struct {
	// Split is the split whose output took the record; "" for the
	// reader-wide output.
	Split string
	Value T
	// TS is the timestamp given to CollectWithTimestamp; HasTS is false for
	// records emitted with Collect.
	TS    int64
	HasTS bool
}

// ReaderOutput is a source.ReaderOutput that records what a reader emits,
// attributing each record to the split output it went through. It is for
// a test that calls PollNext itself, on one goroutine; watermarks and idle
// marks are not recorded (the operator's watermark logic is not under
// test there).
type ReaderOutput[T any] struct {
	// Records holds every record in emission order.
	Records []Record[T]
	// Released holds the IDs given to ReleaseOutputForSplit, in order.
	Released []string
	// Side holds the side-output records, from any output, in order.
	Side []SideRecord
}

var _ source.ReaderOutput[int] = (*ReaderOutput[int])(nil)

// Collect records v on the reader-wide output.
func (o *ReaderOutput[T]) Collect(v T) { splitOutput[T]{o, ""}.Collect(v) }

// CollectWithTimestamp records v with ts on the reader-wide output.
func (o *ReaderOutput[T]) CollectWithTimestamp(v T, ts int64) {
	splitOutput[T]{o, ""}.CollectWithTimestamp(v, ts)
}

// EmitWatermark ignores the watermark.
func (o *ReaderOutput[T]) EmitWatermark(int64) {}

// MarkIdle ignores the mark.
func (o *ReaderOutput[T]) MarkIdle() {}

// MarkActive ignores the mark.
func (o *ReaderOutput[T]) MarkActive() {}

// CollectSide records a side-output record.
func (o *ReaderOutput[T]) CollectSide(tag string, v any, ts int64) {
	o.Side = append(o.Side, SideRecord{Tag: tag, Value: v, TS: ts})
}

// CreateOutputForSplit returns an output recording records under id.
func (o *ReaderOutput[T]) CreateOutputForSplit(id string) source.SourceOutput[T] {
	return splitOutput[T]{o, id}
}

// ReleaseOutputForSplit records that the reader released id.
func (o *ReaderOutput[T]) ReleaseOutputForSplit(id string) { o.Released = append(o.Released, id) }

// Values returns the recorded values in emission order.
func (o *ReaderOutput[T]) Values() []T {
	out := make([]T, len(o.Records))
	for i, r := range o.Records {
		out[i] = r.Value
	}
	return out
}

type splitOutput[T any] struct {
	o     *ReaderOutput[T]
	split string
}

func (s splitOutput[T]) Collect(v T) {
	s.o.Records = append(s.o.Records, Record[T]{Split: s.split, Value: v})
}
func (s splitOutput[T]) CollectWithTimestamp(v T, ts int64) {
	s.o.Records = append(s.o.Records, Record[T]{Split: s.split, Value: v, TS: ts, HasTS: true})
}
func (s splitOutput[T]) EmitWatermark(int64) {}
func (s splitOutput[T]) MarkIdle()           {}
func (s splitOutput[T]) MarkActive()         {}
func (s splitOutput[T]) CollectSide(tag string, v any, ts int64) {
	s.o.CollectSide(tag, v, ts)
}
