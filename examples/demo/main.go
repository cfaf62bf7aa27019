// Command demo shows the engine working with nothing to set up: a data
// generator produces sensor readings with event timestamps, keyed
// tumbling windows compute per-sensor statistics each second of event
// time, and the results are printed as Flink's print sink does.
//
//	go run ./examples/demo [--count N] [--rate R] [-D parallelism.default=4]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/print"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/internal/jobcli"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

type reading struct {
	Sensor string
	TS     int64
	Temp   float64
}

type stats struct {
	N             int64
	Sum, Min, Max float64
}

type statsAgg struct{}

func (statsAgg) CreateAccumulator() stats { return stats{} }
func (statsAgg) Add(r reading, s stats) stats {
	if s.N == 0 || r.Temp < s.Min {
		s.Min = r.Temp
	}
	if s.N == 0 || r.Temp > s.Max {
		s.Max = r.Temp
	}
	s.N++
	s.Sum += r.Temp
	return s
}
func (statsAgg) GetResult(s stats) stats { return s }
func (a statsAgg) Merge(x, y stats) stats {
	if x.N == 0 {
		return y
	}
	if y.N == 0 {
		return x
	}
	return stats{N: x.N + y.N, Sum: x.Sum + y.Sum, Min: min(x.Min, y.Min), Max: max(x.Max, y.Max)}
}

// generate derives a reading from its index: 8 sensors, one reading per
// millisecond of event time, temperatures from a fixed pseudo-random walk.
func generate(i int64) (reading, error) {
	h := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(i)>>7
	return reading{
		Sensor: fmt.Sprintf("sensor-%d", i%8),
		TS:     start + i,
		Temp:   20 + float64(h%1000)/100,
	}, nil
}

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

func main() {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	count := fs.Int64("count", 100_000, "readings to generate (-1: run until Ctrl-C)")
	rate := fs.Float64("rate", 25_000, "readings per second (0: as fast as possible)")
	fs.Usage = jobcli.Usage(fs, "demo [--count N] [--rate R] [-D key=value ...]")
	cfg := jobcli.Parse(fs, os.Args[1:])

	var opts []datagen.Option
	if *rate > 0 {
		opts = append(opts, datagen.WithRateLimit(*rate))
	}
	env := stream.NewEnvironment(cfg)
	wm := eventtime.ForBoundedOutOfOrderness[reading](100 * time.Millisecond).
		WithTimestampAssigner(func(r reading, _ int64) int64 { return r.TS })
	readings := stream.FromSource(env, datagen.New(*count, generate, opts...), wm, "sensor readings")
	keyed := stream.KeyBy(readings, func(r reading) string { return r.Sensor })
	windows := stream.Window(keyed, window.TumblingEventTimeWindows[reading](time.Second))
	summary := stream.WindowAggregateProcess(windows, statsAgg{},
		window.ProcessFunc[stats, string, string, window.TimeWindow](func(sensor string, ctx window.ProcessContext[window.TimeWindow], s []stats, out operator.Collector[string]) error {
			w := ctx.Window()
			out.Collect(fmt.Sprintf("%s %s..%s n=%d avg=%.2f min=%.2f max=%.2f", sensor,
				time.UnixMilli(w.Start).UTC().Format("15:04:05"), time.UnixMilli(w.End).UTC().Format("15:04:05"),
				s[0].N, s[0].Sum/float64(s[0].N), s[0].Min, s[0].Max))
			return nil
		})).Name("Per-sensor stats").UID("sensor-stats")
	stream.SinkTo(summary, print.New[string]()).Name("Print")
	jobcli.Run(env, "demo")
}
