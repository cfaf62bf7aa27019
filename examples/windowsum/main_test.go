package main

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/examples/internal/extest"
)

// The tests run the example as a user does: a binary built once per test
// run (without -race, so the large inputs stay fast even when the test
// process itself runs under -race), fed generated files, its output checked
// against an oracle that shares no code with the job.

var prog = extest.New("./examples/windowsum")

func TestMain(m *testing.M) {
	code := m.Run()
	prog.Remove()
	os.Exit(code)
}

// The oracle.

type rec struct {
	ts    int64
	key   string
	value int64
	line  string
}

// floorMod is the non-negative remainder of a by b > 0.
func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// windowsOf lists the [start, end) windows a timestamp belongs to, as
// Flink's tumbling and sliding assigners (offset 0) do: the last window
// starts at the largest multiple of slide not after ts, earlier ones every
// slide before it while they still contain ts.
func windowsOf(ts, size, slide int64) [][2]int64 {
	var ws [][2]int64
	for start := ts - floorMod(ts, slide); start > ts-size; start -= slide {
		ws = append(ws, [2]int64{start, start + size})
	}
	return ws
}

type winKey struct {
	key        string
	start, end int64
}

// oracle computes the window lines and the late lines for records read in
// order. The watermark a record sees is the largest timestamp before it
// minus outOfOrderness minus 1 (math.MinInt64 before the first record). A
// record joins each of its windows whose last millisecond (end-1) is
// after that watermark; a record that joins none is late. Allowed
// lateness is 0, so a window fires once, when its end-1 is passed or at the
// end of the input, with everything it ever got.
func oracle(recs []rec, size, slide, outOfOrderness int64) (windows, late []string) {
	return evaluate(recs, watermarks(recs, outOfOrderness), size, slide)
}

// watermarks returns the watermark each record sees.
func watermarks(recs []rec, outOfOrderness int64) []int64 {
	wms := make([]int64, len(recs))
	wm := int64(math.MinInt64)
	maxTS := int64(math.MinInt64)
	for i, r := range recs {
		wms[i] = wm
		if r.ts > maxTS {
			maxTS = r.ts
			wm = maxTS - outOfOrderness - 1
		}
	}
	return wms
}

// evaluate runs the records (in order) through the windows, record i
// seeing the watermark wms[i].
func evaluate(recs []rec, wms []int64, size, slide int64) (windows, late []string) {
	type acc struct{ sum, count int64 }
	accs := map[winKey]*acc{}
	var order []winKey
	for i, r := range recs {
		wm := wms[i]
		joined := false
		for _, w := range windowsOf(r.ts, size, slide) {
			if w[1]-1 <= wm {
				continue
			}
			joined = true
			k := winKey{r.key, w[0], w[1]}
			a := accs[k]
			if a == nil {
				a = &acc{}
				accs[k] = a
				order = append(order, k)
			}
			a.sum += r.value
			a.count++
		}
		if !joined {
			late = append(late, r.line)
		}
	}
	for _, k := range order {
		a := accs[k]
		windows = append(windows, fmt.Sprintf("%s,%d,%d,%d,%d", k.key, k.start, k.end, a.sum, a.count))
	}
	return windows, late
}

