package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/examples/internal/extest"
)

// The tests run the demo as a user does: a binary built once per test run
// (without -race, like the other example tests) whose standard output is
// checked against statistics computed here from the generator's readings.

var prog = extest.New("./examples/demo")

func TestMain(m *testing.M) {
	code := m.Run()
	prog.Remove()
	os.Exit(code)
}

// expectedLines computes the demo's output for count readings from the
// readings themselves: one line per sensor and second of event time. The
// generator emits readings in timestamp order, so with a 100 ms
// out-of-orderness bound none is late and every window is complete. The
// order in which a window adds its readings may differ at parallelism > 1,
// but that cannot change a printed average: temperatures are multiples of
// 0.01 and windows hold 125 readings, so an average m/12500 is always at
// least 4e-5 away from a rounding boundary of %.2f, far more than
// floating-point error.
func expectedLines(t *testing.T, count int64) []string {
	t.Helper()
	type key struct {
		sensor string
		second int64
	}
	type acc struct {
		n             int64
		sum, min, max float64
	}
	accs := map[key]*acc{}
	for i := range count {
		r, err := generate(i)
		if err != nil {
			t.Fatal(err)
		}
		k := key{r.Sensor, (r.TS - start) / 1000}
		a := accs[k]
		if a == nil {
			a = &acc{min: r.Temp, max: r.Temp}
			accs[k] = a
		}
		a.n++
		a.sum += r.Temp
		a.min = min(a.min, r.Temp)
		a.max = max(a.max, r.Temp)
	}
	var lines []string
	for k, a := range accs {
		from := time.UnixMilli(start + k.second*1000).UTC()
		lines = append(lines, fmt.Sprintf("%s %s..%s n=%d avg=%.2f min=%.2f max=%.2f", k.sensor,
			from.Format("15:04:05"), from.Add(time.Second).Format("15:04:05"), a.n, a.sum/float64(a.n), a.min, a.max))
	}
	slices.Sort(lines)
	return lines
}

var subtaskPrefix = regexp.MustCompile(`^(\d+)> `)

// printedLines returns stdout's lines without the print sink's "i> "
// subtask prefix, sorted, checking that the prefix is there exactly when
// the job runs with parallelism > 1 and names a subtask in 1..parallelism.
func printedLines(t *testing.T, stdout string, parallelism int) []string {
	t.Helper()
	var lines []string
	subtasks := map[string]bool{}
	for line := range strings.Lines(stdout) {
		line = strings.TrimSuffix(line, "\n")
		m := subtaskPrefix.FindStringSubmatch(line)
		switch {
		case parallelism == 1 && m != nil:
			t.Errorf("line %q has a subtask prefix; at parallelism 1 the print sink writes none", line)
		case parallelism > 1 && m == nil:
			t.Errorf("line %q has no subtask prefix; at parallelism %d the print sink writes one", line, parallelism)
		case m != nil:
			if i, _ := strconv.Atoi(m[1]); i < 1 || i > parallelism {
				t.Errorf("line %q: subtask %s is not in 1..%d", line, m[1], parallelism)
			}
			subtasks[m[1]] = true
			line = line[len(m[0]):]
		}
		lines = append(lines, line)
	}
	// The 8 sensors spread over the subtasks; output from one subtask only
	// would mean the windows did not run in parallel.
	if parallelism > 1 && len(subtasks) < 2 {
		t.Errorf("lines printed by %d subtasks, want several at parallelism %d", len(subtasks), parallelism)
	}
	slices.Sort(lines)
	return lines
}

var sensorOf = regexp.MustCompile(`^(sensor-\d+) `)

func TestDemo(t *testing.T) {
	want := expectedLines(t, 5000)
	if len(want) != 8*5 {
		t.Fatalf("oracle: %d window lines, want 8 sensors x 5 seconds", len(want))
	}
	for _, p := range []int{1, 4} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			res := prog.Run(t, "--count", "5000", "--rate", "0", "-D", fmt.Sprintf("parallelism.default=%d", p))
			if res.Code != 0 {
				t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
			}
			got := printedLines(t, res.Stdout, p)
			sensors := map[string]int{}
			for _, l := range got {
				if m := sensorOf.FindStringSubmatch(l); m != nil {
					sensors[m[1]]++
				}
			}
			if len(sensors) != 8 {
				t.Errorf("printed window lines of %d sensors, want 8: %v", len(sensors), sensors)
			}
			if !slices.Equal(got, want) {
				t.Errorf("printed lines differ from the readings' statistics\ngot:\n%s\nwant:\n%s",
					strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestDemoDefaults runs the demo with no arguments: 100,000 readings at
// 25,000 per second, about four seconds.
func TestDemoDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the default run is rate-limited to about 4 s")
	}
	res := prog.Run(t)
	if res.Code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
	}
	if got, want := printedLines(t, res.Stdout, 1), expectedLines(t, 100_000); !slices.Equal(got, want) {
		t.Errorf("printed %d lines, want %d (8 sensors x 100 seconds) matching the readings' statistics", len(got), len(want))
	}
}

func TestDemoErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"unknown flag", []string{"--bogus"}, "bogus"},
		{"bad count", []string{"--count", "many"}, "count"},
		{"stray argument", []string{"extra"}, "extra"},
		{"unknown -D key", []string{"-D", "no.such.key=1"}, "no.such.key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := prog.Run(t, tt.args...)
			if res.Code != 2 {
				t.Errorf("exit code %d, want 2", res.Code)
			}
			if !strings.Contains(res.Stderr, tt.wantMsg) {
				t.Errorf("stderr does not name %q:\n%s", tt.wantMsg, res.Stderr)
			}
		})
	}
}
