// Command weir controls weir jobs through their REST API: weir list,
// cancel, savepoint and stop. The commands live in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/weirstream/weir/cmd/weir/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := cli.New(cli.Options{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	code := app.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