// genRecords returns n records with keys k0..k50: timestamps start below
// -size (so negative timestamps cross several windows) and increase by a
// few milliseconds per record, with small jitter on most records and, on
// one in ten, a jump back of up to 4 s, far beyond the out-of-orderness, so
// that many records are late for some or all of their windows. A few
// records lie far in the past. Values are negative as often as positive,
// some large.
//
// One record in about 200 starts a probe of the lateness boundary: a
// record that moves the watermark to exactly end-1 of the last window some
// start S opens (S a multiple of slide), then one at S+slide-1, whose
// windows all end at or before that watermark+1 (late, by equality), and
// one at S+slide (not late).
func genRecords(r *rand.Rand, n int, size, slide, outOfOrderness int64) []rec {
	recs := make([]rec, 0, n)
	maxTS := int64(math.MinInt64)
	add := func(ts int64) {
		v := r.Int64N(2001) - 1000
		if r.IntN(100) == 0 {
			v *= 1_000_000_000
		}
		key := "k" + strconv.Itoa(r.IntN(51))
		recs = append(recs, rec{ts: ts, key: key, value: v, line: fmt.Sprintf("%d,%s,%d", ts, key, v)})
		maxTS = max(maxTS, ts)
	}
	base := int64(-23_456)
	for len(recs) < n {
		base += r.Int64N(10)
		switch k := r.IntN(1000); {
		case k < 3:
			add(-1_000_000 - r.Int64N(1_000_000))
		case k < 8 && len(recs) > 0:
			lo := maxTS - size - outOfOrderness + 1
			s := lo + floorMod(-lo, slide) // the first multiple of slide >= lo
			add(s + size + outOfOrderness)
			add(s + slide - 1)
			add(s + slide)
			base = maxTS - outOfOrderness
		case k < 100:
			add(base - r.Int64N(4000))
		default:
			add(base + r.Int64N(401) - 200)
		}
	}
	return recs[:n]
}

