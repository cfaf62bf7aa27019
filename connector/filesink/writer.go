package filesink

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/weirstream/weir/sink"
)

// writeBufferSize trades memory per open part for fewer write syscalls.
const writeBufferSize = 64 << 10

var errClosed = errors.New("filesink: writer used after Close; create a new writer")

// Writer writes one subtask's records into part files. It implements
// sink.CommittingWriter[T, Committable] and, like every sink.Writer, is used
// from one goroutine.
type Writer[T any] struct {
	sink     *Sink[T]
	init     sink.InitContext
	dir      string // absolute base directory
	ptAssign ProcessingTimeBucketAssigner[T]

	// Rolling thresholds in milliseconds, InitContext.Now's unit.
	maxSize, rolloverMs, inactivityMs int64

	id        string // one random UUID per writer, part of every file name
	nextPart  int64
	open      map[string]*part  // open part by bucket ID
	dirs      map[string]string // created directory by bucket ID
	pending   []Committable
	lastCheck int64 // time of the last sweep over open parts
	checked   bool
	closed    bool
}

var _ sink.CommittingWriter[string, Committable] = (*Writer[string])(nil)

// part is one open in-progress file. It is the io.Writer encoders write
// into, so it can count bytes without an extra layer.
type part struct {
	bucket     string
	inProgress string
	final      string
	f          *os.File
	buf        *bufio.Writer
	size       int64
	created    int64
	lastWrite  int64
}

func (p *part) Write(b []byte) (int, error) {
	n, err := p.buf.Write(b)
	p.size += int64(n)
	return n, err
}

func (p *part) WriteString(s string) (int, error) {
	n, err := p.buf.WriteString(s)
	p.size += int64(n)
	return n, err
}

func (s *Sink[T]) newWriter(ctx sink.InitContext) (*Writer[T], error) {
	dir, err := s.validate()
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, errors.New("filesink: CreateWriter needs an InitContext (its clock drives rolling)")
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("filesink: generate writer id: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filesink: create output directory %s: %w (%s)", dir, err, advice(err, dir))
	}
	w := &Writer[T]{
		sink:         s,
		init:         ctx,
		dir:          dir,
		maxSize:      s.policy.MaxPartSize,
		rolloverMs:   s.policy.RolloverInterval.Milliseconds(),
		inactivityMs: s.policy.InactivityInterval.Milliseconds(),
		id:           id.String(),
		open:         make(map[string]*part),
		dirs:         map[string]string{"": dir},
	}
	w.ptAssign, _ = s.assigner.(ProcessingTimeBucketAssigner[T])
	return w, nil
}

// Write appends v to the open part of its bucket, opening one if needed.
// Before that it rolls parts whose time is up; after it, the part if it
// exceeds the size limit.
func (w *Writer[T]) Write(v T, ctx sink.Context) error {
	if w.closed {
		return errClosed
	}
	now := w.init.Now()
	// Sweeping costs one pass over the open parts; doing it once per clock
	// tick keeps it off the per-record path at high rates.
	if !w.checked || now != w.lastCheck {
		if err := w.rollTimedOut(now); err != nil {
			return err
		}
	}
	var bucket string
	if w.ptAssign != nil {
		bucket = w.ptAssign.BucketIDAt(v, ctx, now)
	} else {
		bucket = w.sink.assigner.BucketID(v, ctx)
	}
	p := w.open[bucket]
	if p == nil {
		var err error
		if p, err = w.openPart(bucket, now); err != nil {
			return err
		}
	}
	if err := w.sink.enc(p, v); err != nil {
		return fmt.Errorf("filesink: write record to %s: %w (%s)", p.inProgress, err, advice(err, filepath.Dir(p.inProgress)))
	}
	p.lastWrite = now
	if p.size > w.maxSize {
		return w.roll(p)
	}
	return nil
}

