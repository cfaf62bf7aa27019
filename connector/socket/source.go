package socket

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/source"
)

const (
	// DefaultRetryDelay is the pause between connection attempts, as in
	// Flink's socket source.
	DefaultRetryDelay = time.Second
	// MaxRecordLength is the longest record; a longer one fails the job
	// instead of being truncated or filling the memory.
	MaxRecordLength = 64 << 20
)

// Split is the single stream the source reads.
type Split struct {
	ID string `json:"id"`
	// Name is the address or the reader's name, for error messages.
	Name string `json:"name"`
}

// SplitID implements source.Split.
func (s Split) SplitID() string { return s.ID }

// EnumeratorState is the enumerator's checkpoint: the split, if no reader
// has it yet.
type EnumeratorState struct {
	Remaining []Split `json:"remaining"`
}

// Source is a source of text records from a TCP server or a reader. It
// implements source.Source[string, Split, EnumeratorState].
type Source struct {
	name       string
	addr       string    // TCP address; empty for a reader
	r          io.Reader // nil for a socket
	delimiter  byte
	maxRetries int
	retryDelay time.Duration
	errs       []error

	pumpOnce sync.Once
	pump     *pump
}

var _ source.Source[string, Split, EnumeratorState] = (*Source)(nil)

// TextStream returns a source that connects to the TCP server at hostPort
// and emits the records between delimiters. It ends when the server closes
// the connection.
func TextStream(hostPort string, delimiter byte) *Source {
	s := &Source{name: hostPort, addr: hostPort, delimiter: delimiter, retryDelay: DefaultRetryDelay}
	if _, _, err := net.SplitHostPort(hostPort); err != nil {
		s.errs = append(s.errs, fmt.Errorf("socket: address %q is not host:port: %w", hostPort, err))
	}
	return s
}

// Stdin returns a source of the lines of the process's standard input,
// bounded by its EOF.
func Stdin() *Source { return FromReader("stdin", os.Stdin) }

// FromReader returns a source of the lines of r, bounded by its EOF; name
// identifies it in errors. r is read only by subtask 0, from a goroutine
// of its own that ends at r's EOF: an io.Reader cannot be interrupted, so
// a job cancelled earlier leaves that goroutine waiting in Read (it reads
// at most one more chunk and then blocks until the process exits).
func FromReader(name string, r io.Reader) *Source {
	s := &Source{name: name, r: r, delimiter: '\n'}
	if r == nil {
		s.errs = append(s.errs, fmt.Errorf("socket: reader %q is nil", name))
	}
	return s
}

// WithMaxRetries sets how often a failed connection attempt is retried
// before the job fails: 0 (the default) tries once, a negative n retries
// forever.
func (s *Source) WithMaxRetries(n int) *Source {
	s.maxRetries = n
	return s
}

// WithRetryDelay sets the pause between connection attempts (default
// DefaultRetryDelay).
func (s *Source) WithRetryDelay(d time.Duration) *Source {
	if d < 0 {
		s.errs = append(s.errs, fmt.Errorf("socket: retry delay %v is negative", d))
	}
	s.retryDelay = d
	return s
}

// Boundedness implements source.Source: a socket is unbounded (though it
// ends when the peer closes), a reader is bounded.
func (s *Source) Boundedness() source.Boundedness {
	if s.r != nil {
		return source.Bounded
	}
	return source.ContinuousUnbounded
}

func (s *Source) err() error { return errors.Join(s.errs...) }

func (s *Source) split() Split { return Split{ID: "stream", Name: s.name} }

// CreateEnumerator implements source.Source.
func (s *Source) CreateEnumerator(ctx source.SplitEnumeratorContext[Split]) (source.SplitEnumerator[Split, EnumeratorState], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return newEnumerator(ctx, []Split{s.split()}), nil
}

// RestoreEnumerator implements source.Source.
func (s *Source) RestoreEnumerator(ctx source.SplitEnumeratorContext[Split], cp EnumeratorState) (source.SplitEnumerator[Split, EnumeratorState], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return newEnumerator(ctx, cp.Remaining), nil
}

// SplitCodec implements source.Source.
func (s *Source) SplitCodec() codec.Codec[Split] { return codec.JSON[Split]{} }

// CheckpointCodec implements source.Source.
func (s *Source) CheckpointCodec() codec.Codec[EnumeratorState] {
	return codec.JSON[EnumeratorState]{}
}