func writeRecords(t *testing.T, path string, recs []rec) {
	t.Helper()
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(r.line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

var partName = regexp.MustCompile(`^part-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-\d+$`)

// writers is the number of sink writers (part file UUIDs) in dir.
func writers(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range entries {
		if m := partName.FindStringSubmatch(e.Name()); m != nil {
			ids[m[1]] = true
		}
	}
	return len(ids)
}

// readLines returns the lines of the finished files directly in dir (names
// starting with neither '.' nor '_'), sorted. A missing directory has no
// lines. It fails the test on in-progress files left behind by a job that
// exited 0 and on finished files not named part-<uuid>-<n>.
func readLines(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("read output directory: %v", err)
	}
	var lines []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			t.Errorf("%s holds %s after the job finished; every part should be committed", dir, name)
			continue
		}
		if !e.Type().IsRegular() {
			continue
		}
		if !partName.MatchString(name) {
			t.Errorf("finished file %q is not named part-<uuid>-<n>", name)
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			continue
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	slices.Sort(lines)
	return lines
}

// diffSorted reports the lines only in got and only in want (both sorted),
// at most 10 of each.
func diffSorted(t *testing.T, what string, got, want []string) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// diff describes how sorted got differs from sorted want, "" if it does not.
func diff(got, want []string) string {
	if slices.Equal(got, want) {
		return ""
	}
	var extra, missing []string
	i, j := 0, 0
	for i < len(got) || j < len(want) {
		switch {
		case j == len(want) || (i < len(got) && got[i] < want[j]):
			extra = append(extra, got[i])
			i++
		case i == len(got) || want[j] < got[i]:
			missing = append(missing, want[j])
			j++
		default:
			i++
			j++
		}
	}
	return fmt.Sprintf("got %d lines, want %d; %d unexpected, %d missing\nunexpected (first 10): %q\nmissing (first 10): %q",
		len(got), len(want), len(extra), len(missing), extra[:min(10, len(extra))], missing[:min(10, len(missing))])
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestWindowsOf(t *testing.T) {
	tests := []struct {
		ts, size, slide int64
		want            [][2]int64
	}{
		{0, 5000, 5000, [][2]int64{{0, 5000}}},
		{4999, 5000, 5000, [][2]int64{{0, 5000}}},
		{5000, 5000, 5000, [][2]int64{{5000, 10000}}},
		{-1, 5000, 5000, [][2]int64{{-5000, 0}}},
		{-5000, 5000, 5000, [][2]int64{{-5000, 0}}},
		{-5001, 5000, 5000, [][2]int64{{-10000, -5000}}},
		{-6000, 5000, 5000, [][2]int64{{-10000, -5000}}},
		{0, 5000, 2000, [][2]int64{{0, 5000}, {-2000, 3000}, {-4000, 1000}}},
		{1000, 5000, 2000, [][2]int64{{0, 5000}, {-2000, 3000}}},
		{-1, 5000, 2000, [][2]int64{{-2000, 3000}, {-4000, 1000}}},
		{-6001, 5000, 2000, [][2]int64{{-8000, -3000}, {-10000, -5000}}},
	}
	for _, tt := range tests {
		if got := windowsOf(tt.ts, tt.size, tt.slide); !slices.Equal(got, tt.want) {
			t.Errorf("windowsOf(%d, %d, %d) = %v, want %v", tt.ts, tt.size, tt.slide, got, tt.want)
		}
	}
}

// handCases are small inputs with results worked out by hand; they pin
// down the oracle and the example's boundaries.
var handCases = []struct {
	name         string
	input        string
	flags        []string
	window, late []string
	size, slide  int64
	outOfOrderMs int64
}{
	{
		name:  "tumbling negative timestamps",
		input: "-6000,a,1\n-1,a,2\n0,a,3\n4999,a,4\n5000,a,5\n-5001,b,-7\n",
		flags: []string{"--window", "5s", "--out-of-orderness", "20s"},
		size:  5000, slide: 5000, outOfOrderMs: 20000,
		window: []string{"a,-10000,-5000,1,1", "a,-5000,0,2,1", "a,0,5000,7,2", "a,5000,10000,5,1", "b,-10000,-5000,-7,1"},
	},
	{
		name: "lateness boundary",
		// 2999 sees watermark 3000-0-1 = 2999 = end-1 of [2000,3000): late.
		// 3000 again is not late; 4000 after 5000 is late at bound 0.
		input: "3000,a,1\n2999,a,2\n3000,a,4\n5000,b,1\n4000,a,8\n",
		flags: []string{"--window", "1s", "--out-of-orderness", "0ms"},
		size:  1000, slide: 1000, outOfOrderMs: 0,
		window: []string{"a,3000,4000,5,2", "b,5000,6000,1,1"},
		late:   []string{"2999,a,2", "4000,a,8"},
	},
	{
		name: "out-of-orderness bound",
		// After 5000 the watermark is 3999: 4000 is on time, 3999 is late.
		input: "5000,a,1\n4000,a,2\n3999,a,4\n",
		flags: []string{"--window", "1s", "--out-of-orderness", "1s"},
		size:  1000, slide: 1000, outOfOrderMs: 1000,
		window: []string{"a,5000,6000,1,1", "a,4000,5000,2,1"},
		late:   []string{"3999,a,4"},
	},
	{
		name: "sliding partly late",
		// 7000 sees watermark 9999: [4000,9000) is late, [6000,11000) is
		// not, so it joins only that window. 3000 is late for both of its
		// windows.
		input: "10000,a,1\n7000,a,2\n3000,a,4\n",
		flags: []string{"--window", "5s", "--slide", "2s", "--out-of-orderness", "0s"},
		size:  5000, slide: 2000, outOfOrderMs: 0,
		window: []string{"a,10000,15000,1,1", "a,8000,13000,1,1", "a,6000,11000,3,2"},
		late:   []string{"3000,a,4"},
	},
	{
		name:  "sliding negative timestamps",
		input: "-1,a,1\n0,a,2\n",
		flags: []string{"--window", "5s", "--slide", "2s", "--out-of-orderness", "0s"},
		size:  5000, slide: 2000, outOfOrderMs: 0,
		window: []string{"a,-4000,1000,3,2", "a,-2000,3000,3,2", "a,0,5000,2,1"},
	},
}

func parseInput(t *testing.T, input string) []rec {
	t.Helper()
	var recs []rec
	for line := range strings.Lines(input) {
		line = strings.TrimSuffix(line, "\n")
		f := strings.Split(line, ",")
		ts, err1 := strconv.ParseInt(f[0], 10, 64)
		v, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad test input line %q", line)
		}
		recs = append(recs, rec{ts: ts, key: f[1], value: v, line: line})
	}
	return recs
}

func TestOracleHandCases(t *testing.T) {
	for _, tc := range handCases {
		t.Run(tc.name, func(t *testing.T) {
			windows, late := oracle(parseInput(t, tc.input), tc.size, tc.slide, tc.outOfOrderMs)
			diffSorted(t, "windows", sorted(windows), sorted(tc.window))
			diffSorted(t, "late", sorted(late), sorted(tc.late))
		})
	}
}

func TestWindowSumHandCases(t *testing.T) {
	for _, tc := range handCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "in.csv")
			if err := os.WriteFile(input, []byte(tc.input), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			res := prog.Run(t, append([]string{"--input", input, "--output", out}, tc.flags...)...)
			if res.Code != 0 {
				t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
			}
			diffSorted(t, "windows", readLines(t, out), sorted(tc.window))
			diffSorted(t, "late", readLines(t, filepath.Join(out, "late")), sorted(tc.late))
		})
	}
}

