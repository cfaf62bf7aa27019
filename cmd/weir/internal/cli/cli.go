// Package cli is the command tree of the weir command: the Flink-shaped
// job-control commands (list, cancel, savepoint, stop) that talk to a job's
// REST API. It lives outside package main so the commands can be run
// in-process by tests, and so other commands can be added to the tree with
// [App.AddCommand] and [App.AddSavepointCommand].
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/rest"
)

// Exit codes of [App.Run].
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // the command line was wrong
)

const (
	// ConfDirEnv names the directory holding config.yaml, as for jobs
	// (stream.ConfigFileEnv); the commands read rest.address and rest.port
	// from it, as Flink's CLI reads its configuration directory.
	ConfDirEnv = "WEIR_CONF_DIR"

	defaultHost = "localhost"
)

// Options are the process's streams and environment.
type Options struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables; nil means none are set.
	Getenv func(string) string
	// HTTPClient calls the REST API; nil means a default client.
	HTTPClient *http.Client
	// Location is the time zone times are printed in; nil means local time.
	Location *time.Location
}

// App is the weir command tree. Create it with [New], add commands, then
// [App.Run] it.
type App struct {
	root      *cobra.Command
	savepoint *cobra.Command
	opts      Options
	// pollMin and pollMax bound the interval between status queries while
	// waiting for a savepoint.
	pollMin, pollMax time.Duration
}

// New builds the command tree.
func New(opts Options) *App {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	a := &App{opts: opts, pollMin: 100 * time.Millisecond, pollMax: time.Second}
	a.root = &cobra.Command{
		Use:   "weir",
		Short: "Control weir jobs",
		Long: `weir controls running weir jobs through their REST API, as Flink's "flink" command does:
list them, cancel them, take savepoints and stop them with a savepoint.

The commands connect to the job's REST API at -m host:port. Without -m they use
rest.address and rest.port from $` + ConfDirEnv + `/config.yaml, else localhost:8081.
'weir savepoint inspect PATH' reads a savepoint or checkpoint from storage instead.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 {
				msg += fmt.Sprintf(" (did you mean '%s'?)", sugg[0])
			}
			return usagef("%s", msg)
		},
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SuggestionsMinimumDistance: 2,
		SilenceErrors:              true,
		SilenceUsage:               true,
		CompletionOptions:          cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	a.root.SetOut(opts.Stdout)
	a.root.SetErr(opts.Stderr)
	a.root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	a.savepoint = a.savepointCommand()
	a.savepoint.AddCommand(a.inspectCommand())
	a.root.AddCommand(a.listCommand(), a.cancelCommand(), a.savepoint, a.stopCommand())
	return a
}

// Root returns the root command.
func (a *App) Root() *cobra.Command { return a.root }

// AddCommand adds top-level commands (weir run, weir jobmanager, ...).
// Commands write with cmd.OutOrStdout() and cmd.ErrOrStderr(); errors they
// return are printed by Run, and an error wrapping [ErrUsage] exits with
// ExitUsage.
func (a *App) AddCommand(cmds ...*cobra.Command) { a.root.AddCommand(cmds...) }

// AddSavepointCommand adds subcommands of "weir savepoint", such as
// "weir savepoint inspect PATH". "weir savepoint JOB_ID [DIR]" keeps
// triggering savepoints: job ids are hexadecimal and cannot collide with a
// subcommand's name.
func (a *App) AddSavepointCommand(cmds ...*cobra.Command) { a.savepoint.AddCommand(cmds...) }

// Run runs the command args name and returns the process exit code.
// Errors are printed to stderr.
func (a *App) Run(ctx context.Context, args []string) int {
	a.root.SetArgs(args)
	cmd, err := a.root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	_, _ = fmt.Fprintf(a.opts.Stderr, "Error: %v\n", err)
	if errors.Is(err, ErrUsage) {
		if cmd == nil {
			cmd = a.root
		}
		_, _ = fmt.Fprintf(a.opts.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return ExitUsage
	}
	return ExitFailure
}

// ErrUsage is matched by errors about the command line itself.
var ErrUsage = errors.New("cli: usage error")

type usageError struct{ err error }

func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == ErrUsage }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// usageArgs marks the errors of an argument validator as usage errors.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// addressFlag adds -m to a command that talks to the REST API.
func addressFlag(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVarP(addr, "jobmanager", "m", "",
		"host:port of the job's REST API (default: rest.address:rest.port from $"+ConfDirEnv+"/config.yaml, else localhost:8081)")
}

// client returns a REST client for -m, or for the configured or default
// address.
func (a *App) client(flagAddr string) (*rest.Client, error) {
	addr := flagAddr
	if addr == "" {
		var err error
		if addr, err = a.configuredAddress(); err != nil {
			return nil, err
		}
	}
	c, err := rest.NewClient(addr, a.opts.HTTPClient)
	switch {
	case err != nil && flagAddr != "":
		return nil, usagef("-m %s: the address must be host:port or an http:// URL", flagAddr)
	case err != nil:
		return nil, fmt.Errorf("the REST address %s from $%s/config.yaml is not host:port: fix rest.address or pass -m host:port", addr, ConfDirEnv)
	}
	return c, nil
}

// configuredAddress reads rest.address and rest.port from the
// configuration directory, as Flink's CLI does.
func (a *App) configuredAddress() (string, error) {
	host, port := defaultHost, rest.Port.Default()
	if dir := a.opts.Getenv(ConfDirEnv); dir != "" {
		file := filepath.Join(dir, "config.yaml")
		if _, err := os.Stat(file); err == nil {
			conf, err := config.LoadYAML(file)
			if err != nil {
				return "", fmt.Errorf("reading the REST address from $%s: %w; fix the file or pass -m host:port", ConfDirEnv, err)
			}
			if h := config.Get(conf, rest.Address); h != "" {
				host = h
			}
			port = config.Get(conf, rest.Port)
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// explain adds what to do to errors from the REST client.
func explain(c *rest.Client, err error) error {
	var unreachable *rest.UnreachableError
	var apiErr *rest.APIError
	switch {
	case errors.As(err, &unreachable):
		return fmt.Errorf("cannot reach the REST API at %s (%v): is the job running? If its REST API listens elsewhere, pass -m host:port "+
			"(a job logs its REST address when it starts)", unreachable.Address, unreachable.Err)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && strings.HasPrefix(apiErr.Path, "/jobs/"):
		return fmt.Errorf("%w; 'weir list --all -m %s' shows the jobs there", err, strings.TrimPrefix(c.Address(), "http://"))
	}
	return err
}

// jobIDArg parses a JOB_ID argument.
func jobIDArg(cmd *cobra.Command, s string) (rest.JobID, error) {
	id, err := rest.ParseJobID(s)
	if err != nil {
		msg := fmt.Sprintf("invalid JOB_ID %q: a job id is 32 hexadecimal characters, as 'weir list' prints it", s)
		if sugg := cmd.SuggestionsFor(s); len(sugg) > 0 {
			msg += fmt.Sprintf(" (did you mean '%s %s'?)", cmd.CommandPath(), sugg[0])
		}
		return rest.JobID{}, usagef("%s", msg)
	}
	return id, nil
}

// formatFlag parses a --type value.
func formatFlag(s string) (rest.SavepointFormat, error) {
	f, err := rest.ParseSavepointFormat(s)
	if err != nil {
		return "", usagef("--type %s: the savepoint format is canonical (any state backend can restore it) or native (faster, same backend only)", s)
	}
	return f, nil
}
