package print

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/weirstream/weir/sink"
)

// Locks for the process's standard streams, shared by every print sink so
// that all of them together never interleave lines.
var stdoutMu, stderrMu sync.Mutex

// target is where lines go and the lock that keeps them whole.
type target struct {
	name string
	mu   *sync.Mutex // guards writes to w
	w    io.Writer
}

type options struct {
	identifier string
	stderr     bool
	w          io.Writer
}

// Option configures a print sink.
type Option func(*options)

// ToStderr prints to standard error instead of standard output.
func ToStderr() Option { return func(o *options) { o.stderr = true } }

// WithPrefix sets the sink identifier that starts every line (Flink's
// sinkIdentifier), to tell several print sinks apart.
func WithPrefix(identifier string) Option {
	return func(o *options) { o.identifier = identifier }
}

// To prints to w instead of a standard stream; for tests and for sending the
// output elsewhere. Writes to w are serialized per sink (and shared with the
// standard-stream lock when w is os.Stdout or os.Stderr); sinks given the
// same other writer do not coordinate with each other. If w has a
// Flush() error method it is called on Flush and Close.
func To(w io.Writer) Option { return func(o *options) { o.w = w } }

// Sink prints records; it implements sink.Sink[T].
type Sink[T any] struct {
	identifier string
	out        target
}

var _ sink.Sink[int] = (*Sink[int])(nil)

// New returns a print sink; without options it prints to standard output
// with no identifier.
func New[T any](opts ...Option) *Sink[T] {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := &Sink[T]{identifier: o.identifier}
	switch {
	case o.w != nil:
		s.out = target{name: fmt.Sprintf("%T", o.w), mu: new(sync.Mutex), w: o.w}
		if f, ok := o.w.(*os.File); ok && f == os.Stdout {
			s.out = target{name: "stdout", mu: &stdoutMu, w: f}
		} else if ok && f == os.Stderr {
			s.out = target{name: "stderr", mu: &stderrMu, w: f}
		}
	case o.stderr:
		s.out = target{name: "stderr", mu: &stderrMu}
	default:
		s.out = target{name: "stdout", mu: &stdoutMu}
	}
	return s
}

// Prefix is the text that starts every line of the given subtask, exactly
// as Flink's PrintSinkOutputWriter builds it.
func Prefix(identifier string, subtask, parallelism int) string {
	p := identifier
	if parallelism > 1 {
		if p != "" {
			p += ":"
		}
		p += strconv.Itoa(subtask + 1)
	}
	if p != "" {
		p += "> "
	}
	return p
}

// CreateWriter implements sink.Sink.
func (s *Sink[T]) CreateWriter(ctx sink.InitContext) (sink.Writer[T], error) {
	if ctx == nil {
		return nil, errors.New("print: CreateWriter needs an InitContext (it says which subtask prints)")
	}
	out := s.out
	// The standard streams are looked up when a writer starts, so a test or
	// program that redirects os.Stdout before running the job is honored.
	if out.w == nil {
		if out.mu == &stderrMu {
			out.w = os.Stderr
		} else {
			out.w = os.Stdout
		}
	}
	return &writer[T]{out: out, prefix: Prefix(s.identifier, ctx.SubtaskIndex(), ctx.Parallelism())}, nil
}

// maxKeptLine bounds the line buffer a writer keeps between records, so one
// huge record does not pin its memory for the rest of the job.
const maxKeptLine = 64 << 10

type writer[T any] struct {
	out    target
	prefix string
	line   []byte
	closed bool
}

func (w *writer[T]) Write(v T, _ sink.Context) error {
	if w.closed {
		return errors.New("print: writer used after Close; create a new writer")
	}
	w.line = append(w.line[:0], w.prefix...)
	w.line = fmt.Append(w.line, v)
	w.line = append(w.line, '\n')
	w.out.mu.Lock()
	_, err := w.out.w.Write(w.line)
	w.out.mu.Unlock()
	if cap(w.line) > maxKeptLine {
		w.line = nil
	}
	if err != nil {
		return fmt.Errorf("print: write line to %s: %w; if the output is a closed pipe, keep its reader running or print to another stream", w.out.name, err)
	}
	return nil
}

type flusher interface{ Flush() error }

// Flush passes Flush on to the target writer if it buffers; lines are
// otherwise written as they come.
func (w *writer[T]) Flush(bool) error {
	f, ok := w.out.w.(flusher)
	if !ok {
		return nil
	}
	w.out.mu.Lock()
	err := f.Flush()
	w.out.mu.Unlock()
	if err != nil {
		return fmt.Errorf("print: flush %s: %w", w.out.name, err)
	}
	return nil
}

// Close flushes; it does not close the target, which the sink does not own.
func (w *writer[T]) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.Flush(true)
}
