package jobcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/stream"
)

// Parse splits args into the job configuration (-D key=value, --config
// FILE) and the job's flags, parsed with fs. Errors go to stderr with usage
// and exit 2.
func Parse(fs *flag.FlagSet, args []string) *config.Configuration {
	cfg, rest, err := stream.ParseArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", fs.Name(), err)
		os.Exit(2)
	}
	if err := fs.Parse(rest); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		fs.Usage()
		os.Exit(2)
	}
	return cfg
}

// Require exits with usage when a required flag is empty.
func Require(fs *flag.FlagSet, names ...string) {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			fmt.Fprintf(os.Stderr, "%s: --%s is required\n", fs.Name(), n)
			fs.Usage()
			os.Exit(2)
		}
	}
}

// Run executes env until the job ends or the process is interrupted
// (Ctrl-C cancels the job cleanly), and exits 1 with the failure.
func Run(env *stream.Environment, name string) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := env.Execute(ctx, name)
	interrupted := errors.Is(err, context.Canceled) && ctx.Err() != nil
	if err != nil && !interrupted {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Usage prints a usage line, the job's flags and the configuration hint.
func Usage(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		out := fs.Output()
		_, _ = fmt.Fprintf(out, "usage: %s\n\n", synopsis)
		fs.PrintDefaults()
		_, _ = fmt.Fprintf(out, "\nConfiguration: -D key=value (e.g. -D parallelism.default=4) or --config FILE (YAML).\n")
	}
}