// TestWindowSumLateLineAsRead checks that a late record is written as the
// line it was read from, not re-formatted from the parsed fields: the
// parser accepts "+7", "007" and spaces around the numbers.
func TestWindowSumLateLineAsRead(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(input, []byte("10000,a,1\n 01000,a,+7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	res := prog.Run(t, "--input", input, "--output", out, "--window", "1s", "--out-of-orderness", "0s")
	if res.Code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
	}
	diffSorted(t, "windows", readLines(t, out), []string{"a,10000,11000,1,1"})
	late := readLines(t, filepath.Join(out, "late"))
	diffSorted(t, "late", late, []string{" 01000,a,+7"})
}

func lineCount() int {
	if testing.Short() {
		return 20_000
	}
	return 200_000
}

func TestWindowSumRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	r := rand.New(rand.NewPCG(seed, seed>>7^0x9e3779b97f4a7c15))
	for _, mode := range []struct {
		name        string
		flags       []string
		size, slide int64
	}{
		{"tumbling", []string{"--window", "5s"}, 5000, 5000},
		{"sliding", []string{"--window", "5s", "--slide", "2s"}, 5000, 2000},
	} {
		const outOfOrderness = 500
		recs := genRecords(r, lineCount(), mode.size, mode.slide, outOfOrderness)
		input := filepath.Join(t.TempDir(), mode.name+".csv")
		writeRecords(t, input, recs)
		wantWindows, wantLate := oracle(recs, mode.size, mode.slide, outOfOrderness)
		if len(wantLate) == 0 || len(wantLate) == len(recs) {
			t.Fatalf("%s: the generated input has %d late records of %d; it should have some", mode.name, len(wantLate), len(recs))
		}
		t.Logf("%s: %d records, %d windows, %d late", mode.name, len(recs), len(wantWindows), len(wantLate))
		slices.Sort(wantWindows)
		slices.Sort(wantLate)
		for _, p := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/p=%d", mode.name, p), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				args := append([]string{"--input", input, "--output", out, "--out-of-orderness", "500ms",
					"-D", fmt.Sprintf("parallelism.default=%d", p)}, mode.flags...)
				res := prog.Run(t, args...)
				if res.Code != 0 {
					t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
				}
				gotWindows, gotLate := readLines(t, out), readLines(t, filepath.Join(out, "late"))
				diffSorted(t, "windows", gotWindows, wantWindows)
				diffSorted(t, "late", gotLate, wantLate)
				// The keys k0..k50 reach every subtask; fewer writers would
				// mean -D was not applied.
				if n := writers(t, out); n != p {
					t.Errorf("window results written by %d writers, want %d (one per subtask)", n, p)
				}
			})
		}
	}
}

