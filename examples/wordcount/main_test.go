package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/weirstream/weir/examples/internal/extest"
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

// spaces are separators: each is white space by unicode.IsSpace, several
// of them outside ASCII.
var spaces = []string{" ", "  ", "\t", " \t ", "\v", "\f", "\r", "\u00a0", "\u0085", "\u1680", "\u2003", "\u2028", "\u202f", "\u3000"}

// wordRunes make up words. U+200B (zero width space) and U+FEFF are not
// white space and must stay inside words; the Kelvin sign lowercases to an
// ASCII k, so "K", "k" and "\u212a" are the same word.
var wordRunes = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
	"éÉßẞΣσςЖжİıÅå日本語🙂,-'\u212a\u200b\ufeff")

// vocabulary returns n distinct random words.
func vocabulary(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	var words []string
	for len(words) < n {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteRune(wordRunes[r.IntN(len(wordRunes))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// recase changes the case of each rune at random.
func recase(r *rand.Rand, w string) string {
	var b strings.Builder
	for _, c := range w {
		switch r.IntN(3) {
		case 0:
			c = unicode.ToUpper(c)
		case 1:
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// genLines returns n random lines (without newlines): empty lines,
// white-space-only lines and lines of up to 8 words drawn with a skewed
// distribution, so that a few words occur tens of thousands of times.
func genLines(r *rand.Rand, vocab []string, n int) []string {
	lines := make([]string, 0, n)
	for range n {
		var b strings.Builder
		switch k := r.IntN(100); {
		case k < 4:
		case k < 6:
			b.WriteString(spaces[r.IntN(len(spaces))])
		default:
			if r.IntN(4) == 0 {
				b.WriteString(spaces[r.IntN(len(spaces))])
			}
			for i := range 1 + r.IntN(8) {
				if i > 0 {
					b.WriteString(spaces[r.IntN(len(spaces))])
				}
				f := r.Float64()
				b.WriteString(recase(r, vocab[int(f*f*f*float64(len(vocab)))]))
			}
			if r.IntN(4) == 0 {
				b.WriteString(spaces[r.IntN(len(spaces))])
			}
		}
		lines = append(lines, b.String())
	}
	return lines
}

// oracleWords splits like the contract says, written as its own rune loop:
// words are maximal runs of runes that are not unicode.IsSpace, each
// lowercased rune by rune.
func oracleWords(line string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for _, c := range line {
		if unicode.IsSpace(c) {
			flush()
			continue
		}
		cur = append(cur, unicode.ToLower(c))
	}
	flush()
	return words
}

// oracleCounts is how often each word occurs in lines.
func oracleCounts(lines []string) map[string]int {
	counts := map[string]int{}
	for _, l := range lines {
		for _, w := range oracleWords(l) {
			counts[w]++
		}
	}
	return counts
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

func newRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed>>7^0x9e3779b97f4a7c15))
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
		if got := oracleWords(tt.line); !slices.Equal(got, tt.want) {
			t.Errorf("oracleWords(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestWordCountFile(t *testing.T) {
	r := newRand(t)
	lines := genLines(r, vocabulary(r, 4000), lineCount())
	input := filepath.Join(t.TempDir(), "input.txt")
	writeLines(t, input, lines, "\n")
	want := oracleCounts(lines)
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
	r := newRand(t)
	vocab := vocabulary(r, 2000)
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
		lines := genLines(r, vocab, n+i)
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
	want := oracleCounts(all)
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
