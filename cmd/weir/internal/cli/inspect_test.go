package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/inspect"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

const (
	jobRecords = 2000
	jobKeys    = 17
)

// counter counts records per key in a ValueState and keeps a
// processing-time timer per key far in the future, so the final
// checkpoint holds timers.
type counter struct {
	count state.ValueState[int64]
}

func (c *counter) Open(rc stream.RuntimeContext) error {
	var err error
	c.count, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[int64]{Name: "count"})
	return err
}

func (c *counter) ProcessElement(ctx stream.KeyedContext[string], _ int64, out stream.Collector[int64]) error {
	n, _, err := c.count.Value()
	if err != nil {
		return err
	}
	if n == 0 {
		ctx.TimerService().RegisterProcessingTimeTimer(ctx.TimerService().CurrentProcessingTime() + time.Hour.Milliseconds())
	}
	if err := c.count.Update(n + 1); err != nil {
		return err
	}
	out.Collect(n + 1)
	return nil
}

func (c *counter) OnTimer(stream.OnTimerContext[string], int64, stream.Collector[int64]) error {
	return nil
}

// sumAgg sums a window's numbers.
type sumAgg struct{}

func (sumAgg) CreateAccumulator() int64  { return 0 }
func (sumAgg) Add(v, acc int64) int64    { return acc + v }
func (sumAgg) GetResult(acc int64) int64 { return acc }
func (sumAgg) Merge(a, b int64) int64    { return a + b }

func keyOf(i int64) string { return fmt.Sprintf("key-%02d", i%jobKeys) }

// runJob runs datagen → KeyBy → a keyed counter and a global-window
// sum, with checkpoints every 50 ms retained after the job, and returns
// the directory of the last checkpoint.
func runJob(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := config.New()
	if err := cfg.SetAll(map[string]string{
		"parallelism.default":                                       "2",
		"pipeline.max-parallelism":                                  "32",
		"execution.checkpointing.interval":                          "50ms",
		"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
		"state.checkpoints.dir":                                     dir,
		"rest.port":                                                 "0",
	}); err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(cfg).SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	nums := stream.FromSource(env, datagen.New(jobRecords, func(i int64) (int64, error) { return i, nil },
		// About 200 ms: long enough for a few checkpoints.
		datagen.WithRateLimit(jobRecords*5)),
		eventtime.NoWatermarks[int64](), "numbers").UID("numbers")
	keyed := stream.KeyBy(nums, keyOf)
	stream.SinkTo(stream.KeyedProcess(keyed, &counter{}).Name("Count").UID("count"), collect.New[int64]()).Name("Counts")
	// Global windows never fire: their contents stay in the state.
	sums := stream.WindowAggregate(stream.Window(keyed, window.GlobalWindows[int64]()), sumAgg{})
	stream.SinkTo(sums.Name("Sum").UID("sum"), collect.New[int64]()).Name("Sums")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := env.Execute(ctx, "inspect-test"); err != nil {
		t.Fatal(err)
	}
	jobs, err := os.ReadDir(dir)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("checkpoint directory holds %v (%v), want one job", jobs, err)
	}
	latest, err := checkpoint.LatestCheckpoint(t.Context(), filepath.Join(dir, jobs[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	return latest.Dir
}

func TestSavepointInspect(t *testing.T) {
	chk := runJob(t) // a file:// URL
	local := strings.TrimPrefix(chk, "file://")
	e := newEnv(t)

	t.Run("text", func(t *testing.T) {
		r := e.run(t, "savepoint", "inspect", local)
		r.check(t, 0, "*")
		for _, s := range []string{
			"Checkpoint ", "  Path:       " + chk, "  Format:     version 1",
			`Operator "Count" (uid count)`, "Parallelism 2, max parallelism 32",
			"0        0-15", "1        16-31",
			"count        ValueState            17",
			"user-timers  ProcessingTimeTimers  17",
			`Operator "Sum" (uid sum)`, "window-contents", "Operator state:", "split",
		} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q:\n%s", s, r.stdout)
			}
		}
		if r.stderr != "" || strings.Contains(r.stdout, "Problems") {
			t.Errorf("an intact checkpoint reports problems:\n%s%s", r.stdout, r.stderr)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := e.run(t, "savepoint", "inspect", "--json", chk+"/_metadata")
		r.check(t, 0, "*")
		var rep inspect.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v:\n%s", err, r.stdout)
		}
		if rep.Kind != "checkpoint" || rep.Path != chk || rep.FormatVersion != 1 || rep.TotalBytes <= rep.StateBytes || len(rep.Problems) != 0 {
			t.Errorf("report header = %+v", rep)
		}
		var count, sum *inspect.Operator
		for i := range rep.Operators {
			switch rep.Operators[i].UID {
			case "count":
				count = &rep.Operators[i]
			case "sum":
				sum = &rep.Operators[i]
			}
		}
		if count == nil || sum == nil {
			t.Fatalf("operators %+v lack count or sum", rep.Operators)
		}
		states := map[string]inspect.KeyedState{}
		for _, s := range count.KeyedStates {
			states[s.Name+" "+s.Kind] = s
		}
		if s := states["count ValueState"]; s.Entries != jobKeys || s.Bytes <= 0 {
			t.Errorf("count state = %+v, want %d entries", s, jobKeys)
		}
		if s := states[state.DefaultTimerService+" "+state.KindProcessingTimeTimers]; s.Entries != jobKeys {
			t.Errorf("timers = %+v, want %d", s, jobKeys)
		}
		var contents int64
		for _, s := range sum.KeyedStates {
			if s.Name == "window-contents" {
				contents = s.Entries
			}
		}
		if contents != jobKeys {
			t.Errorf("sum's keyed states %+v: want window-contents with %d entries (a global window per key)", sum.KeyedStates, jobKeys)
		}
	})

	t.Run("flipped byte", func(t *testing.T) {
		dir := copyDir(t, local)
		file := filepath.Join(dir, checkpoint.StateFileName("count", 1, "keyed"))
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)-6] ^= 0x40 // inside the last key group, 31 (every key group holds at least a header)
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r := e.run(t, "savepoint", "inspect", dir)
		r.check(t, 1, "*", "keyed state file count-1-keyed, key group 31 ", "fails its CRC-32C checksum", "restore from another checkpoint")
		if !strings.Contains(r.stdout, "\nProblems: 1\n") {
			t.Errorf("the report does not list the problem:\n%s", r.stdout)
		}
		r = e.run(t, "savepoint", "inspect", "--json", dir)
		r.check(t, 1, "*", "fails its CRC-32C checksum")
		var rep inspect.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Problems) != 1 || rep.Problems[0].File != "count-1-keyed" || rep.Problems[0].KeyGroup != 31 {
			t.Errorf("JSON problems = %+v (%v)", rep.Problems, err)
		}
	})

	t.Run("missing _metadata", func(t *testing.T) {
		dir := copyDir(t, local)
		if err := os.Remove(filepath.Join(dir, checkpoint.MetadataFile)); err != nil {
			t.Fatal(err)
		}
		e.run(t, "savepoint", "inspect", dir).check(t, 1, "", "no _metadata", "give a savepoint directory")
	})

	t.Run("usage", func(t *testing.T) {
		e.run(t, "savepoint", "inspect").check(t, 2, "", "accepts 1 arg(s)", "Run 'weir savepoint inspect --help' for usage.")
		r := e.run(t, "savepoint", "inspect", "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "weir savepoint inspect --json") {
			t.Errorf("help = %+v", r)
		}
	})
}

// copyDir copies the files of a snapshot directory into a new one.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(src, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, en.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
