package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/runtime/graph"
	"github.com/weirstream/weir/runtime/task"
)

// Options tune an execution beyond the job configuration.
type Options struct {
	// Clock drives processing time (nil: the wall clock).
	Clock task.Clock
	// Logger receives job lifecycle logs (nil: slog.Default()).
	Logger *slog.Logger
}

// Execute runs jg to completion: until every subtask has consumed its input
// (bounded sources), the job fails for good, or ctx is cancelled. With
// checkpointing on, a failed attempt restarts from the latest completed
// checkpoint as the restart strategy allows; a restore path in the
// configuration (execution.savepoint.path) is the first attempt's start.
func Execute(ctx context.Context, name string, jg *graph.JobGraph, cfg *config.Configuration, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	j, err := newJob(ctx, name, jg, cfg, opts, log)
	if err != nil {
		return err
	}
	log.Info("job starting", "job", name, "id", j.id, "fingerprint", jg.Fingerprint, "tasks", len(jg.Vertices))
	start := time.Now()
	var serving sync.WaitGroup
	srvCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	if ln := j.listenREST(); ln != nil {
		srv := rest.New(j, log)
		serving.Go(func() {
			if err := srv.Serve(srvCtx, ln); err != nil {
				log.Warn("REST API stopped", "error", err)
			}
		})
	}
	err = j.run(ctx)
	j.linger(ctx)
	stopServer()
	serving.Wait()
	switch {
	case err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil:
		log.Info("job cancelled", "job", name, "after", time.Since(start))
		return fmt.Errorf("job %q cancelled: %w", name, err)
	case err != nil:
		log.Error("job failed", "job", name, "error", err, "after", time.Since(start))
		return fmt.Errorf("job %q failed: %w", name, err)
	}
	log.Info("job finished", "job", name, "after", time.Since(start))
	return nil
}

func allEdges(jg *graph.JobGraph) []*graph.Edge {
	var out []*graph.Edge
	for _, n := range jg.Nodes {
		out = append(out, jg.Outputs[n.ID]...)
	}
	return out
}

// mergeInputs unions edges into the same logical input (Union feeds one
// input from several producers).
func mergeInputs(in []task.InputSpec) []task.InputSpec {
	var out []task.InputSpec
	for _, s := range in {
		merged := false
		for k := range out {
			if out[k].Input == s.Input {
				out[k].Channels = append(out[k].Channels, s.Channels...)
				out[k].EdgeKeys = append(out[k].EdgeKeys, s.EdgeKeys...)
				merged = true
			}
		}
		if !merged {
			out = append(out, s)
		}
	}
	return out
}
