package filesource

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	// DefaultBlockSize is the largest split a file is read as by default.
	DefaultBlockSize int64 = 32 << 20
	// DefaultMaxLineLength is the longest line accepted by default; a longer
	// one fails the job rather than being truncated.
	DefaultMaxLineLength = 64 << 20
	// readBufferSize is the bufio buffer: large, because file reads are
	// sequential and a read call costs far more than copying.
	readBufferSize = 1 << 20
)

// cursor reads the lines of one split.
type cursor struct {
	split   FileSplit
	f       *os.File
	br      *bufio.Reader
	pos     int64 // file offset of the next byte br returns
	maxLine int
	// long accumulates a line longer than the bufio buffer.
	long []byte
}

// openCursor opens split and positions it at the first line to read: the
// first line starting at or after split.Position.
func openCursor(split FileSplit, maxLine int) (*cursor, error) {
	f, err := os.Open(split.Path)
	if err != nil {
		return nil, fmt.Errorf("filesource: open %q for split %s: %w", split.Path, split.ID, err)
	}
	c := &cursor{split: split, f: f, maxLine: maxLine}
	start := max(split.Position, split.Offset)
	size := min(max(split.End()-start+1, 4096), readBufferSize)
	if start == 0 {
		c.br = bufio.NewReaderSize(f, int(size))
		return c, nil
	}
	// A line starts at start exactly when the byte before it is a newline:
	// reading from start-1 through the next newline lands on the first
	// line start at or after start, whether start is one or not.
	if _, err := f.Seek(start-1, io.SeekStart); err != nil {
		_ = f.Close() // read-only: nothing to lose, the seek error is the news
		return nil, fmt.Errorf("filesource: seek to byte %d of %q: %w", start-1, split.Path, err)
	}
	c.br = bufio.NewReaderSize(f, int(size))
	c.pos = start - 1
	for {
		chunk, err := c.br.ReadSlice('\n')
		c.pos += int64(len(chunk))
		if err == nil || errors.Is(err, io.EOF) {
			return c, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			_ = f.Close() // read-only: the read error is the news
			return nil, fmt.Errorf("filesource: read %q at byte %d: %w", split.Path, c.pos, err)
		}
	}
}

// next returns the next line of the split without its line ending, the
// offset it starts at and the offset after it. ok is false at the end of
// the split. line is valid until the next call.
func (c *cursor) next() (line []byte, start, end int64, ok bool, err error) {
	start = c.pos
	if start >= c.split.End() {
		return nil, start, start, false, nil
	}
	c.long = c.long[:0]
	for {
		chunk, err := c.br.ReadSlice('\n')
		c.pos += int64(len(chunk))
		switch {
		case err == nil || errors.Is(err, io.EOF):
			if len(c.long) > 0 {
				c.long = append(c.long, chunk...)
				chunk = c.long
			}
			if len(chunk) > c.maxLine+2 || len(trimEOL(chunk)) > c.maxLine {
				return nil, start, c.pos, false, c.tooLong(start)
			}
			if len(chunk) == 0 { // end of file
				return nil, start, start, false, nil
			}
			return trimEOL(chunk), start, c.pos, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(c.long)+len(chunk) > c.maxLine+2 {
				return nil, start, c.pos, false, c.tooLong(start)
			}
			c.long = append(c.long, chunk...)
		default:
			return nil, start, c.pos, false, fmt.Errorf("filesource: read %q at byte %d: %w", c.split.Path, c.pos, err)
		}
	}
}

func (c *cursor) tooLong(start int64) error {
	return fmt.Errorf("filesource: line at byte offset %d of %q is longer than %d bytes; the file is probably not line-delimited text (raise the limit with WithMaxLineLength)", start, c.split.Path, c.maxLine)
}

func (c *cursor) close() error { return c.f.Close() }

// trimEOL drops a trailing "\n" and then a trailing "\r".
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// lineNumber is the 1-based number of the line starting at offset in path,
// counted only when an error needs it because block splits do not know how
// many lines precede them.
func lineNumber(path string, offset int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	// Read-only, and only for an error message: a close error changes
	// nothing.
	defer func() { _ = f.Close() }()
	n := int64(1)
	buf := make([]byte, 64<<10)
	r := io.LimitReader(f, offset)
	for {
		k, err := r.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
