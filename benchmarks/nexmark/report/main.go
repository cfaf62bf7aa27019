// Command report runs every Nexmark query on weir and as its baseline and
// writes the table of results into docs/benchmarks.md, between the markers
// "<!-- nexmark:begin -->" and "<!-- nexmark:end -->" (`make bench-nexmark`):
//
//	go run ./benchmarks/nexmark/report [--events N] [--parallelism P] [--checkpoint-interval D] [--doc FILE]
//
// It builds the nexmark command once and runs each query as a separate
// process, so each measurement starts from a fresh heap.
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
	doc := flag.String("doc", "docs/benchmarks.md", "file whose nexmark section is replaced")
	flag.Parse()

	dir, err := os.MkdirTemp("", "nexmark-report-")
	check(err)
	defer func() { _ = os.RemoveAll(dir) }()
	bin := filepath.Join(dir, "nexmark")
	build := exec.Command("go", "build", "-o", bin, "./benchmarks/nexmark")
	build.Stderr = os.Stderr
	check(build.Run())

	var rows []string
	for _, name := range queries.Names() {
		w := run(bin, "--query", name, "--events", fmt.Sprint(*events), "--parallelism", fmt.Sprint(*parallelism),
			"--checkpoint-interval", interval.String())
		b := run(bin, "--query", name, "--events", fmt.Sprint(*events), "--baseline")
		perCore := w.eventsPerSec / max(w.cores, 0.01)
		flink := "–"
		if f, ok := flinkPerCore[name]; ok {
			flink = fmt.Sprintf("%.0f K (%.1f×)", f/1e3, perCore/f)
		}
		rows = append(rows, fmt.Sprintf("| %s | %.2f M | %.2f | %.2f M | %.2f M | %.0f%% | %s |",
			name, w.eventsPerSec/1e6, w.cores, perCore/1e6, b.eventsPerSec/1e6, 100*w.eventsPerSec/b.eventsPerSec, flink))
		fmt.Fprintf(os.Stderr, "%s: weir %.2f M/s on %.2f cores, baseline %.2f M/s\n", name, w.eventsPerSec/1e6, w.cores, b.eventsPerSec/1e6)
	}
	var sec strings.Builder
	fmt.Fprintf(&sec, "%s\n\nMeasured %s on %d cores (%s/%s), %d events per run, weir at parallelism %d",
		beginMarker, time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, *events, *parallelism)
	if *interval > 0 {
		fmt.Fprintf(&sec, " with exactly-once checkpoints every %v", *interval)
	}
	sec.WriteString(" (`make bench-nexmark`). Per core = events/s over the cores the process used;\n")
	sec.WriteString("the baseline is one goroutine; Flink's per-core figures are from the nexmark repository README (Flink 1.13).\n\n")
	sec.WriteString("| query | weir events/s | cores used | weir events/s per core | baseline events/s | weir / baseline | Flink per core (weir per core ×) |\n")
	sec.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		sec.WriteString(r + "\n")
	}
	sec.WriteString("\n" + endMarker)
	check(replaceSection(*doc, sec.String()))
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
