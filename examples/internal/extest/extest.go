package extest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds one run of a program. It catches hangs, not slowness: a
// restored run of the fault tests under a fully loaded CI machine has taken
// over two minutes.
const Timeout = 5 * time.Minute

// Program is an example's main package, built on first use.
type Program struct {
	pkg  string
	once sync.Once
	dir  string
	path string
	err  error
}

// New returns the program for pkg, a path relative to the module root
// such as "./examples/wordcount".
func New(pkg string) *Program { return &Program{pkg: pkg} }

// Path builds the program on first use and returns its binary.
func (p *Program) Path(t testing.TB) string {
	t.Helper()
	p.once.Do(p.build)
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p.path
}

func (p *Program) build() {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		p.err = fmt.Errorf("go env GOMOD: %w", err)
		return
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	p.dir, err = os.MkdirTemp("", filepath.Base(p.pkg)+"-test-")
	if err != nil {
		p.err = err
		return
	}
	p.path = filepath.Join(p.dir, "bin")
	cmd := exec.Command("go", "build", "-o", p.path, p.pkg)
	cmd.Dir = root
	cmd.Env = withoutRace(os.Environ())
	if out, err := cmd.CombinedOutput(); err != nil {
		p.err = fmt.Errorf("go build %s: %w\n%s", p.pkg, err, out)
	}
}

// Remove deletes the built binary; call it from TestMain after m.Run.
func (p *Program) Remove() {
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}

// withoutRace drops -race from GOFLAGS.
func withoutRace(environ []string) []string {
	var env []string
	for _, kv := range environ {
		if flags, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			var keep []string
			for _, f := range strings.Fields(flags) {
				if f != "-race" && f != "--race" && f != "-race=true" {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	return env
}

// Result is how a run ended.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs the program with args and fails t if it cannot start or does
// not finish within Timeout; a non-zero exit code is a Result, not a
// failure.
func (p *Program) Run(t testing.TB, args ...string) Result {
	t.Helper()
	res, err := Exec(p.Path(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Exec runs bin with args for at most Timeout; it is safe to call from any
// goroutine.
func Exec(bin string, args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("run %v: did not finish within %v\nstderr:\n%s", args, Timeout, res.Stderr)
	case err == nil:
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	default:
		return res, fmt.Errorf("run %v: %w\nstderr:\n%s", args, err, res.Stderr)
	}
	return res, nil
}
