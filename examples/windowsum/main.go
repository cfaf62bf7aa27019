// Command windowsum sums values per key in event-time windows.
//
//	go run ./examples/windowsum --input FILE --output DIR --window D [--slide D] --out-of-orderness D
//
// Input lines are "ts_millis,key,value". Each fired window writes
// "key,window_start_millis,window_end_millis,sum,count" under DIR; records
// too late for every window they belong to are written, as read, under
// DIR/late/. Watermarks trail the largest timestamp seen by the
// out-of-orderness bound and advance with every record, so which records
// are late depends only on the input order. At the end of the input every
// remaining window fires.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/filesink"
	"github.com/weirstream/weir/connector/filesource"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/internal/jobcli"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// event is one input line.
type event struct {
	TS    int64
	Key   string
	Value int64
	// Line is the line as read, written unchanged when the event is late.
	Line string
}

func parse(line string) (event, error) {
	parts := strings.Split(line, ",")
	if len(parts) != 3 {
		return event{}, fmt.Errorf("want ts_millis,key,value, got %d fields in %q", len(parts), line)
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(parts[0]), 10, 64)
	if err != nil {
		return event{}, fmt.Errorf("bad ts_millis %q: %w", parts[0], err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(parts[2]), 10, 64)
	if err != nil {
		return event{}, fmt.Errorf("bad value %q (want an int64): %w", parts[2], err)
	}
	return event{TS: ts, Key: parts[1], Value: v, Line: line}, nil
}

type sumCount struct{ Sum, Count int64 }

type sumAgg struct{}

func (sumAgg) CreateAccumulator() sumCount { return sumCount{} }
func (sumAgg) Add(e event, acc sumCount) sumCount {
	return sumCount{Sum: acc.Sum + e.Value, Count: acc.Count + 1}
}
func (sumAgg) GetResult(acc sumCount) sumCount { return acc }
func (sumAgg) Merge(a, b sumCount) sumCount {
	return sumCount{Sum: a.Sum + b.Sum, Count: a.Count + b.Count}
}

func format(key string, ctx window.ProcessContext[window.TimeWindow], results []sumCount, out operator.Collector[string]) error {
	w := ctx.Window()
	for _, r := range results {
		out.Collect(fmt.Sprintf("%s,%d,%d,%d,%d", key, w.Start, w.End, r.Sum, r.Count))
	}
	return nil
}

// eagerBoundedOutOfOrderness emits the watermark on every event that
// advances it, so lateness does not depend on timing.
type eagerBoundedOutOfOrderness struct {
	bound, max int64
}

func (g *eagerBoundedOutOfOrderness) OnEvent(_ event, ts int64, out eventtime.WatermarkOutput) {
	if ts > g.max {
		g.max = ts
		out.EmitWatermark(ts - g.bound - 1)
	}
}

func (g *eagerBoundedOutOfOrderness) OnPeriodicEmit(eventtime.WatermarkOutput) {}

func durationFlag(fs *flag.FlagSet, name, usage string) *time.Duration {
	d := new(time.Duration)
	*d = -1
	fs.Func(name, usage, func(s string) error {
		v, err := config.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = v
		return nil
	})
	return d
}

func main() {
	fs := flag.NewFlagSet("windowsum", flag.ExitOnError)
	input := fs.String("input", "", "file of ts_millis,key,value lines")
	output := fs.String("output", "", "directory for window results (late records go to DIR/late/)")
	size := durationFlag(fs, "window", "window size, e.g. 10s or 500ms (required)")
	slide := durationFlag(fs, "slide", "slide of sliding windows (default: tumbling windows)")
	ooo := durationFlag(fs, "out-of-orderness", "how far timestamps may go backwards before records are late (required)")
	fs.Usage = jobcli.Usage(fs, "windowsum --input FILE --output DIR --window D [--slide D] --out-of-orderness D [-D key=value ...]")
	cfg := jobcli.Parse(fs, os.Args[1:])
	jobcli.Require(fs, "input", "output")
	switch {
	case *size <= 0:
		fmt.Fprintln(os.Stderr, "windowsum: --window must be a positive duration, e.g. --window 10s")
		os.Exit(2)
	case *ooo < 0:
		fmt.Fprintln(os.Stderr, "windowsum: --out-of-orderness is required, e.g. --out-of-orderness 2s (0 for ordered input)")
		os.Exit(2)
	case *slide == 0 || *slide > *size:
		fmt.Fprintln(os.Stderr, "windowsum: --slide must be positive and at most --window")
		os.Exit(2)
	}

	bound := ooo.Milliseconds()
	wm := eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[event] {
		return &eagerBoundedOutOfOrderness{bound: bound, max: eventtime.MinWatermark + bound + 1}
	}).WithTimestampAssigner(func(e event, _ int64) int64 { return e.TS })

	env := stream.NewEnvironment(cfg)
	// One split for the whole file, read by one subtask, keeps one
	// watermark over the input order: with more source subtasks the idle
	// ones would hold the watermark back for as long as they take to end.
	src := filesource.Lines(parse, *input).WithBlockSize(1 << 62)
	events := stream.FromSource(env, src, wm, "events").SetParallelism(1)
	var assigner window.Assigner[event, window.TimeWindow]
	if *slide > 0 {
		assigner = window.SlidingEventTimeWindows[event](*size, *slide)
	} else {
		assigner = window.TumblingEventTimeWindows[event](*size)
	}
	late := stream.NewOutputTag[event]("late")
	windows := stream.Window(stream.KeyBy(events, func(e event) string { return e.Key }), assigner).SideOutputLateData(late)
	sums := stream.WindowAggregateProcess(windows, sumAgg{}, window.ProcessFunc[sumCount, string, string, window.TimeWindow](format)).
		Name("Window sums").UID("window-sums")
	stream.SinkTo(sums, filesink.New(*output, filesink.StringLines())).Name("Window results")
	lateLines := stream.Map(stream.SideOutput(sums, late), func(e event) (string, error) { return e.Line, nil }).Name("Late records")
	stream.SinkTo(lateLines, filesink.New(filepath.Join(*output, "late"), filesink.StringLines())).Name("Late files")
	jobcli.Run(env, "windowsum")
}
