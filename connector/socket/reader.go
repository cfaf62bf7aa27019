package socket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/weirstream/weir/source"
)

const (
	// readSize is how much one read asks for.
	readSize = 64 << 10
	// queueCapacity is how many reads wait for the subtask.
	queueCapacity = 2
)

// CreateReader implements source.Source: a SourceReaderBase whose fetcher
// goroutine connects (or reads the reader) and does the blocking reads.
func (s *Source) CreateReader(ctx source.ReaderContext) (source.SourceReader[string, Split], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	mgr := source.NewSingleThreadFetcherManager(func() source.SplitReader[string, Split] {
		return &splitReader{src: s}
	}, queueCapacity)
	// The enumerator pushes the split to subtask 0 and no-more-splits to
	// every reader when it registers, so readers need not ask.
	return source.NewSourceReaderBase(mgr, source.RecordEmitter[string, string, Split](emitter{}),
		func(sp Split) Split { return sp },
		func(_ string, sp Split) Split { return sp },
		nil, ctx), nil
}

// emitter emits a record; a stream has no position to track.
type emitter struct{}

func (emitter) Emit(rec string, out source.SourceOutput[string], _ Split) error {
	out.Collect(rec)
	return nil
}

// splitReader reads the one stream in the fetcher goroutine.
type splitReader struct {
	src   *Source
	split *Split
	fr    *framer
	done  bool
	// attempts counts failed connection attempts; nextDial is when the
	// next one is due.
	attempts int
	nextDial time.Time

	// connMu guards conn, which WakeUp uses from another goroutine.
	connMu sync.Mutex
	conn   net.Conn

	buf []byte
}

// HandleSplitsChanges implements source.SplitReader.
func (r *splitReader) HandleSplitsChanges(added []Split) {
	if len(added) > 0 && r.split == nil {
		sp := added[0]
		r.split = &sp
		r.fr = &framer{name: r.src.describe(), delim: r.src.delimiter, max: MaxRecordLength}
	}
}

func (s *Source) describe() string {
	if s.r != nil {
		return s.name
	}
	return "socket " + s.name
}

// Fetch implements source.SplitReader: it returns the records of one read.
func (r *splitReader) Fetch(ctx context.Context) (source.RecordsWithSplitIDs[string], error) {
	if r.split == nil || r.done {
		return nil, nil
	}
	if r.src.r != nil {
		return r.fetchReader(ctx)
	}
	return r.fetchSocket(ctx)
}

func (r *splitReader) fetchSocket(ctx context.Context) (source.RecordsWithSplitIDs[string], error) {
	r.connMu.Lock()
	conn := r.conn
	r.connMu.Unlock()
	if conn == nil {
		c, err := r.connect(ctx)
		if err != nil || c == nil {
			return nil, err
		}
		conn = c
	}
	// Clear the deadline a previous WakeUp set. The fetcher cancels ctx
	// before it calls WakeUp, so a WakeUp that came before the clearing is
	// seen here and one that comes after it sets the deadline again.
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("socket: %s: %w", r.src.name, err)
	}
	if ctx.Err() != nil {
		return nil, nil
	}
	if r.buf == nil {
		r.buf = make([]byte, readSize)
	}
	// The framer copies what it keeps, so the buffer is reused.
	n, err := conn.Read(r.buf)
	recs, ferr := r.fr.feed(r.buf[:n], nil)
	if ferr != nil {
		return nil, ferr
	}
	var ne net.Error
	switch {
	case err == nil:
	case errors.As(err, &ne) && ne.Timeout():
		// WakeUp's deadline: hand over what there is.
	case errors.Is(err, io.EOF):
		return r.finish(recs), nil
	default:
		return nil, fmt.Errorf("socket: read from %s: %w", r.src.name, err)
	}
	return r.batch(recs, false), nil
}

// connect dials the server, at most maxRetries+1 times over all calls, a
// retry delay apart. It returns neither a connection nor an error when
// woken or cancelled while waiting, so the fetcher can look at new work;
// the next call keeps counting and waiting where this one stopped.
func (r *splitReader) connect(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	for {
		if wait := time.Until(r.nextDial); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, nil
			}
		}
		c, err := d.DialContext(ctx, "tcp", r.src.addr)
		if err == nil {
			r.connMu.Lock()
			r.conn = c
			r.connMu.Unlock()
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		r.attempts++
		if r.src.maxRetries >= 0 && r.attempts > r.src.maxRetries {
			return nil, fmt.Errorf("socket: cannot connect to %s after %d attempt(s): %w; is a server listening there (e.g. nc -lk)?", r.src.addr, r.attempts, err)
		}
		r.nextDial = time.Now().Add(r.src.retryDelay)
	}
}

func (r *splitReader) fetchReader(ctx context.Context) (source.RecordsWithSplitIDs[string], error) {
	in := r.src.input()
	select {
	case chunk, ok := <-in.data:
		if !ok {
			if err := in.err; err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				return nil, fmt.Errorf("socket: read %s: %w", r.src.name, err)
			}
			return r.finish(nil), nil
		}
		recs, err := r.fr.feed(chunk, nil)
		if err != nil {
			return nil, err
		}
		return r.batch(recs, false), nil
	case <-ctx.Done():
		return nil, nil
	}
}

// finish ends the stream: the last record without a delimiter counts, and
// the split is done.
func (r *splitReader) finish(recs []string) source.RecordsWithSplitIDs[string] {
	if last, ok := r.fr.flush(); ok {
		recs = append(recs, last)
	}
	r.done = true
	return r.batch(recs, true)
}

// batch wraps the records of one read; nil when there is nothing to hand
// over.
func (r *splitReader) batch(recs []string, finished bool) source.RecordsWithSplitIDs[string] {
	if len(recs) == 0 && !finished {
		return nil
	}
	b := &source.RecordsBySplits[string]{}
	for _, rec := range recs {
		b.Add(r.split.ID, rec)
	}
	if finished {
		b.AddFinishedSplit(r.split.ID)
	}
	return b
}

// WakeUp implements source.SplitReader: it interrupts a blocking read
// through the connection's deadline; waits for reader input and for the
// next connection attempt watch Fetch's context instead.
func (r *splitReader) WakeUp() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.conn != nil {
		// An error means the connection is closed, and then Read returns
		// anyway.
		_ = r.conn.SetReadDeadline(time.Now())
	}
}

// Close implements source.SplitReader: it closes the connection.
func (r *splitReader) Close() error {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	r.conn = nil
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("socket: close connection to %s: %w", r.src.name, err)
	}
	return nil
}

// pump reads an io.Reader in its own goroutine, so Fetch can wait for
// input and for its context at the same time. There is one pump per
// Source, not per reader: an io.Reader cannot be interrupted, so a pump
// lives until the reader's EOF (or error), and a reader restarted in the
// same process continues with the chunks its predecessor had not taken.
// A pump nobody takes from blocks after one chunk, which stops reading.
type pump struct {
	data chan []byte
	// err is the error that ended the input, readable once data is closed.
	err error
}

// input returns the Source's pump, starting it on first use.
func (s *Source) input() *pump {
	s.pumpOnce.Do(func() { s.pump = startPump(s.r) })
	return s.pump
}

func startPump(r io.Reader) *pump {
	p := &pump{data: make(chan []byte, 1)}
	go func() {
		defer close(p.data)
		for {
			buf := make([]byte, readSize)
			n, err := r.Read(buf)
			if n > 0 {
				p.data <- buf[:n]
			}
			if err != nil {
				p.err = err
				return
			}
		}
	}()
	return p
}
