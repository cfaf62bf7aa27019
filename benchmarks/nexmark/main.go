// Command nexmark runs one Nexmark query, on weir or as its hand-written
// baseline, over the generator at full speed, and reports throughput:
//
//	go run ./benchmarks/nexmark --query q5 --events 10000000 [--parallelism 2]
//	    [--checkpoint-interval 10s] [--state-backend hashmap] [--baseline]
//	    [--seed S] [--output FILE] [--cpuprofile FILE] [-D key=value ...]
//
// The last line printed is
//
//	query=qN mode=weir|baseline events=N parallelism=P seconds=S events_per_sec=E cores_used=C
//
// where cores_used is the process CPU time over the wall time. Without
// --output the result rows are discarded; with it they are written to FILE,
// one CSV line per row.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/benchmarks/nexmark/queries"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/nexmark"
	"github.com/weirstream/weir/internal/jobcli"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/stream"
)

func main() {
	fs := flag.NewFlagSet("nexmark", flag.ExitOnError)
	query := fs.String("query", "", "query to run: "+strings.Join(queries.Names(), ", "))
	events := fs.Int64("events", 10_000_000, "number of events to generate")
	parallelism := fs.Int("parallelism", 0, "parallelism of the weir job (default: parallelism.default, 1)")
	interval := fs.Duration("checkpoint-interval", 0, "exactly-once checkpoint interval (0: off)")
	backend := fs.String("state-backend", "hashmap", "state backend (state.backend.type)")
	baseline := fs.Bool("baseline", false, "run the hand-written single-goroutine baseline instead of weir")
	seed := fs.Uint64("seed", generator.DefaultSeed, "generator seed")
	output := fs.String("output", "", "write the result rows to FILE instead of discarding them")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the run to FILE")
	fs.Usage = jobcli.Usage(fs, "nexmark --query qN --events N [--parallelism P] [--checkpoint-interval D] [--state-backend hashmap] [--baseline] [--seed S] [--output FILE]")
	cfg := jobcli.Parse(fs, os.Args[1:])
	jobcli.Require(fs, "query")
	q, ok := queries.Lookup(*query)
	if !ok {
		fmt.Fprintf(os.Stderr, "nexmark: unknown query %q; choose one of %s\n", *query, strings.Join(queries.Names(), ", "))
		os.Exit(2)
	}
	if *events <= 0 {
		fmt.Fprintln(os.Stderr, "nexmark: --events must be positive")
		os.Exit(2)
	}
	g, err := generator.New(generator.DefaultConfig(), *seed)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nexmark: %v\n", err)
		os.Exit(2)
	}
	out, closeOut := rowWriter(*output)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		must(err)
		must(pprof.StartCPUProfile(f))
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	start, cpu0 := time.Now(), cpuTime()
	mode, p := "baseline", 1
	if *baseline {
		q.Baseline(g, *events, out)
	} else {
		mode = "weir"
		if *parallelism > 0 {
			must(cfg.Set("parallelism.default", fmt.Sprint(*parallelism)))
		}
		must(cfg.Set("state.backend.type", *backend))
		if *interval > 0 {
			dir, err := os.MkdirTemp("", "nexmark-checkpoints-")
			must(err)
			defer func() { _ = os.RemoveAll(dir) }()
			must(cfg.Set("execution.checkpointing.interval", interval.String()))
			must(cfg.Set("state.checkpoints.dir", dir))
		}
		if _, set := cfg.Raw("rest.port"); !set {
			must(cfg.Set("rest.port", "0"))
		}
		env := stream.NewEnvironment(cfg).SetLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		p = config.Get(cfg, config.ParallelismDefault)
		stream.SinkTo(q.Build(nexmark.Events(env, g, *events)), &funcSink{emit: out}).Name("Rows")
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := env.Execute(ctx, "nexmark "+q.Name)
		stop()
		if err != nil {
			fmt.Fprintf(os.Stderr, "nexmark: %v\n", err)
			os.Exit(1)
		}
	}
	must(closeOut())
	wall, cpu := time.Since(start), cpuTime()-cpu0
	fmt.Printf("query=%s mode=%s events=%d parallelism=%d seconds=%.3f events_per_sec=%.0f cores_used=%.2f\n",
		q.Name, mode, *events, p, wall.Seconds(), float64(*events)/wall.Seconds(), cpu.Seconds()/wall.Seconds())
}

// rowWriter returns where rows go: a buffered file, or nowhere.
func rowWriter(path string) (emit func(string), closeOut func() error) {
	if path == "" {
		return func(string) {}, func() error { return nil }
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nexmark: --output: %v\n", err)
		os.Exit(2)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var mu sync.Mutex
	return func(row string) {
			mu.Lock()
			_, _ = io.WriteString(w, row)
			_ = w.WriteByte('\n')
			mu.Unlock()
		}, func() error {
			if err := w.Flush(); err != nil {
				return err
			}
			return f.Close()
		}
}

// funcSink hands every row to emit.
type funcSink struct{ emit func(string) }

func (s *funcSink) CreateWriter(sink.InitContext) (sink.Writer[string], error) { return s, nil }
func (s *funcSink) Write(row string, _ sink.Context) error                     { s.emit(row); return nil }
func (s *funcSink) Flush(bool) error                                           { return nil }
func (s *funcSink) Close() error                                               { return nil }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "nexmark: %v\n", err)
		os.Exit(2)
	}
}
