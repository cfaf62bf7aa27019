package filesource

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// expectedLines is the reference line splitting: "\n" ends a line, a
// trailing "\r" is dropped, and a final newline does not start a line.
func expectedLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	parts := strings.Split(string(content), "\n")
	if content[len(content)-1] == '\n' {
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, "\r")
	}
	return parts
}

// readSplitLines reads every line of split; with resumeEvery > 0 it
// reopens the split at its Position after every resumeEvery lines, as a
// restored reader does.
func readSplitLines(t testing.TB, split FileSplit, maxLine, resumeEvery int) ([]string, []int64) {
	t.Helper()
	c, err := openCursor(split, maxLine)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var starts []int64
	for {
		line, start, end, ok, err := c.next()
		if err != nil {
			c.close()
			t.Fatal(err)
		}
		if !ok {
			break
		}
		lines = append(lines, string(line))
		starts = append(starts, start)
		if resumeEvery > 0 && len(lines)%resumeEvery == 0 {
			c.close()
			split.Position = end
			if c, err = openCursor(split, maxLine); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.close()
	return lines, starts
}

// readAllBlocks reads a file as blocks and returns the lines in file order.
func readAllBlocks(t testing.TB, path string, content []byte, blockSize int64, resumeEvery int) []string {
	t.Helper()
	var all []string
	lastStart := int64(-1)
	for _, sp := range splitsOf(fileEntry{path: path, size: int64(len(content))}, blockSize) {
		lines, starts := readSplitLines(t, sp, DefaultMaxLineLength, resumeEvery)
		for _, s := range starts {
			if s < sp.Offset || s >= sp.End() {
				t.Fatalf("split %+v read a line starting at %d", sp, s)
			}
			if s <= lastStart {
				t.Fatalf("line start %d not after %d", s, lastStart)
			}
			if s > 0 && content[s-1] != '\n' {
				t.Fatalf("line start %d does not follow a newline", s)
			}
			lastStart = s
		}
		all = append(all, lines...)
	}
	return all
}

func writeFile(t testing.TB, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBlockSplitsTable(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"empty", ""},
		{"one line no newline", "hello"},
		{"one line", "hello\n"},
		{"crlf", "a\r\nbb\r\n\r\nccc"},
		{"empty lines", "\n\n\n"},
		{"lone cr kept inside", "a\rb\nc\r"},
		{"long line across blocks", "x\n" + strings.Repeat("y", 100) + "\nz\n"},
		{"newline at block boundaries", "abc\ndef\nghi\n"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.name, []byte(tt.content))
			want := expectedLines([]byte(tt.content))
			for bs := int64(1); bs <= int64(len(tt.content))+2; bs++ {
				for _, resume := range []int{0, 1, 2} {
					got := readAllBlocks(t, p, []byte(tt.content), bs, resume)
					if !slices.Equal(got, want) {
						t.Fatalf("block size %d resume %d: got %q, want %q", bs, resume, got, want)
					}
				}
			}
		})
	}
}

func TestBlockSplitsRandomFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for i := range 20 {
		content := randomContent(rng, rng.IntN(3000))
		p := writeFile(t, dir, "f", content)
		want := expectedLines(content)
		for _, bs := range []int64{5, 7, 16, 64, 100, 333, 1024, 4096, 1 << 20} {
			got := readAllBlocks(t, p, content, bs, i%3)
			if !slices.Equal(got, want) {
				t.Fatalf("file %d (%d bytes), block size %d: %d lines, want %d", i, len(content), bs, len(got), len(want))
			}
		}
	}
}

// randomContent mixes short and long lines, empty lines, CRLF and a
// missing final newline.
func randomContent(rng *rand.Rand, n int) []byte {
	alphabet := []byte("ab\n\r\n\nxyz")
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
		if rng.IntN(50) == 0 { // a run without newlines
			for j := 0; j < rng.IntN(300) && i < n-1; j++ {
				i++
				b[i] = 'L'
			}
		}
	}
	return b
}

func FuzzBlockSplits(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\n"), int64(2), uint8(0))
	f.Add([]byte("\r\n\r\n"), int64(1), uint8(1))
	f.Add([]byte("no newline at all"), int64(5), uint8(2))
	f.Add(bytes.Repeat([]byte("0123456789\n"), 50), int64(13), uint8(3))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte, blockSize int64, resume uint8) {
		if blockSize < 1 || len(content) > 1<<16 {
			t.Skip()
		}
		p := writeFile(t, dir, "fuzz", content)
		got := readAllBlocks(t, p, content, blockSize, int(resume%4))
		if want := expectedLines(content); !slices.Equal(got, want) {
			t.Fatalf("block size %d: got %q, want %q", blockSize, got, want)
		}
	})
}

func TestLongLines(t *testing.T) {
	dir := t.TempDir()
	// Lines longer than the 4 KiB minimum buffer but within the limit
	// are read whole, also when split across blocks.
	content := []byte("short\n" + strings.Repeat("a", 10000) + "\r\n" + strings.Repeat("b", 9000))
	p := writeFile(t, dir, "long", content)
	for _, bs := range []int64{5000, 7, 1 << 20} {
		if got, want := readAllBlocks(t, p, content, bs, 1), expectedLines(content); !slices.Equal(got, want) {
			t.Fatalf("block size %d: lines differ", bs)
		}
	}

	tests := []struct {
		name    string
		content string
		max     int
		wantErr bool
	}{
		{"at limit", "12345\nab", 5, false},
		{"at limit with crlf", "12345\r\n", 5, false},
		{"over limit", "ok\n123456\nok", 5, true},
		{"over limit at eof", "ok\n123456", 5, true},
		{"over limit beyond buffer", "ok\n" + strings.Repeat("z", 20000) + "\n", 10000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, "limit", []byte(tt.content))
			c, err := openCursor(FileSplit{ID: "s", Path: p, Length: int64(len(tt.content))}, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			for {
				_, _, _, ok, err := c.next()
				if err != nil {
					if !tt.wantErr {
						t.Fatalf("unexpected error %v", err)
					}
					if !strings.Contains(err.Error(), "byte offset 3 of "+`"`+p+`"`) || !strings.Contains(err.Error(), "longer than") {
						t.Fatalf("error does not name file and offset: %v", err)
					}
					return
				}
				if !ok {
					break
				}
			}
			if tt.wantErr {
				t.Fatal("no error for a line over the limit")
			}
		})
	}
}

func TestLineNumber(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "n", []byte("a\nbb\n\nccc\n"))
	tests := []struct {
		offset int64
		want   int64
	}{{0, 1}, {2, 2}, {5, 3}, {6, 4}}
	for _, tt := range tests {
		got, err := lineNumber(p, tt.offset)
		if err != nil || got != tt.want {
			t.Errorf("lineNumber(%d) = %d, %v; want %d", tt.offset, got, err, tt.want)
		}
	}
}

func TestOpenMissingFileNamesIt(t *testing.T) {
	_, err := openCursor(FileSplit{ID: "x:0", Path: "/nonexistent/file.txt", Length: 10}, 100)
	if err == nil || !strings.Contains(err.Error(), `"/nonexistent/file.txt"`) || !strings.HasPrefix(err.Error(), "filesource: ") {
		t.Fatalf("error %v", err)
	}
}
