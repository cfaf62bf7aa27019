package filesource

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/source"
)

// LineSource reads the lines of files and decodes each into a T. It
// implements source.Source[T, FileSplit, EnumeratorState]. Configure it
// with its With methods before the job starts.
type LineSource[T any] struct {
	paths     []string
	decode    func(line string) (T, error)
	blockSize int64
	interval  time.Duration
	maxLine   int
	// errs are configuration errors, reported when the job starts because
	// the builder methods return no error.
	errs []error
}

// Source is the source of text lines that TextLines returns.
type Source = LineSource[string]

var _ source.Source[string, FileSplit, EnumeratorState] = (*Source)(nil)

// TextLines returns a bounded source of the lines of the files at paths
// (files or directories), one string per line without its line ending.
func TextLines(paths ...string) *Source {
	return Lines(func(line string) (string, error) { return line, nil }, paths...)
}

// Lines returns a bounded source of the lines of the files at paths, each
// decoded by decode. decode runs in the reader's fetcher goroutine; an
// error from it fails the job with the file and line number.
func Lines[T any](decode func(line string) (T, error), paths ...string) *LineSource[T] {
	s := &LineSource[T]{
		paths:     slices.Clone(paths),
		decode:    decode,
		blockSize: DefaultBlockSize,
		maxLine:   DefaultMaxLineLength,
	}
	if len(paths) == 0 {
		s.errs = append(s.errs, errors.New("filesource: no input paths given; pass at least one file or directory"))
	}
	if decode == nil {
		s.errs = append(s.errs, errors.New("filesource: the decode function is nil"))
	}
	return s
}

// WithBlockSize sets the largest split (default DefaultBlockSize): larger
// files are read as several blocks, in parallel.
func (s *LineSource[T]) WithBlockSize(n int64) *LineSource[T] {
	if n <= 0 {
		s.errs = append(s.errs, fmt.Errorf("filesource: block size %d is invalid; use a positive number of bytes", n))
	}
	s.blockSize = n
	return s
}

// MonitorContinuously makes the source unbounded: every interval the input
// paths are listed again and files not seen before are read.
func (s *LineSource[T]) MonitorContinuously(interval time.Duration) *LineSource[T] {
	if interval <= 0 {
		s.errs = append(s.errs, fmt.Errorf("filesource: discovery interval %v is invalid; use a positive duration", interval))
	}
	s.interval = interval
	return s
}

// WithMaxLineLength sets the longest line in bytes (default
// DefaultMaxLineLength); a longer line fails the job naming the file and
// offset.
func (s *LineSource[T]) WithMaxLineLength(n int) *LineSource[T] {
	if n <= 0 {
		s.errs = append(s.errs, fmt.Errorf("filesource: max line length %d is invalid; use a positive number of bytes", n))
	}
	s.maxLine = n
	return s
}

func (s *LineSource[T]) err() error { return errors.Join(s.errs...) }

// Boundedness implements source.Source.
func (s *LineSource[T]) Boundedness() source.Boundedness {
	if s.interval > 0 {
		return source.ContinuousUnbounded
	}
	return source.Bounded
}

// CreateEnumerator implements source.Source: it lists the input paths, so
// a missing path fails the job at once.
func (s *LineSource[T]) CreateEnumerator(ctx source.SplitEnumeratorContext[FileSplit]) (source.SplitEnumerator[FileSplit, EnumeratorState], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	files, err := listFiles(s.paths)
	if err != nil {
		return nil, err
	}
	e := newEnumerator(ctx, s.paths, s.blockSize, s.interval)
	e.addFiles(files)
	return e, nil
}

// RestoreEnumerator implements source.Source.
func (s *LineSource[T]) RestoreEnumerator(ctx source.SplitEnumeratorContext[FileSplit], cp EnumeratorState) (source.SplitEnumerator[FileSplit, EnumeratorState], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	e := newEnumerator(ctx, s.paths, s.blockSize, s.interval)
	e.remaining = slices.Clone(cp.Remaining)
	for _, p := range cp.SeenPaths {
		e.seen[p] = true
	}
	return e, nil
}

// SplitCodec implements source.Source.
func (s *LineSource[T]) SplitCodec() codec.Codec[FileSplit] { return codec.JSON[FileSplit]{} }

// CheckpointCodec implements source.Source.
func (s *LineSource[T]) CheckpointCodec() codec.Codec[EnumeratorState] {
	return codec.JSON[EnumeratorState]{}
}
