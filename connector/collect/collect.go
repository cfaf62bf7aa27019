package collect

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/weirstream/weir/sink"
)

// Record is one collected record.
type Record[T any] struct {
	Value T
	// Timestamp is the record's event timestamp or eventtime.NoTimestamp.
	Timestamp int64
	// Subtask is the index of the subtask that wrote it.
	Subtask int
}

type writerKey struct{ subtask, attempt int }

// Sink collects records in memory. It is safe for concurrent use by the
// writers of all subtasks and by readers.
type Sink[T any] struct {
	mu struct {
		sync.Mutex // guards the fields below
		records    []Record[T]
		writers    map[writerKey]bool // writers created since the last Reset
		generation int                // bumped by Reset; older writers are refused
	}
}

var _ sink.Sink[int] = (*Sink[int])(nil)

// New returns an empty collecting sink.
func New[T any]() *Sink[T] {
	s := &Sink[T]{}
	s.mu.writers = make(map[writerKey]bool)
	return s
}

// CreateWriter implements sink.Sink. It fails if a writer for the same
// subtask and attempt was already created since the last Reset.
func (s *Sink[T]) CreateWriter(ctx sink.InitContext) (sink.Writer[T], error) {
	if ctx == nil {
		return nil, errors.New("collect: CreateWriter needs an InitContext (it says which subtask writes)")
	}
	k := writerKey{ctx.SubtaskIndex(), ctx.AttemptNumber()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.writers[k] {
		return nil, fmt.Errorf("collect: sink already has a writer for subtask %d, attempt %d: it was used by an earlier run; call Reset before running another job into it, or use a new collect.Sink", k.subtask, k.attempt)
	}
	s.mu.writers[k] = true
	return &writer[T]{s: s, subtask: k.subtask, generation: s.mu.generation}, nil
}

// Values returns a copy of the collected values in arrival order (per
// subtask in the order written; subtasks interleaved as they ran).
func (s *Sink[T]) Values() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]T, len(s.mu.records))
	for i, r := range s.mu.records {
		out[i] = r.Value
	}
	return out
}

// Records returns a copy of the collected records in arrival order.
func (s *Sink[T]) Records() []Record[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mu.records)
}

// Len is the number of records collected.
func (s *Sink[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mu.records)
}

// Reset drops all records and forgets all writers so the sink can serve
// another run. Writers of earlier runs fail from then on.
func (s *Sink[T]) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.records = nil
	clear(s.mu.writers)
	s.mu.generation++
}

type writer[T any] struct {
	s          *Sink[T]
	subtask    int
	generation int
	closed     bool
}

func (w *writer[T]) Write(v T, ctx sink.Context) error {
	if w.closed {
		return errors.New("collect: writer used after Close; create a new writer")
	}
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.generation != w.generation {
		return fmt.Errorf("collect: writer of subtask %d belongs to a run before Reset; stop that run before resetting the sink", w.subtask)
	}
	s.mu.records = append(s.mu.records, Record[T]{Value: v, Timestamp: ctx.Timestamp, Subtask: w.subtask})
	return nil
}

// Flush has nothing to do: records are visible as soon as Write returns.
func (w *writer[T]) Flush(bool) error { return nil }

func (w *writer[T]) Close() error {
	w.closed = true
	return nil
}
