package socket

import (
	"bytes"
	"fmt"
)

// framer cuts a byte stream into delimiter-terminated records.
type framer struct {
	name  string
	delim byte
	max   int
	// partial is the start of a record whose delimiter has not arrived.
	partial []byte
	// offset is the stream offset of partial's first byte, for errors.
	offset int64
}

// feed appends the complete records in data to out.
func (f *framer) feed(data []byte, out []string) ([]string, error) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, f.delim)
		if i < 0 {
			if len(f.partial)+len(data) > f.max {
				return out, f.tooLong()
			}
			f.partial = append(f.partial, data...)
			return out, nil
		}
		rec := data[:i]
		if len(f.partial) > 0 {
			f.partial = append(f.partial, rec...)
			rec = f.partial
		}
		if len(rec) > f.max {
			return out, f.tooLong()
		}
		out = append(out, f.record(rec))
		f.offset += int64(len(rec)) + 1
		f.partial = f.partial[:0]
		data = data[i+1:]
	}
	return out, nil
}

// flush returns the record the stream ended in without a delimiter.
func (f *framer) flush() (string, bool) {
	if len(f.partial) == 0 {
		return "", false
	}
	rec := f.record(f.partial)
	f.offset += int64(len(f.partial))
	f.partial = f.partial[:0]
	return rec, true
}

// record copies rec into a string, dropping the "\r" of a "\r\n" line end.
func (f *framer) record(rec []byte) string {
	if f.delim == '\n' {
		rec = bytes.TrimSuffix(rec, []byte{'\r'})
	}
	return string(rec)
}

func (f *framer) tooLong() error {
	return fmt.Errorf("socket: record at byte %d of %s is longer than %d bytes; is the delimiter %q right?", f.offset, f.name, f.max, f.delim)
}