// Flush with endOfInput rolls every open part, so the following
// PrepareCommit returns all data written. Without it, Flush rolls parts
// whose time is up and hands buffered bytes of the others to the operating
// system; they stay open.
func (w *Writer[T]) Flush(endOfInput bool) error {
	if w.closed {
		return errClosed
	}
	if endOfInput {
		return w.rollAll()
	}
	if err := w.rollTimedOut(w.init.Now()); err != nil {
		return err
	}
	for _, b := range slices.Sorted(maps.Keys(w.open)) {
		p := w.open[b]
		if err := p.buf.Flush(); err != nil {
			return fmt.Errorf("filesink: flush part file %s: %w (%s)", p.inProgress, err, advice(err, filepath.Dir(p.inProgress)))
		}
	}
	return nil
}

// PrepareCommit returns the parts finished since the last call, ready to be
// committed. Unless the rolling policy keeps parts open on checkpoints, it
// first rolls every open part, so the checkpoint this belongs to covers all
// records written so far.
func (w *Writer[T]) PrepareCommit() ([]Committable, error) {
	if w.closed {
		return nil, errClosed
	}
	if !w.sink.policy.KeepPartsOpenOnCheckpoint {
		if err := w.rollAll(); err != nil {
			return nil, err
		}
	}
	out := w.pending
	w.pending = nil
	return out, nil
}

// Close closes open part files without committing them: they stay as
// in-progress files, and pending parts not yet returned by PrepareCommit are
// dropped. Records in them are replayed from the last checkpoint after a
// restore. Close is idempotent.
func (w *Writer[T]) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	for _, b := range slices.Sorted(maps.Keys(w.open)) {
		p := w.open[b]
		err := p.buf.Flush()
		if cerr := p.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("filesink: close in-progress file %s: %w", p.inProgress, err))
		}
	}
	clear(w.open)
	w.pending = nil
	return errors.Join(errs...)
}

func (w *Writer[T]) rollTimedOut(now int64) error {
	w.lastCheck, w.checked = now, true
	if len(w.open) == 0 {
		return nil
	}
	for _, b := range slices.Sorted(maps.Keys(w.open)) {
		p := w.open[b]
		if now-p.created >= w.rolloverMs || now-p.lastWrite >= w.inactivityMs {
			if err := w.roll(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer[T]) rollAll() error {
	for _, b := range slices.Sorted(maps.Keys(w.open)) {
		if err := w.roll(w.open[b]); err != nil {
			return err
		}
	}
	return nil
}

// roll finishes p: its bytes reach the disk before it becomes pending, so a
// committed part is complete even after a machine crash.
func (w *Writer[T]) roll(p *part) error {
	delete(w.open, p.bucket)
	err := p.buf.Flush()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("filesink: finish part file %s: %w (%s)", p.inProgress, err, advice(err, filepath.Dir(p.inProgress)))
	}
	w.pending = append(w.pending, Committable{Bucket: p.bucket, InProgressPath: p.inProgress, FinalPath: p.final})
	return nil
}

func (w *Writer[T]) openPart(bucket string, now int64) (*part, error) {
	dir, err := w.bucketDir(bucket)
	if err != nil {
		return nil, err
	}
	name := w.sink.prefix + "-" + w.id + "-" + strconv.FormatInt(w.nextPart, 10) + w.sink.suffix
	p := &part{
		bucket:     bucket,
		final:      filepath.Join(dir, name),
		inProgress: filepath.Join(dir, "."+name+".inprogress."+uuid.NewString()),
		created:    now,
		lastWrite:  now,
	}
	p.f, err = os.OpenFile(p.inProgress, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("filesink: create part file %s: %w (%s)", p.inProgress, err, advice(err, dir))
	}
	w.nextPart++
	p.buf = bufio.NewWriterSize(p.f, writeBufferSize)
	w.open[bucket] = p
	return p, nil
}

func (w *Writer[T]) bucketDir(bucket string) (string, error) {
	if dir, ok := w.dirs[bucket]; ok {
		return dir, nil
	}
	if !filepath.IsLocal(filepath.FromSlash(bucket)) {
		return "", fmt.Errorf("filesink: bucket ID %q is not a relative path inside %s; make the bucket assigner return a relative path without \"..\" (or \"\" for the base directory)", bucket, w.dir)
	}
	dir := filepath.Join(w.dir, filepath.FromSlash(bucket))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("filesink: create bucket directory %s: %w (%s)", dir, err, advice(err, dir))
	}
	w.dirs[bucket] = dir
	return dir, nil
}
