package datagen

import (
	"errors"
	"fmt"
	"math"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/source"
)

// Unbounded is the count that makes a source endless.
const Unbounded int64 = -1

// Split is a part of the index space: the indexes Next, Next+Step, ... below
// End. Next is the split's progress.
type Split struct {
	ID string `json:"id"`
	// Next is the next index the split generates.
	Next int64 `json:"next"`
	// End is exclusive; negative means the split never ends.
	End int64 `json:"end"`
	// Step is the distance between consecutive indexes: 1 for the ranges of
	// a bounded source, the parallelism for the strides of an unbounded one.
	Step int64 `json:"step"`
}

// SplitID implements source.Split.
func (s Split) SplitID() string { return s.ID }

// finished reports whether the split has no index left.
func (s *Split) finished() bool { return s.End >= 0 && s.Next >= s.End }

// advance moves past the index just generated. An endless split whose next
// index would overflow int64 ends instead of wrapping around.
func (s *Split) advance() {
	if s.End < 0 && s.Next > math.MaxInt64-s.Step {
		s.End = s.Next
		return
	}
	s.Next += s.Step
}

// EnumeratorState is the enumerator's checkpoint: the splits not yet
// assigned to a reader.
type EnumeratorState struct {
	Remaining []Split `json:"remaining"`
}

// Option configures a Source.
type Option func(*options)

type options struct {
	rate       float64
	rateSet    bool
	timestamps any
}

// WithRateLimit caps the whole source at recordsPerSecond records per
// second, summed over all subtasks: each reader gets recordsPerSecond /
// parallelism. A throttled reader waits on a timer, never spinning. The
// rate must be positive and finite.
func WithRateLimit(recordsPerSecond float64) Option {
	return func(o *options) { o.rate, o.rateSet = recordsPerSecond, true }
}

// WithTimestamps gives every record the event timestamp (ms) ts returns.
// Without it records carry no source timestamp. T must be the source's
// record type; a mismatch makes the source fail when the job starts.
func WithTimestamps[T any](ts func(T) int64) Option {
	return func(o *options) { o.timestamps = ts }
}

// Source generates count records, record i being gen(i). It implements
// source.Source[T, Split, EnumeratorState].
type Source[T any] struct {
	count      int64
	gen        func(index int64) (T, error)
	rate       float64
	timestamps func(T) int64
	// err is a configuration error, reported when the job starts because
	// the constructors return no error.
	err error
}

var _ source.Source[int64, Split, EnumeratorState] = (*Source[int64])(nil)

// New returns a source of count records (count < 0: endless) where record
// i is gen(i). gen is called from the subtask goroutine of the reader that
// owns index i and must be safe to call concurrently from several subtasks.
// An error from gen fails the job.
func New[T any](count int64, gen func(index int64) (T, error), opts ...Option) *Source[T] {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := &Source[T]{count: count, gen: gen}
	if count < 0 {
		s.count = Unbounded
	}
	var errs []error
	if gen == nil {
		errs = append(errs, errors.New("datagen: the generator function is nil"))
	}
	if o.rateSet {
		if !(o.rate > 0) || math.IsInf(o.rate, 0) {
			errs = append(errs, fmt.Errorf("datagen: rate limit %v records/s is invalid; use a positive finite rate", o.rate))
		}
		s.rate = o.rate
	}
	if o.timestamps != nil {
		ts, ok := o.timestamps.(func(T) int64)
		if !ok {
			var zero T
			errs = append(errs, fmt.Errorf("datagen: WithTimestamps got a %T but the source produces %T; pass a func(%T) int64", o.timestamps, zero, zero))
		}
		s.timestamps = ts
	}
	s.err = errors.Join(errs...)
	return s
}

// Sequence returns a bounded source of the numbers from to to, both
// inclusive, as Flink's fromSequence.
func Sequence(from, to int64) *Source[int64] {
	if to < from {
		s := New[int64](0, func(int64) (int64, error) { return 0, nil })
		s.err = fmt.Errorf("datagen: sequence from %d to %d is empty; to must be >= from", from, to)
		return s
	}
	diff := uint64(to) - uint64(from)
	if diff >= math.MaxInt64 {
		s := New[int64](0, func(int64) (int64, error) { return 0, nil })
		s.err = fmt.Errorf("datagen: sequence from %d to %d has more than %d numbers", from, to, int64(math.MaxInt64))
		return s
	}
	return New(int64(diff)+1, func(i int64) (int64, error) { return from + i, nil })
}

// Boundedness implements source.Source.
func (s *Source[T]) Boundedness() source.Boundedness {
	if s.count < 0 {
		return source.ContinuousUnbounded
	}
	return source.Bounded
}

// CreateEnumerator implements source.Source: it cuts the index space for
// the current parallelism.
func (s *Source[T]) CreateEnumerator(ctx source.SplitEnumeratorContext[Split]) (source.SplitEnumerator[Split, EnumeratorState], error) {
	if s.err != nil {
		return nil, s.err
	}
	p := ctx.CurrentParallelism()
	if p < 1 {
		return nil, fmt.Errorf("datagen: parallelism %d is invalid", p)
	}
	var splits []Split
	if s.count < 0 {
		splits = strideSplits(p)
	} else {
		splits = rangeSplits(s.count, p)
	}
	e := newEnumerator(ctx, splits)
	for i, sp := range splits {
		// Split i is meant for subtask i (the doc's promise for strides);
		// other subtasks may still take it if subtask i never asks.
		e.preferred[sp.ID] = i % p
	}
	return e, nil
}

// RestoreEnumerator implements source.Source.
func (s *Source[T]) RestoreEnumerator(ctx source.SplitEnumeratorContext[Split], cp EnumeratorState) (source.SplitEnumerator[Split, EnumeratorState], error) {
	if s.err != nil {
		return nil, s.err
	}
	return newEnumerator(ctx, cp.Remaining), nil
}

// CreateReader implements source.Source.
func (s *Source[T]) CreateReader(ctx source.ReaderContext) (source.SourceReader[T, Split], error) {
	if s.err != nil {
		return nil, s.err
	}
	return newReader(ctx, s.gen, s.timestamps, s.rate), nil
}

// SplitCodec implements source.Source.
func (s *Source[T]) SplitCodec() codec.Codec[Split] { return codec.JSON[Split]{} }

// CheckpointCodec implements source.Source.
func (s *Source[T]) CheckpointCodec() codec.Codec[EnumeratorState] {
	return codec.JSON[EnumeratorState]{}
}

// rangeSplits cuts [0, count) into p contiguous ranges whose sizes differ by
// at most one, dropping empty ones.
func rangeSplits(count int64, p int) []Split {
	n := int64(p)
	base, rem := count/n, count%n
	splits := make([]Split, 0, p)
	var start int64
	for k := int64(0); k < n; k++ {
		size := base
		if k < rem {
			size++
		}
		if size > 0 {
			splits = append(splits, Split{ID: fmt.Sprintf("range-%d", k), Next: start, End: start + size, Step: 1})
		}
		start += size
	}
	return splits
}

// strideSplits makes p endless splits: split k generates k, k+p, k+2p, ...
func strideSplits(p int) []Split {
	splits := make([]Split, p)
	for k := range splits {
		splits[k] = Split{ID: fmt.Sprintf("stride-%d", k), Next: int64(k), End: -1, Step: int64(p)}
	}
	return splits
}
