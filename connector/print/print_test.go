package print

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/sink"
)

type fakeInit struct{ subtask, parallelism int }

func (f fakeInit) SubtaskIndex() int             { return f.subtask }
func (f fakeInit) Parallelism() int              { return f.parallelism }
func (f fakeInit) AttemptNumber() int            { return 0 }
func (f fakeInit) Config() *config.Configuration { return config.New() }
func (f fakeInit) Now() int64                    { return 0 }

func TestPrefixes(t *testing.T) {
	tests := []struct {
		name                 string
		opts                 []Option
		subtask, parallelism int
		want                 string
	}{
		{"no identifier, parallelism 1", nil, 0, 1, "hello\n"},
		{"no identifier, parallelism 4", nil, 2, 4, "3> hello\n"},
		{"identifier, parallelism 1", []Option{WithPrefix("id")}, 0, 1, "id> hello\n"},
		{"identifier, parallelism 4", []Option{WithPrefix("id")}, 3, 4, "id:4> hello\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			s := New[string](append(tc.opts, To(&buf))...)
			w, err := s.CreateWriter(fakeInit{tc.subtask, tc.parallelism})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write("hello", sink.Context{}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Fatalf("printed %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestValuesUseSprint(t *testing.T) {
	type point struct{ X, Y int }
	var buf bytes.Buffer
	w, err := New[any](To(&buf)).CreateWriter(fakeInit{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{point{1, 2}, 3.5, []int{1, 2}, nil, errors.New("e")} {
		if err := w.Write(v, sink.Context{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := buf.String(), "{1 2}\n3.5\n[1 2]\n<nil>\ne\n"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
}

// chunkWriter records every Write call separately, so a test sees whether a
// line was split over calls or two calls overlapped.
type chunkWriter struct {
	inside   sync.Mutex // held during a Write; TryLock failing means overlap
	mu       sync.Mutex // guards chunks and overlaps
	chunks   []string
	overlaps int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if !c.inside.TryLock() {
		c.mu.Lock()
		c.overlaps++
		c.mu.Unlock()
	} else {
		defer c.inside.Unlock()
	}
	c.mu.Lock()
	c.chunks = append(c.chunks, string(p))
	c.mu.Unlock()
	return len(p), nil
}

func TestNoInterleavingUnderConcurrentWriters(t *testing.T) {
	const writers, lines = 8, 500
	out := &chunkWriter{}
	s := New[string](To(out), WithPrefix("sink"))
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			w, err := s.CreateWriter(fakeInit{i, writers})
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			long := strings.Repeat("x", 100*i)
			for j := range lines {
				if err := w.Write(fmt.Sprintf("w%d-%d-%s", i, j, long), sink.Context{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if out.overlaps != 0 {
		t.Fatalf("%d writes overlapped", out.overlaps)
	}
	if len(out.chunks) != writers*lines {
		t.Fatalf("%d writes, want one per line (%d)", len(out.chunks), writers*lines)
	}
	next := make([]int, writers)
	for _, c := range out.chunks {
		var sub, w, j int
		head, rest, ok := strings.Cut(strings.TrimSuffix(c, "\n"), "-x")
		if !ok {
			head, rest = strings.TrimSuffix(c, "-\n"), ""
		} else {
			rest = "x" + rest
		}
		if _, err := fmt.Sscanf(head, "sink:%d> w%d-%d", &sub, &w, &j); err != nil {
			t.Fatalf("malformed line %q: %v", c, err)
		}
		if sub != w+1 || j != next[w] || rest != strings.Repeat("x", 100*w) || strings.Count(c, "\n") != 1 || !strings.HasSuffix(c, "\n") {
			t.Fatalf("line %q: wrong subtask, order or content", c)
		}
		next[w]++
	}
}

func TestStdoutAndStderr(t *testing.T) {
	tests := []struct {
		name   string
		opts   func() []Option // evaluated after the stream is redirected
		stream **os.File
	}{
		{"stdout by default", func() []Option { return nil }, &os.Stdout},
		{"stderr", func() []Option { return []Option{ToStderr()} }, &os.Stderr},
		{"To(os.Stdout)", func() []Option { return []Option{To(os.Stdout)} }, &os.Stdout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			orig := *tc.stream
			*tc.stream = f
			defer func() { *tc.stream = orig }()
			s := New[int](append(tc.opts(), WithPrefix("p"))...)
			w, err := s.CreateWriter(fakeInit{1, 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(7, sink.Context{}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != "p:2> 7\n" {
				t.Fatalf("stream got %q", b)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestErrorsAndFlush(t *testing.T) {
	w, err := New[int](To(failingWriter{})).CreateWriter(fakeInit{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(1, sink.Context{}); err == nil || !strings.HasPrefix(err.Error(), "print: ") || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("Write = %v, want a print error carrying the cause", err)
	}

	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	w, err = New[int](To(bw)).CreateWriter(fakeInit{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Write(i, sink.Context{}); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("bufio flushed early: %q", buf.String())
	}
	if err := w.Flush(false); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSpace(buf.String()), "\n"); !slices.Equal(got, []string{"0", "1", "2"}) {
		t.Fatalf("after Flush %q", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(4, sink.Context{}); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if _, err := New[int]().CreateWriter(nil); err == nil {
		t.Fatal("CreateWriter(nil) succeeded")
	}
}
