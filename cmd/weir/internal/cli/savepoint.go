package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/weirstream/weir/rest"
)

// savepointFlags are the flags savepoint and stop share.
type savepointFlags struct {
	addr    string
	format  string
	timeout time.Duration
}

func (f *savepointFlags) add(cmd *cobra.Command) {
	addressFlag(cmd, &f.addr)
	cmd.Flags().StringVarP(&f.format, "type", "t", "canonical",
		"savepoint format: canonical (any state backend can restore it) or native (faster, same backend only)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 0,
		"give up waiting after this long (the savepoint goes on in the job); 0 waits until it completes or fails")
}

func (a *App) savepointCommand() *cobra.Command {
	var f savepointFlags
	cmd := &cobra.Command{
		Use:   "savepoint [flags] JOB_ID [TARGET_DIR]",
		Short: "Take a savepoint of a running job",
		Long: `Take a savepoint of a running job and wait until it is complete. The job keeps running.
The savepoint is written to TARGET_DIR (a path or URL the job can write: file://, s3://, gs://),
or to state.savepoints.dir of the job when TARGET_DIR is omitted. The path of the savepoint is
printed on stdout; progress goes to stderr.`,
		Example: `  weir savepoint 5e20cb6b0f357591171dfcca2eea09de
  weir savepoint -m jobmanager:8081 5e20cb6b0f357591171dfcca2eea09de s3://bucket/savepoints`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		// Suggest a subcommand for a mistyped one instead of only
		// rejecting it as a job id.
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := jobIDArg(cmd, args[0])
			if err != nil {
				return err
			}
			format, err := formatFlag(f.format)
			if err != nil {
				return err
			}
			req := rest.SavepointRequest{FormatType: format}
			if len(args) == 2 {
				req.TargetDirectory = args[1]
			}
			c, err := a.client(f.addr)
			if err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "Triggering savepoint for job %s.\n", id)
			trigger, err := c.TriggerSavepoint(cmd.Context(), id, req)
			if err != nil {
				return explain(c, err)
			}
			return a.await(cmd, c, id, trigger, f.timeout)
		},
	}
	f.add(cmd)
	return cmd
}

func (a *App) stopCommand() *cobra.Command {
	var f savepointFlags
	var dir string
	var drain bool
	cmd := &cobra.Command{
		Use:   "stop [flags] JOB_ID",
		Short: "Stop a job with a savepoint",
		Long: `Stop a running job gracefully: take a savepoint, then finish the job, and wait until
both are done. Restart the job from the printed savepoint path to continue where it stopped.
The savepoint goes to --savepoint-path, or to state.savepoints.dir of the job.

--drain first emits the maximum watermark, so every event-time window and timer fires
before the savepoint: use it to end a job for good, not to pause and resume it.`,
		Example: `  weir stop 5e20cb6b0f357591171dfcca2eea09de
  weir stop -p s3://bucket/savepoints --drain 5e20cb6b0f357591171dfcca2eea09de`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := jobIDArg(cmd, args[0])
			if err != nil {
				return err
			}
			format, err := formatFlag(f.format)
			if err != nil {
				return err
			}
			c, err := a.client(f.addr)
			if err != nil {
				return err
			}
			how := ""
			if drain {
				how = ", draining it first"
			}
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "Stopping job %s with a %s savepoint%s.\n", id, format, how)
			trigger, err := c.StopWithSavepoint(cmd.Context(), id, rest.StopRequest{TargetDirectory: dir, Drain: drain, FormatType: format})
			if err != nil {
				return explain(c, err)
			}
			return a.await(cmd, c, id, trigger, f.timeout)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&dir, "savepoint-path", "p", "", "directory the savepoint is written to (default: state.savepoints.dir of the job)")
	cmd.Flags().BoolVarP(&drain, "drain", "d", false, "emit the maximum watermark before the savepoint, firing all event-time windows and timers")
	// Flink spells the flag --savepointPath; accept it too.
	cmd.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "savepointPath" {
			name = "savepoint-path"
		}
		return pflag.NormalizedName(name)
	})
	return cmd
}

// await polls the status of a savepoint operation until it ends, showing
// progress on stderr, and prints the savepoint's path on stdout.
func (a *App) await(cmd *cobra.Command, c *rest.Client, job rest.JobID, trigger rest.TriggerID, timeout time.Duration) error {
	ctx := cmd.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	p := progress{w: cmd.ErrOrStderr(), start: time.Now()}
	p.begin()
	timer := time.NewTimer(a.pollMin)
	defer timer.Stop()
	for delay := a.pollMin; ; delay = min(2*delay, a.pollMax) {
		op, err := c.SavepointStatus(ctx, job, trigger)
		if err == nil && op.Done() {
			location, err := op.Result()
			if err != nil {
				p.end("failed")
				return fmt.Errorf("the savepoint of job %s failed: %w", job, err)
			}
			p.end("done")
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Savepoint completed. Path: %s\n", location)
			return err
		}
		if err == nil {
			p.tick()
			timer.Reset(delay)
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-timer.C:
				continue
			}
		}
		p.end("")
		statusURL := c.URL(rest.SavepointStatusPath(job, trigger))
		var unreachable *rest.UnreachableError
		switch {
		case errors.As(err, &unreachable):
			// A job process that stopped takes its REST API with it.
			return fmt.Errorf("lost contact with the REST API at %s while waiting for the savepoint of job %s (%v): "+
				"if the job has ended, its log names the savepoint path", unreachable.Address, job, unreachable.Err)
		case errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil:
			return fmt.Errorf("the savepoint of job %s is still in progress after %s; it goes on in the job: its status is at %s", job, timeout, statusURL)
		case ctx.Err() != nil:
			return fmt.Errorf("stopped waiting; the savepoint of job %s goes on in the job: its status is at %s", job, statusURL)
		}
		return explain(c, err)
	}
}

// progress shows that a wait goes on: a dot per second, the elapsed time
// every ten seconds.
type progress struct {
	w     io.Writer
	start time.Time
	dots  int
}

func (p *progress) begin() { _, _ = fmt.Fprint(p.w, "Waiting for the savepoint...") }

func (p *progress) tick() {
	for secs := int(time.Since(p.start) / time.Second); p.dots < secs; {
		p.dots++
		if p.dots%10 == 0 {
			_, _ = fmt.Fprintf(p.w, " %ds ", p.dots)
		} else {
			_, _ = fmt.Fprint(p.w, ".")
		}
	}
}

// end finishes the progress line with outcome and the elapsed time.
func (p *progress) end(outcome string) {
	if outcome == "" {
		_, _ = fmt.Fprintln(p.w)
		return
	}
	d := time.Since(p.start)
	if d < time.Second {
		d = d.Round(time.Millisecond)
	} else {
		d = d.Round(100 * time.Millisecond)
	}
	_, _ = fmt.Fprintf(p.w, " %s after %s.\n", outcome, d)
}
