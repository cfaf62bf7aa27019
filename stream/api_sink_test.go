package stream_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/filesink"
	"github.com/weirstream/weir/connector/filesource"
	"github.com/weirstream/weir/connector/print"
	"github.com/weirstream/weir/connector/socket"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

// Sinks through whole jobs: the print sink's line format and the file sink
// with its committed part files; the file source feeds one of them.

// bySubtask appends the index of the subtask that produced each value, so a
// printed line can be checked against its prefix.
type bySubtask struct{ sub int }

func (b *bySubtask) Open(rc stream.RuntimeContext) error { b.sub = rc.IndexOfThisSubtask(); return nil }

func (b *bySubtask) ProcessElement(_ stream.Context, v int64, out stream.Collector[string]) error {
	out.Collect(fmt.Sprintf("v%d@%d", v, b.sub))
	return nil
}

func TestAPIPrintSinkFormat(t *testing.T) {
	const n = 200
	type tc struct {
		p      int
		prefix string
		// line is Flink's PrintSinkOutputWriter format, written out here.
		line func(value string, subtask int) string
	}
	cases := []tc{
		{p: 1, line: func(v string, _ int) string { return v }},
		{p: 1, prefix: "out", line: func(v string, _ int) string { return "out> " + v }},
		{p: 2, line: func(v string, sub int) string { return fmt.Sprintf("%d> %s", sub+1, v) }},
		{p: 2, prefix: "out", line: func(v string, sub int) string { return fmt.Sprintf("out:%d> %s", sub+1, v) }},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("p=%d/prefix=%q", c.p, c.prefix), func(t *testing.T) {
			var buf bytes.Buffer
			env := quietEnv(c.p)
			nums := stream.FromSource(env, datagen.Sequence(0, n-1), eventtime.NoWatermarks[int64](), "nums")
			tagged := stream.Process[int64, string](nums, &bySubtask{})
			opts := []print.Option{print.To(&buf)}
			if c.prefix != "" {
				opts = append(opts, print.WithPrefix(c.prefix))
			}
			stream.SinkTo(tagged, print.New[string](opts...)) // chained: same subtask as the tagger
			execute(t, env)

			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != n {
				t.Fatalf("%d lines printed, want %d", len(lines), n)
			}
			seen := map[int]bool{}
			for _, line := range lines {
				// The payload says which value and subtask the line is for;
				// the prefix in front of it must match that subtask.
				var v, sub int
				at := strings.LastIndex(line, "v")
				if at < 0 {
					t.Fatalf("line %q has no value", line)
				}
				if _, err := fmt.Sscanf(line[at:], "v%d@%d", &v, &sub); err != nil {
					t.Fatalf("line %q does not end with a value: %v", line, err)
				}
				if want := c.line(fmt.Sprintf("v%d@%d", v, sub), sub); line != want {
					t.Fatalf("printed %q, want %q", line, want)
				}
				if seen[v] || v < 0 || v >= n {
					t.Fatalf("value %d printed twice or unexpected", v)
				}
				seen[v] = true
			}
		})
	}
}

func TestAPIFileSinkThroughAJob(t *testing.T) {
	const n = 5000
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			dir := t.TempDir()
			env := quietEnv(p)
			nums := stream.FromSource(env, datagen.Sequence(0, n-1), eventtime.NoWatermarks[int64](), "nums")
			lines := stream.Map(nums, func(v int64) (string, error) { return fmt.Sprintf("line-%d", v), nil })
			stream.SinkTo(lines, filesink.New(dir, filesink.StringLines(),
				filesink.WithRollingPolicy[string](filesink.RollingPolicy{MaxPartSize: 4096}),
				filesink.WithPartSuffix[string](".txt")))
			execute(t, env)

			got, err := filesink.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for v := 0; v < n; v++ {
				want = append(want, fmt.Sprintf("line-%d", v))
			}
			sameMultiset(t, "file sink lines", got, want)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			parts := 0
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					t.Fatalf("in-progress file %s left behind after the job finished", e.Name())
				}
				if !strings.HasSuffix(e.Name(), ".txt") {
					t.Fatalf("part file %s lacks the suffix", e.Name())
				}
				parts++
			}
			if parts < 2 {
				t.Fatalf("%d part files; a 4 KiB part size must roll several", parts)
			}

			// Read the result back through a job with the file source.
			env = quietEnv(p)
			back := stream.FromSource(env, filesource.TextLines(dir), eventtime.NoWatermarks[string](), "files")
			copyDir := t.TempDir()
			stream.SinkTo(back, filesink.New(copyDir, filesink.StringLines()))
			execute(t, env)
			again, err := filesink.ReadDir(copyDir)
			if err != nil {
				t.Fatal(err)
			}
			sameMultiset(t, "lines read back with the file source", again, want)
		})
	}
}

// TestAPISocketSourceWordCount counts words with the socket source, from a TCP server on the
// loopback interface and from a reader.
func TestAPISocketSourceWordCount(t *testing.T) {
	var text strings.Builder
	want := map[string]int64{}
	for i := 0; i < 500; i++ {
		line := fmt.Sprintf("w%d w%d x", i%7, i%3)
		text.WriteString(line + "\n")
		for _, w := range strings.Fields(line) {
			want[w]++
		}
	}
	count := func(t *testing.T, env *stream.Environment, lines *stream.DataStream[string]) {
		t.Helper()
		words := stream.FlatMap(lines, func(line string, out stream.Collector[skv]) error {
			for _, w := range strings.Fields(line) {
				out.Collect(skv{K: w, V: 1})
			}
			return nil
		})
		counts := stream.Reduce(stream.KeyBy(words, keyOf), func(a, b skv) (skv, error) { return skv{K: a.K, V: a.V + b.V}, nil })
		out := collect.New[skv]()
		stream.SinkTo(counts, out)
		execute(t, env)
		got := map[string]int64{}
		for _, c := range out.Values() {
			got[c.K] = max(got[c.K], c.V)
		}
		if len(got) != len(want) {
			t.Fatalf("%d words counted, want %d", len(got), len(want))
		}
		for w, n := range want {
			if got[w] != n {
				t.Fatalf("word %s counted %d times, want %d", w, got[w], n)
			}
		}
	}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("tcp/p=%d", p), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			served := make(chan error, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					served <- err
					return
				}
				_, err = conn.Write([]byte(text.String()))
				conn.Close()
				served <- err
			}()
			env := quietEnv(p)
			lines := stream.FromSource(env, socket.TextStream(ln.Addr().String(), '\n'), eventtime.NoWatermarks[string](), "socket")
			count(t, env, lines)
			if err := <-served; err != nil {
				t.Fatal(err)
			}
		})
		t.Run(fmt.Sprintf("reader/p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			lines := stream.FromSource(env, socket.FromReader("text", strings.NewReader(text.String())), eventtime.NoWatermarks[string](), "reader")
			count(t, env, lines)
		})
	}
}
