package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/inspect"
)

// inspectCommand is "weir savepoint inspect PATH". It reads the snapshot
// directly from storage, so it needs no running job and no -m.
func (a *App) inspectCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect [flags] PATH",
		Short: "Show what a savepoint or checkpoint holds",
		Long: `Show what a savepoint or retained checkpoint holds: its kind, id, job, time, format
version and size, and per operator (by UID) its parallelism, max parallelism and the state
of each subtask: key group range, keyed state size, operator list states (name, mode,
elements, bytes). The keyed states found in the key groups are summed per operator: name,
kind, entries, values, bytes, and the timers of each timer service.

PATH is the snapshot's directory or its _metadata file, as a path or a URL (file://, s3://).
Every key group is checked against its checksum without decoding keys or values, so
neither the job nor its codecs are needed. Damaged or missing state files are reported
with the file and key group; the rest is still shown and the exit code is 1.

Exit codes: 0 the snapshot is intact, 1 it is unreadable or damaged, 2 usage error.`,
		Example: `  weir savepoint inspect /tmp/savepoints/savepoint-5e20cb-0c1d2e3f4a5b
  weir savepoint inspect file:///tmp/weir-checkpoints/5e20cb6b0f357591171dfcca2eea09de/chk-42/_metadata
  weir savepoint inspect --json s3://bucket/savepoints/savepoint-5e20cb-0c1d2e3f4a5b`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := inspect.Inspect(cmd.Context(), args[0])
			if err != nil {
				return explainSnapshot(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				err = r.WriteJSON(out)
			} else {
				err = r.WriteText(out, a.opts.Location)
			}
			if err != nil {
				return err
			}
			return r.Err()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (sizes in bytes) instead of tables")
	return cmd
}

// explainSnapshot adds what to do to errors opening a snapshot.
func explainSnapshot(err error) error {
	switch {
	case errors.Is(err, checkpoint.ErrNoMetadata):
		return fmt.Errorf("%w; give a savepoint directory, a retained checkpoint's chk-<n> directory, "+
			"or the _metadata file in one", err)
	case errors.Is(err, checkpoint.ErrCorrupt):
		return fmt.Errorf("%w; the snapshot cannot be read or restored: use another savepoint or retained checkpoint", err)
	}
	return err
}
