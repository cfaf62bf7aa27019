// Command report runs every Nexmark query on weir and as its baseline and
// writes the table of results into docs/benchmarks.md, between the markers
// "<!-- nexmark:begin -->" and "<!-- nexmark:end -->" (`make bench-nexmark`):
//
//	go run ./benchmarks/nexmark/report [--events N] [--parallelism P] [--checkpoint-interval D] [--count N] [--doc FILE]
//
// It builds the nexmark command once and runs each query as a separate
// process, so each measurement starts from a fresh heap. Each query runs
// --count times on weir and as its baseline, alternating, and the table
// shows medians: on a shared machine single runs vary by tens of percent.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/queries"
)

// flinkPerCore are the per-core throughputs (events/s) the nexmark
// repository's README reports for Flink 1.13.
var flinkPerCore = map[string]float64{
	"q0": 155e3, "q1": 158e3, "q2": 175e3, "q3": 152e3, "q4": 34e3, "q5": 22e3, "q7": 12e3, "q8": 146e3,
}

const (
	beginMarker = "<!-- nexmark:begin -->"
	endMarker   = "<!-- nexmark:end -->"
)

// result is the last line of one run of the nexmark command.
type result struct {
	seconds, eventsPerSec, cores float64
}

func main() {
	events := flag.Int64("events", 10_000_000, "events per run")
	parallelism := flag.Int("parallelism", 2, "parallelism of the weir jobs")
	interval := flag.Duration("checkpoint-interval", 10*time.Second, "exactly-once checkpoint interval of the weir jobs (0: off)")
	count := flag.Int("count", 3, "runs per query and mode; the table shows medians")
	doc := flag.String("doc", "docs/benchmarks.md", "file whose nexmark section is replaced")
	flag.Parse()
	if *count < 1 {
		check(fmt.Errorf("--count must be at least 1, got %d", *count))
	}

	dir, err := os.MkdirTemp("", "nexmark-report-")
	check(err)
	defer func() { _ = os.RemoveAll(dir) }()
	bin := filepath.Join(dir, "nexmark")
	build := exec.Command("go", "build", "-o", bin, "./benchmarks/nexmark")
	build.Stderr = os.Stderr
	check(build.Run())

	var rows []string
	for _, name := range queries.Names() {
		var ws, bs []result
		for i := range *count {
			fmt.Fprintf(os.Stderr, "%s: run %d of %d\n", name, i+1, *count)
			ws = append(ws, run(bin, "--query", name, "--events", fmt.Sprint(*events), "--parallelism", fmt.Sprint(*parallelism),
				"--checkpoint-interval", interval.String()))
			bs = append(bs, run(bin, "--query", name, "--events", fmt.Sprint(*events), "--baseline"))
		}
		rows = append(rows, row(name, ws, bs))
	}
	var sec strings.Builder
	fmt.Fprintf(&sec, "%s\n\nMeasured %s on %d cores (%s/%s), %d events per run, weir at parallelism %d",
		beginMarker, time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, *events, *parallelism)
	if *interval > 0 {
		fmt.Fprintf(&sec, " with exactly-once checkpoints every %v", *interval)
	}
	fmt.Fprintf(&sec, " (`make bench-nexmark`), medians of %d runs each. Per core = events/s over the cores the process used\n", *count)
	sec.WriteString("(range: lowest and highest run). The baseline is one goroutine, but its garbage collector works on the\n")
	sec.WriteString("second core (it uses 1.0–1.3 cores), so it is shown per core too: \"per core / baseline per core\" compares\n")
	sec.WriteString("equal CPU; \"weir / baseline\" compares the whole job with the whole baseline. Flink's per-core figures are from\n")
	sec.WriteString("the nexmark repository README (Flink 1.13). Targets: q0–q2 ≥ 1.5 M events/s per core and per core ≥ 60% of the\n")
	sec.WriteString("baseline per core (the stricter reading); q3–q8 ≥ 10× Flink per core.\n\n")
	sec.WriteString("| query | weir events/s | cores used | weir events/s per core (range) | baseline events/s | baseline per core | weir / baseline | per core / baseline per core | Flink per core (weir per core ×) | target |\n")
	sec.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		sec.WriteString(r + "\n")
	}
	sec.WriteString("\n" + endMarker)
	check(replaceSection(*doc, sec.String()))
}

// row is the table line of one query from its weir and baseline runs.
func row(name string, ws, bs []result) string {
	perCore := make([]float64, len(ws))
	for i, w := range ws {
		perCore[i] = w.eventsPerSec / max(w.cores, 0.01)
	}
	wEvents := median(ws, func(r result) float64 { return r.eventsPerSec })
	wCores := median(ws, func(r result) float64 { return r.cores })
	bEvents := median(bs, func(r result) float64 { return r.eventsPerSec })
	// The baseline's goroutine is one core, but its garbage collector runs
	// on the other: per core is the fair comparison.
	bPerCore := median(bs, func(r result) float64 { return r.eventsPerSec / max(r.cores, 0.01) })
	pc := medianOf(perCore)
	flink, verdict := "–", "–"
	if f, ok := flinkPerCore[name]; ok {
		flink = fmt.Sprintf("%.0f K (%.1f×)", f/1e3, pc/f)
	}
	switch name {
	case "q0", "q1", "q2":
		verdict = pass(pc >= 1.5e6 && pc >= 0.6*bPerCore)
	case "q3", "q4", "q5", "q7", "q8":
		verdict = pass(pc >= 10*flinkPerCore[name])
	}
	fmt.Fprintf(os.Stderr, "%s: weir %.2f M/s on %.2f cores, baseline %.2f M/s\n", name, wEvents/1e6, wCores, bEvents/1e6)
	return fmt.Sprintf("| %s | %.2f M | %.2f | %.2f M (%.2f–%.2f) | %.2f M | %.2f M | %.0f%% | %.0f%% | %s | %s |",
		name, wEvents/1e6, wCores, pc/1e6, slices.Min(perCore)/1e6, slices.Max(perCore)/1e6, bEvents/1e6, bPerCore/1e6,
		100*wEvents/bEvents, 100*pc/bPerCore, flink, verdict)
}

func pass(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func median(rs []result, field func(result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = field(r)
	}
	return medianOf(vs)
}

func medianOf(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// run executes the nexmark command and parses its last line.
func run(bin string, args ...string) result {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "report: %s %s: %v\n", bin, strings.Join(args, " "), err)
		os.Exit(1)
	}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		last = sc.Text()
	}
	var r result
	for _, kv := range strings.Fields(last) {
		k, v, _ := strings.Cut(kv, "=")
		f, _ := strconv.ParseFloat(v, 64)
		switch k {
		case "seconds":
			r.seconds = f
		case "events_per_sec":
			r.eventsPerSec = f
		case "cores_used":
			r.cores = f
		}
	}
	if r.eventsPerSec == 0 {
		fmt.Fprintf(os.Stderr, "report: no result line in the output of %s: %q\n", strings.Join(args, " "), last)
		os.Exit(1)
	}
	return r
}

// replaceSection puts sec between the markers of doc, or appends it.
func replaceSection(doc, sec string) error {
	b, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i >= 0 && j > i {
		s = s[:i] + sec + s[j+len(endMarker):]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n## Nexmark\n\n" + sec + "\n"
	}
	return os.WriteFile(doc, []byte(s), 0o644)
}

func check(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "report: %v\n", err)
		os.Exit(1)
	}
}
