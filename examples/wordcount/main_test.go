package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/weirstream/weir/examples/internal/extest"
	"github.com/weirstream/weir/examples/internal/wordtest"
)

// The tests run the example as a user does: a binary built once per test
// run (without -race, so the large inputs stay fast even when the test
// process itself runs under -race), fed generated files, its part files
// checked against an oracle that shares no code with the job.

var prog = extest.New("./examples/wordcount")

func TestMain(m *testing.M) {
	code := m.Run()
	prog.Remove()
	os.Exit(code)
}

var partName = regexp.MustCompile(`^part-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d+)$`)

type partFile struct {
	writer string // the writer's UUID
	n      int
	lines  []string
}

// readParts reads the finished part files directly in dir, taking only
// names that start with neither '.' nor '_'. It fails the test on a
// finished file not named part-<uuid>-<n>, and on in-progress files left
// behind by a job that exited 0 (they would hold records no reader sees).
func readParts(t *testing.T, dir string) []partFile {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read output directory: %v", err)
	}
	var parts []partFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			t.Errorf("output directory holds %s after the job finished; every part should be committed", name)
			continue
		}
		if !e.Type().IsRegular() {
			continue
		}
		m := partName.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("finished file %q is not named part-<uuid>-<n>", name)
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(m[2])
		p := partFile{writer: m[1], n: n}
		if len(b) > 0 {
			if b[len(b)-1] != '\n' {
				t.Errorf("part file %s does not end with a newline", name)
			}
			p.lines = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		}
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b partFile) int {
		if c := strings.Compare(a.writer, b.writer); c != 0 {
			return c
		}
		return a.n - b.n
	})
	return parts
}

// checkOutput compares the part files in dir with want (word -> total
// count): every word must appear with exactly the counts 1..n, all from
// one writer, in increasing order through that writer's parts (in part
// number order: a writer that rolls continues its sequence in the next
// part). parallelism bounds the number of writers.
func checkOutput(t *testing.T, dir string, want map[string]int, parallelism int) {
	t.Helper()
	parts := readParts(t, dir)
	writers := map[string]bool{}
	last := map[string]int{}        // word -> last count seen
	writerOf := map[string]string{} // word -> writer it was seen from
	total, bad := 0, 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, p := range parts {
		writers[p.writer] = true
		for _, line := range p.lines {
			total++
			i := strings.LastIndexByte(line, ',')
			if i < 0 {
				report("line %q of part %s-%d has no ','", line, p.writer, p.n)
				continue
			}
			word := line[:i]
			n, err := strconv.Atoi(line[i+1:])
			if err != nil {
				report("line %q of part %s-%d: count is not a number", line, p.writer, p.n)
				continue
			}
			if _, ok := want[word]; !ok {
				report("output has word %q (line %q), which the input does not have", word, line)
				continue
			}
			if w, ok := writerOf[word]; ok && w != p.writer {
				report("word %q is written by two writers, %s and %s; keyed counts must stay with one subtask", word, w, p.writer)
			}
			writerOf[word] = p.writer
			if n != last[word]+1 {
				report("word %q: count %d follows %d; want %d (counts must increase by one in file order)", word, n, last[word], last[word]+1)
			}
			last[word] = n
		}
	}
	for w, n := range want {
		if last[w] != n {
			report("word %q: final count %d, want %d", w, last[w], n)
		}
	}
	wantTotal := 0
	for _, n := range want {
		wantTotal += n
	}
	if total != wantTotal {
		t.Errorf("output has %d lines, want one per input word: %d", total, wantTotal)
	}
	// Thousands of words hash to every subtask, so each of the parallelism
	// writers has some; fewer writers would mean -D was not applied.
	if len(want) >= 1000 && len(writers) != parallelism {
		t.Errorf("output written by %d writers, want %d (one per subtask)", len(writers), parallelism)
	}
	if len(writers) > parallelism {
		t.Errorf("output written by %d writers, want at most %d (parallelism)", len(writers), parallelism)
	}
	if bad > 10 {
		t.Errorf("... and %d more mismatches", bad-10)
	}
}

