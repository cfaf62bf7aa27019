package cli

import (
	"cmp"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/rest"
)

func (a *App) listCommand() *cobra.Command {
	var addr string
	var all bool
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List running jobs",
		Long: `List the jobs of a job process or cluster: id, name, state and start time, oldest first.
Without --all only jobs that have not ended are listed.`,
		Example: `  weir list
  weir list -m jobmanager:8081 --all`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(addr)
			if err != nil {
				return err
			}
			jobs, err := c.JobsOverview(cmd.Context())
			if err != nil {
				return explain(c, err)
			}
			if !all {
				jobs = slices.DeleteFunc(jobs, func(j rest.JobOverview) bool { return j.State.Terminal() })
			}
			slices.SortStableFunc(jobs, func(x, y rest.JobOverview) int {
				return cmp.Or(cmp.Compare(x.StartTime, y.StartTime), cmp.Compare(x.ID.String(), y.ID.String()))
			})
			out := cmd.OutOrStdout()
			if len(jobs) == 0 {
				if all {
					_, err = fmt.Fprintln(out, "No jobs.")
				} else {
					_, err = fmt.Fprintln(out, "No running jobs.")
				}
				return err
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			_, _ = fmt.Fprintln(tw, "JOB ID\tNAME\tSTATE\tSTART TIME")
			for _, j := range jobs {
				_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", j.ID, j.Name, j.State, a.formatTime(j.StartTime))
			}
			return tw.Flush()
		},
	}
	addressFlag(cmd, &addr)
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also list jobs that finished, failed or were cancelled")
	return cmd
}

func (a *App) formatTime(ms int64) string {
	if ms < 0 {
		return "-"
	}
	return time.UnixMilli(ms).In(a.opts.Location).Format(time.DateTime)
}

func (a *App) cancelCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "cancel [flags] JOB_ID",
		Short: "Cancel a job",
		Long: `Cancel a running job without taking a savepoint. The job stops as soon as its tasks
have been cancelled; state since its last checkpoint is lost. To keep the state, stop
the job with a savepoint instead: weir stop JOB_ID.`,
		Example: `  weir cancel 5e20cb6b0f357591171dfcca2eea09de
  weir cancel -m jobmanager:8081 5e20cb6b0f357591171dfcca2eea09de`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := jobIDArg(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := a.client(addr)
			if err != nil {
				return err
			}
			if err := c.Cancel(cmd.Context(), id); err != nil {
				return explain(c, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Cancelling job %s.\n", id)
			return err
		},
	}
	addressFlag(cmd, &addr)
	return cmd
}
