package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/local"
	"github.com/weirstream/weir/runtime/task"
)

// Environment collects a job's configuration and graph and executes it.
// It is not safe for concurrent use while building.
type Environment struct {
	cfg    *config.Configuration
	graph  *graph.StreamGraph
	clock  task.Clock
	logger *slog.Logger
	last   *graph.JobGraph
	// buildErrs are API misuses found while building, reported by Execute.
	buildErrs []error
}

// NewEnvironment returns an environment with cfg (nil: all defaults).
func NewEnvironment(cfg *config.Configuration) *Environment {
	if cfg == nil {
		cfg = config.New()
	}
	return &Environment{cfg: cfg, graph: &graph.StreamGraph{}}
}

// ConfigFileEnv names the directory holding config.yaml, as FLINK_CONF_DIR.
const ConfigFileEnv = "WEIR_CONF_DIR"

// restoreFlags are the restore options of `flink run`, mapped to the
// configuration keys they set.
var restoreFlags = map[string]string{
	"s":             "execution.savepoint.path",
	"fromSavepoint": "execution.savepoint.path",
	"restoreMode":   "execution.savepoint-restore-mode",
}

// allowNonRestoredFlags skip state of operators the job no longer has.
var allowNonRestoredFlags = map[string]bool{"n": true, "allowNonRestoredState": true}

// ParseArgs builds a configuration the way the weir CLI does: config.yaml
// from $WEIR_CONF_DIR (if set), then `--config FILE`, then every
// `-D key=value` / `-Dkey=value`, later ones winning. Like `flink run` it
// takes `-s PATH` (--fromSavepoint: restore from a savepoint or retained
// checkpoint), `-n` (--allowNonRestoredState) and `--restoreMode
// CLAIM|NO_CLAIM`. It returns the other arguments for the job's own flags;
// everything after "--" is the job's.
func ParseArgs(args []string) (*config.Configuration, []string, error) {
	cfg := config.New()
	if dir := os.Getenv(ConfigFileEnv); dir != "" {
		file := filepath.Join(dir, "config.yaml")
		if _, err := os.Stat(file); err == nil {
			c, err := config.LoadYAML(file)
			if err != nil {
				return nil, nil, err
			}
			cfg.Merge(c)
		}
	}
	props, rest, err := config.ParseDynamicArgs(args)
	if err != nil {
		return nil, nil, err
	}
	var remaining []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || a == "-" {
			name = ""
		}
		switch {
		case a == "--":
			// Everything after "--" belongs to the job.
			remaining = append(remaining, rest[i:]...)
			i = len(rest)
		case name == "config" || restoreFlags[name] != "":
			if !hasValue {
				if i+1 >= len(rest) {
					what := "a value"
					switch name {
					case "config":
						what = "a file path"
					case "s", "fromSavepoint":
						what = "a savepoint or checkpoint path"
					}
					return nil, nil, fmt.Errorf("stream: %s needs %s", a, what)
				}
				i++
				value = rest[i]
			}
			if name == "config" {
				c, err := config.LoadYAML(value)
				if err != nil {
					return nil, nil, err
				}
				cfg.Merge(c)
				continue
			}
			props[restoreFlags[name]] = value
		case allowNonRestoredFlags[name] && !hasValue:
			props["execution.savepoint.ignore-unclaimed-state"] = "true"
		default:
			remaining = append(remaining, a)
		}
	}
	if err := cfg.SetAll(props); err != nil {
		return nil, nil, err
	}
	return cfg, remaining, nil
}

// Config is the job configuration; options set here before Execute apply.
func (e *Environment) Config() *config.Configuration { return e.cfg }

// SetParallelism sets parallelism.default.
func (e *Environment) SetParallelism(n int) *Environment {
	config.SetValue(e.cfg, config.ParallelismDefault, n)
	return e
}

// SetMaxParallelism sets pipeline.max-parallelism (the number of key groups).
func (e *Environment) SetMaxParallelism(n int) *Environment {
	config.SetValue(e.cfg, config.MaxParallelism, n)
	return e
}

// SetBufferTimeout sets execution.buffer-timeout.
func (e *Environment) SetBufferTimeout(d time.Duration) *Environment {
	config.SetValue(e.cfg, config.BufferTimeout, d)
	return e
}

// DisableOperatorChaining runs every operator in its own subtask.
func (e *Environment) DisableOperatorChaining() *Environment {
	config.SetValue(e.cfg, config.OperatorChaining, false)
	return e
}

// SetClock replaces the processing-time clock (tests).
func (e *Environment) SetClock(c task.Clock) *Environment { e.clock = c; return e }

// SetLogger sets where job lifecycle logs go.
func (e *Environment) SetLogger(l *slog.Logger) *Environment { e.logger = l; return e }

// Plan chains the graph built so far without running it.
func (e *Environment) Plan() (*graph.JobGraph, error) {
	if err := errors.Join(e.buildErrs...); err != nil {
		return nil, err
	}
	return graph.Build(e.graph, e.cfg)
}

// Execute runs the job in this process and blocks until it finishes
// (bounded input consumed), fails, or ctx is cancelled. The graph is
// consumed: build a new one before executing again.
func (e *Environment) Execute(ctx context.Context, name string) error {
	if n := config.Get(e.cfg, config.PipelineName); n != "" && name == "" {
		name = n
	}
	jg, err := e.Plan()
	if err != nil {
		return err
	}
	e.last = jg
	e.graph = &graph.StreamGraph{}
	return local.Execute(ctx, name, jg, e.cfg, local.Options{Clock: e.clock, Logger: e.logger})
}

func (e *Environment) addNode(n *graph.Node) *graph.Node { return e.graph.AddNode(n) }