func writeLines(t *testing.T, path string, lines []string, eol string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString(eol)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lineCount() int {
	if testing.Short() {
		return 20_000
	}
	return 200_000
}

func TestOracleWords(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{" \t\u00a0\u3000", nil},
		{"Hello World", []string{"hello", "world"}},
		{"  a\tb\u00a0c\u0085d\u2028e\u3000f  ", []string{"a", "b", "c", "d", "e", "f"}},
		{"zero\u200bwidth no\ufeffbreak", []string{"zero\u200bwidth", "no\ufeffbreak"}},
		{"\u212a K k", []string{"k", "k", "k"}},
		{"ÉCOLE ẞ ΣΑΣ", []string{"école", "ß", "σασ"}},
	}
	for _, tt := range tests {
		if got := wordtest.OracleWords(tt.line); !slices.Equal(got, tt.want) {
			t.Errorf("wordtest.OracleWords(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestWordCountFile(t *testing.T) {
	r := wordtest.NewRand(t)
	lines := wordtest.GenLines(r, wordtest.Vocabulary(r, 4000), lineCount())
	input := filepath.Join(t.TempDir(), "input.txt")
	writeLines(t, input, lines, "\n")
	want := wordtest.OracleCounts(lines)
	for _, p := range []int{1, 4} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res := prog.Run(t, "--input", input, "--output", out, "-D", fmt.Sprintf("parallelism.default=%d", p))
			if res.Code != 0 {
				t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
			}
			checkOutput(t, out, want, p)
		})
	}
}

// TestWordCountDirectory reads a directory: every file below it, in
// subdirectories too, except files and directories whose names start with
// '.' or '_' (as Flink's file source skips them). Files differ in line
// endings (CRLF, no final newline) and one is empty.
func TestWordCountDirectory(t *testing.T) {
	r := wordtest.NewRand(t)
	vocab := wordtest.Vocabulary(r, 2000)
	dir := filepath.Join(t.TempDir(), "in")
	var all []string
	n := lineCount() / 5
	for i, f := range []struct {
		name, eol string
	}{
		{"a.txt", "\n"},
		{"b.txt", "\r\n"},
		{"c", "\n"},
		{"sub/d.txt", "\n"},
		{"sub/deeper/e.txt", "\r\n"},
	} {
		lines := wordtest.GenLines(r, vocab, n+i)
		all = append(all, lines...)
		writeLines(t, filepath.Join(dir, f.name), lines, f.eol)
	}
	// A final line without a newline is still a line.
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("Tail\tLINE\nno newline at END"), 0o644); err != nil {
		t.Fatal(err)
	}
	all = append(all, "Tail\tLINE", "no newline at END")
	if err := os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Skipped: their words appear nowhere else, so any of them in the
	// output is an error checkOutput reports.
	for _, name := range []string{".hidden", "_SUCCESS", "sub/.inprogress", "_tmp/g.txt", ".git/h.txt", "sub/_x"} {
		writeLines(t, filepath.Join(dir, name), []string{"skippedword " + strings.ReplaceAll(name, "/", "")}, "\n")
	}
	want := wordtest.OracleCounts(all)
	for _, p := range []int{1, 4} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res := prog.Run(t, "--input", dir, "--output", out, "-D", fmt.Sprintf("parallelism.default=%d", p))
			if res.Code != 0 {
				t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
			}
			checkOutput(t, out, want, p)
		})
	}
}

func TestWordCountEmptyInput(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(input, []byte("\n \t\n\u3000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	res := prog.Run(t, "--input", input, "--output", out)
	if res.Code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
	}
	if _, err := os.Stat(out); err == nil {
		checkOutput(t, out, map[string]int{}, 1)
	}
}

func TestWordCountErrors(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(input, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "does-not-exist")
	out := filepath.Join(dir, "out")
	tests := []struct {
		name     string
		args     []string
		wantCode int // -1: any non-zero code
		wantMsg  []string
	}{
		{"missing --input", []string{"--output", out}, 2, []string{"--input"}},
		{"missing --output", []string{"--input", input}, 2, []string{"--output"}},
		{"nonexistent input", []string{"--input", missing, "--output", out}, -1, []string{missing}},
		{"unknown -D key", []string{"--input", input, "--output", out, "-D", "no.such.key=1"}, -1, []string{"no.such.key"}},
		{"bad parallelism", []string{"--input", input, "--output", out, "-D", "parallelism.default=many"}, -1, []string{"parallelism.default"}},
		{"unknown flag", []string{"--input", input, "--output", out, "--bogus"}, 2, []string{"bogus"}},
		{"stray argument", []string{"--input", input, "--output", out, "extra"}, 2, []string{"extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := prog.Run(t, tt.args...)
			switch {
			case tt.wantCode == -1 && res.Code == 0:
				t.Errorf("exit code 0, want non-zero")
			case tt.wantCode > 0 && res.Code != tt.wantCode:
				t.Errorf("exit code %d, want %d", res.Code, tt.wantCode)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(res.Stderr, m) {
					t.Errorf("stderr does not name %q:\n%s", m, res.Stderr)
				}
			}
		})
	}
}