// TestWindowSumParallelLateAtStart makes the startup of a parallel job
// matter: the first record moves the watermark far ahead, so every record
// after it is late. Several runs at once load the CPU, which is when a
// window operator is most likely to process records before it has seen the
// source's watermark.
func TestWindowSumParallelLateAtStart(t *testing.T) {
	recs := []rec{{ts: 1_000_000, key: "a", value: 1, line: "1000000,a,1"}}
	for i := range int64(20_000) {
		key := "k" + strconv.FormatInt(i%51, 10)
		recs = append(recs, rec{ts: i, key: key, value: 1, line: fmt.Sprintf("%d,%s,1", i, key)})
	}
	input := filepath.Join(t.TempDir(), "in.csv")
	writeRecords(t, input, recs)
	wantWindows, wantLate := oracle(recs, 1000, 1000, 0)
	if len(wantLate) != len(recs)-1 {
		t.Fatalf("oracle: %d late records, want all but the first (%d)", len(wantLate), len(recs)-1)
	}
	slices.Sort(wantWindows)
	slices.Sort(wantLate)
	// The runs start together, more of them than there are cores
	// (t.Parallel would run only GOMAXPROCS at a time).
	const runs = 8
	bin := prog.Path(t)
	dir := t.TempDir()
	results := make([]extest.Result, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			results[i], errs[i] = extest.Exec(bin, "--input", input, "--output", filepath.Join(dir, strconv.Itoa(i)),
				"--window", "1s", "--out-of-orderness", "0s", "-D", "parallelism.default=4")
		})
	}
	wg.Wait()
	for i := range runs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if results[i].Code != 0 {
			t.Fatalf("run %d: exit code %d, want 0\nstderr:\n%s", i, results[i].Code, results[i].Stderr)
		}
		out := filepath.Join(dir, strconv.Itoa(i))
		gotWindows, gotLate := readLines(t, out), readLines(t, filepath.Join(out, "late"))
		diffSorted(t, fmt.Sprintf("run %d: windows", i), gotWindows, wantWindows)
		diffSorted(t, fmt.Sprintf("run %d: late", i), gotLate, wantLate)
	}
}

func TestWindowSumErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("1,a,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badValue := write("bad-value.csv", "1,a,1\n2,b,2\n12,a,notanumber\n13,a,1\n")
	badTS := write("bad-ts.csv", "1,a,1\nsoon,a,2\n")
	badFields := write("bad-fields.csv", "1,a,1\n2,a,3\n3,a\n")
	missing := filepath.Join(dir, "no-such-file.csv")
	out := filepath.Join(dir, "out")
	std := []string{"--output", out, "--window", "1s", "--out-of-orderness", "0s"}
	tests := []struct {
		name     string
		args     []string
		wantCode int // -1: any non-zero code
		wantMsg  []string
	}{
		{"missing --input", std, 2, []string{"--input"}},
		{"missing --output", []string{"--input", good, "--window", "1s", "--out-of-orderness", "0s"}, 2, []string{"--output"}},
		{"missing --window", []string{"--input", good, "--output", out, "--out-of-orderness", "0s"}, 2, []string{"--window"}},
		{"missing --out-of-orderness", []string{"--input", good, "--output", out, "--window", "1s"}, 2, []string{"--out-of-orderness"}},
		{"slide larger than window", append([]string{"--input", good, "--slide", "2s"}, std...), 2, []string{"--slide"}},
		{"bad duration", []string{"--input", good, "--output", out, "--window", "soon", "--out-of-orderness", "0s"}, 2, []string{"window"}},
		{"nonexistent input", append([]string{"--input", missing}, std...), -1, []string{missing}},
		{"bad value", append([]string{"--input", badValue}, std...), -1, []string{"bad-value.csv:3", "value", "notanumber"}},
		{"bad ts_millis", append([]string{"--input", badTS}, std...), -1, []string{"bad-ts.csv:2", "ts_millis", "soon"}},
		{"wrong field count", append([]string{"--input", badFields}, std...), -1, []string{"bad-fields.csv:3", "ts_millis,key,value"}},
		{"unknown -D key", append([]string{"--input", good, "-D", "no.such.key=1"}, std...), -1, []string{"no.such.key"}},
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
