package socket

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/source"
)

// fakeEnumContext records what the enumerator does.
type fakeEnumContext struct {
	parallelism int
	registered  map[int]source.ReaderInfo
	assigned    map[int][]Split
	noMore      map[int]int
}

func newFakeEnumContext(p int) *fakeEnumContext {
	c := &fakeEnumContext{parallelism: p, registered: map[int]source.ReaderInfo{}, assigned: map[int][]Split{}, noMore: map[int]int{}}
	for i := range p {
		c.registered[i] = source.ReaderInfo{Subtask: i}
	}
	return c
}

func (c *fakeEnumContext) CurrentParallelism() int                      { return c.parallelism }
func (c *fakeEnumContext) RegisteredReaders() map[int]source.ReaderInfo { return c.registered }
func (c *fakeEnumContext) AssignSplits(a map[int][]Split) error {
	for st, splits := range a {
		for _, sp := range splits {
			if err := c.AssignSplit(sp, st); err != nil {
				return err
			}
		}
	}
	return nil
}
func (c *fakeEnumContext) AssignSplit(sp Split, subtask int) error {
	if _, ok := c.registered[subtask]; !ok {
		return fmt.Errorf("reader %d not registered", subtask)
	}
	c.assigned[subtask] = append(c.assigned[subtask], sp)
	return nil
}
func (c *fakeEnumContext) SignalNoMoreSplits(subtask int) error {
	c.noMore[subtask]++
	return nil
}
func (c *fakeEnumContext) SendEventToSourceReader(int, source.SourceEvent) error { return nil }
func (c *fakeEnumContext) CallAsync(func() (any, error), func(any, error) error, time.Duration, time.Duration) {
	panic("datagen does not discover splits")
}
func (c *fakeEnumContext) RunInCoordinatorThread(fn func() error) {
	if err := fn(); err != nil {
		panic(err)
	}
}
func (c *fakeEnumContext) Config() *config.Configuration { return config.New() }

// fakeReaderContext has a settable clock and counts split requests.
type fakeReaderContext struct {
	subtask, parallelism int
	now                  atomic.Int64
	requests             int
}

func (c *fakeReaderContext) SubtaskIndex() int                               { return c.subtask }
func (c *fakeReaderContext) Parallelism() int                                { return c.parallelism }
func (c *fakeReaderContext) SendSplitRequest()                               { c.requests++ }
func (c *fakeReaderContext) SendSourceEventToCoordinator(source.SourceEvent) {}
func (c *fakeReaderContext) Config() *config.Configuration                   { return config.New() }
func (c *fakeReaderContext) Now() int64                                      { return c.now.Load() }

// record is one collected record.
type record[T any] struct {
	split string
	v     T
	ts    int64
	hasTS bool
}

// fakeOutput collects records per split.
type fakeOutput[T any] struct {
	records  []record[T]
	released []string
}

type splitOutput[T any] struct {
	o     *fakeOutput[T]
	split string
}

func (s splitOutput[T]) Collect(v T) {
	s.o.records = append(s.o.records, record[T]{split: s.split, v: v})
}
func (s splitOutput[T]) CollectWithTimestamp(v T, ts int64) {
	s.o.records = append(s.o.records, record[T]{split: s.split, v: v, ts: ts, hasTS: true})
}
func (s splitOutput[T]) EmitWatermark(int64) {}
func (s splitOutput[T]) MarkIdle()           {}
func (s splitOutput[T]) MarkActive()         {}

func (o *fakeOutput[T]) Collect(v T) { splitOutput[T]{o, ""}.Collect(v) }
func (o *fakeOutput[T]) CollectWithTimestamp(v T, ts int64) {
	splitOutput[T]{o, ""}.CollectWithTimestamp(v, ts)
}
func (o *fakeOutput[T]) EmitWatermark(int64) {}
func (o *fakeOutput[T]) MarkIdle()           {}
func (o *fakeOutput[T]) MarkActive()         {}
func (o *fakeOutput[T]) CreateOutputForSplit(id string) source.SourceOutput[T] {
	return splitOutput[T]{o, id}
}
func (o *fakeOutput[T]) ReleaseOutputForSplit(id string) { o.released = append(o.released, id) }

func (o *fakeOutput[T]) values() []T {
	out := make([]T, len(o.records))
	for i, r := range o.records {
		out[i] = r.v
	}
	return out
}
