package socket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/source"
)

// readSize is how much one read asks for.
const readSize = 64 << 10

// CreateReader implements source.Source: a SourceReaderBase whose fetcher
// goroutine connects (or reads the reader) and does the blocking reads.
func (s *Source) CreateReader(ctx source.ReaderContext) (source.SourceReader[string, Split], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	mgr := source.NewSingleThreadFetcherManager(func() source.SplitReader[string, Split] {
		return &splitReader{src: s}
	})
	return source.NewSourceReaderBase(mgr, emitter{},
		func(sp Split) Split { return sp },
		func(_ string, sp Split) Split { return sp },
		func(map[string]Split) error { return nil },
		ctx, source.RequestSplitsWhenIdle()), nil
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

	// connMu guards conn, which WakeUp and Close use from other goroutines.
	connMu sync.Mutex
	conn   net.Conn
	// woken makes the next or running Fetch return early.
	woken  atomic.Bool
	wakeCh chan struct{}

	pump *pump // reader input, nil for sockets
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
		return &records{}, nil
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
			return &records{}, err
		}
		conn = c
	}
	// Clear a deadline a previous WakeUp set, then honour a wake-up that
	// raced with the clearing.
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("socket: %s: %w", r.src.name, err)
	}
	if r.woken.Swap(false) {
		return &records{}, nil
	}
	buf := make([]byte, readSize)
	n, err := conn.Read(buf)
	recs, ferr := r.fr.feed(buf[:n], nil)
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
		if ctx.Err() != nil {
			return &records{}, nil
		}
		return nil, fmt.Errorf("socket: read from %s: %w", r.src.name, err)
	}
	return &records{splitID: r.split.ID, recs: recs}, nil
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
			case <-r.wake():
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

// wake returns a channel closed by WakeUp.
func (r *splitReader) wake() <-chan struct{} {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.wakeCh == nil {
		r.wakeCh = make(chan struct{})
	}
	if r.woken.Swap(false) {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return r.wakeCh
}

func (r *splitReader) fetchReader(ctx context.Context) (source.RecordsWithSplitIDs[string], error) {
	if r.pump == nil {
		r.pump = startPump(r.src.r)
	}
	select {
	case chunk, ok := <-r.pump.data:
		if !ok {
			if err := r.pump.err; err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				return nil, fmt.Errorf("socket: read %s: %w", r.src.name, err)
			}
			return r.finish(nil), nil
		}
		recs, err := r.fr.feed(chunk, nil)
		if err != nil {
			return nil, err
		}
		return &records{splitID: r.split.ID, recs: recs}, nil
	case <-ctx.Done():
		return &records{}, nil
	case <-r.wake():
		return &records{}, nil
	}
}

// finish ends the stream: the last record without a delimiter counts, and
// the split is done.
func (r *splitReader) finish(recs []string) *records {
	if last, ok := r.fr.flush(); ok {
		recs = append(recs, last)
	}
	r.done = true
	return &records{splitID: r.split.ID, recs: recs, finished: []string{r.split.ID}}
}

// WakeUp implements source.SplitReader: it interrupts a blocking read
// through the connection's deadline, or a wait for reader input or for the
// next connection attempt through the wake channel.
func (r *splitReader) WakeUp() {
	r.woken.Store(true)
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.conn != nil {
		_ = r.conn.SetReadDeadline(time.Now())
	}
	if r.wakeCh != nil {
		close(r.wakeCh)
		r.wakeCh = nil
	}
}

// Close implements source.SplitReader. It closes the connection; a pump
// blocked in the reader's Read stays until that Read returns (an io.Reader
// cannot be interrupted), and then exits without touching the source.
func (r *splitReader) Close() error {
	if r.pump != nil {
		r.pump.stop()
	}
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
// input and for a wake-up at the same time.
type pump struct {
	data chan []byte
	// err is the error that ended the input, readable once data is closed.
	err  error
	quit chan struct{}
	once sync.Once
}

func startPump(r io.Reader) *pump {
	p := &pump{data: make(chan []byte, 1), quit: make(chan struct{})}
	go func() {
		defer close(p.data)
		for {
			buf := make([]byte, readSize)
			n, err := r.Read(buf)
			if n > 0 {
				select {
				case p.data <- buf[:n]:
				case <-p.quit:
					return
				}
			}
			if err != nil {
				p.err = err
				return
			}
		}
	}()
	return p
}

func (p *pump) stop() { p.once.Do(func() { close(p.quit) }) }

// records is the result of one fetch.
type records struct {
	splitID  string
	recs     []string
	i        int
	started  bool
	finished []string
}

func (b *records) NextSplit() (string, bool) {
	if b.started || len(b.recs) == 0 {
		return "", false
	}
	b.started = true
	return b.splitID, true
}

func (b *records) NextRecord() (string, bool) {
	if b.i >= len(b.recs) {
		return "", false
	}
	b.i++
	return b.recs[b.i-1], true
}

func (b *records) FinishedSplits() []string { return b.finished }
