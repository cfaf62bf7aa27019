package filesource

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/weirstream/weir/source"
)

const (
	// fetchLines and fetchBytes bound one fetch, so the fetcher hands
	// records over in batches large enough to amortize the hand-over and
	// small enough to keep memory flat.
	fetchLines = 1024
	fetchBytes = 1 << 20
)

// lineRecord is a decoded line and the offset of the line after it, which
// becomes the split's Position once the record is emitted.
type lineRecord[T any] struct {
	value T
	next  int64
}

// CreateReader implements source.Source: a SourceReaderBase with one
// fetcher goroutine that reads the reader's splits one after the other,
// asking the enumerator for the next split whenever it runs out.
func (s *LineSource[T]) CreateReader(ctx source.ReaderContext) (source.SourceReader[T, FileSplit], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	decode, maxLine := s.decode, s.maxLine
	mgr := source.NewSingleThreadFetcherManager(func() source.SplitReader[lineRecord[T], FileSplit] {
		return &splitReader[T]{decode: decode, maxLine: maxLine}
	})
	return source.NewSourceReaderBase(mgr, emitter[T]{},
		func(sp FileSplit) *FileSplit { return &sp },
		func(_ string, st *FileSplit) FileSplit { return *st },
		func(map[string]*FileSplit) error { return nil },
		ctx, source.RequestSplitsWhenIdle()), nil
}

// emitter emits a line and advances its split's Position past it, so a
// snapshot taken after any record resumes at the next line.
type emitter[T any] struct{}

func (emitter[T]) Emit(r lineRecord[T], out source.SourceOutput[T], st *FileSplit) error {
	out.Collect(r.value)
	st.Position = r.next
	return nil
}

// splitReader reads the lines of its splits in the fetcher goroutine.
type splitReader[T any] struct {
	decode  func(string) (T, error)
	maxLine int

	pending []FileSplit
	cur     *cursor
	// woken asks a running Fetch to hand over what it has.
	woken atomic.Bool
}

// HandleSplitsChanges implements source.SplitReader.
func (r *splitReader[T]) HandleSplitsChanges(added []FileSplit) {
	r.pending = append(r.pending, added...)
}

// Fetch implements source.SplitReader: it reads up to fetchLines lines or
// fetchBytes bytes of the current split and reports the split finished
// with its last lines.
func (r *splitReader[T]) Fetch(ctx context.Context) (source.RecordsWithSplitIDs[lineRecord[T]], error) {
	r.woken.Store(false)
	if r.cur == nil {
		if len(r.pending) == 0 {
			return &records[lineRecord[T]]{}, nil
		}
		sp := r.pending[0]
		r.pending = r.pending[1:]
		c, err := openCursor(sp, r.maxLine)
		if err != nil {
			return nil, err
		}
		r.cur = c
	}
	batch := &records[lineRecord[T]]{splitID: r.cur.split.ID}
	bytes := 0
	for len(batch.recs) < fetchLines && bytes < fetchBytes {
		if len(batch.recs)%64 == 0 && (r.woken.Load() || ctx.Err() != nil) {
			break
		}
		line, start, end, ok, err := r.cur.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			batch.finished = []string{r.cur.split.ID}
			err := r.cur.close()
			r.cur = nil
			if err != nil {
				return nil, fmt.Errorf("filesource: close %q: %w", batch.splitID, err)
			}
			break
		}
		v, err := r.decode(string(line))
		if err != nil {
			return nil, r.decodeError(start, err)
		}
		batch.recs = append(batch.recs, lineRecord[T]{value: v, next: end})
		bytes += int(end - start)
	}
	return batch, nil
}

// decodeError names the file and line; the line number is counted only
// now, since a block split does not know how many lines precede it.
func (r *splitReader[T]) decodeError(offset int64, err error) error {
	path := r.cur.split.Path
	n, lerr := lineNumber(path, offset)
	if lerr != nil {
		return fmt.Errorf("filesource: %s: line at byte offset %d: decode: %w", path, offset, err)
	}
	return fmt.Errorf("filesource: %s:%d: decode: %w", path, n, err)
}

// WakeUp implements source.SplitReader: a fetch is bounded anyway, this
// only makes it return early.
func (r *splitReader[T]) WakeUp() { r.woken.Store(true) }

// Close implements source.SplitReader.
func (r *splitReader[T]) Close() error {
	if r.cur == nil {
		return nil
	}
	err := r.cur.close()
	r.cur = nil
	return err
}

// records is one fetch's lines, all of one split.
type records[E any] struct {
	splitID  string
	recs     []E
	i        int
	started  bool
	finished []string
}

func (b *records[E]) NextSplit() (string, bool) {
	if b.started || len(b.recs) == 0 {
		return "", false
	}
	b.started = true
	return b.splitID, true
}

func (b *records[E]) NextRecord() (E, bool) {
	if b.i >= len(b.recs) {
		var zero E
		return zero, false
	}
	e := b.recs[b.i]
	var zero E
	b.recs[b.i] = zero
	b.i++
	return e, true
}

func (b *records[E]) FinishedSplits() []string { return b.finished }
