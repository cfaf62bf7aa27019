package filesource

import (
	"context"
	"fmt"

	"github.com/weirstream/weir/source"
)

const (
	// fetchLines and fetchBytes bound one fetch, so the fetcher hands
	// records over in batches large enough to amortize the hand-over and
	// small enough to keep memory flat.
	fetchLines = 1024
	fetchBytes = 1 << 20
	// queueCapacity is how many fetched batches wait for the subtask, as
	// Flink's default: enough to overlap reading and emitting.
	queueCapacity = 2
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
	}, queueCapacity)
	r := source.NewSourceReaderBase(mgr, source.RecordEmitter[lineRecord[T], T, *FileSplit](emitter[T]{}),
		func(sp FileSplit) *FileSplit { return &sp },
		func(_ string, st *FileSplit) FileSplit { return *st },
		nil, ctx)
	r.RequestSplitsWhenIdle = true
	return r, nil
}

// emitter emits a line and advances its split's Position past it, so a
// snapshot taken after any record resumes at the next line.
type emitter[T any] struct{}

func (emitter[T]) Emit(r lineRecord[T], out source.SourceOutput[T], st *FileSplit) error {
	out.Collect(r.value)
	st.Position = r.next
	return nil
}

// splitReader reads the lines of its splits in the fetcher goroutine, one
// split after the other.
type splitReader[T any] struct {
	decode  func(string) (T, error)
	maxLine int

	pending []FileSplit
	cur     *cursor
}

// HandleSplitsChanges implements source.SplitReader.
func (r *splitReader[T]) HandleSplitsChanges(added []FileSplit) {
	r.pending = append(r.pending, added...)
}

// Fetch implements source.SplitReader: it reads up to fetchLines lines or
// fetchBytes bytes of the current split, less when ctx is done, and
// reports the split finished with its last lines.
func (r *splitReader[T]) Fetch(ctx context.Context) (source.RecordsWithSplitIDs[lineRecord[T]], error) {
	if r.cur == nil {
		if len(r.pending) == 0 {
			return nil, nil
		}
		sp := r.pending[0]
		r.pending = r.pending[1:]
		c, err := openCursor(sp, r.maxLine)
		if err != nil {
			return nil, err
		}
		r.cur = c
	}
	batch := &source.RecordsBySplits[lineRecord[T]]{}
	id := r.cur.split.ID
	lines, bytes := 0, int64(0)
	for lines < fetchLines && bytes < fetchBytes {
		// Lines already read are kept: a woken fetch hands them over.
		if lines%64 == 63 && ctx.Err() != nil {
			break
		}
		line, start, end, ok, err := r.cur.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			batch.AddFinishedSplit(id)
			err := r.cur.close()
			r.cur = nil
			if err != nil {
				return nil, fmt.Errorf("filesource: close %q: %w", id, err)
			}
			break
		}
		v, err := r.decode(string(line))
		if err != nil {
			return nil, r.decodeError(start, err)
		}
		batch.Add(id, lineRecord[T]{value: v, next: end})
		lines++
		bytes += end - start
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

// WakeUp implements source.SplitReader. File reads do not block for long
// and Fetch watches its context, so there is nothing to interrupt.
func (r *splitReader[T]) WakeUp() {}

// Close implements source.SplitReader.
func (r *splitReader[T]) Close() error {
	if r.cur == nil {
		return nil
	}
	err := r.cur.close()
	r.cur = nil
	return err
}
