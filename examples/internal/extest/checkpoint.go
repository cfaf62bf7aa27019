package extest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

var chkDir = regexp.MustCompile(`^chk-(\d+)$`)

// LatestCheckpoint returns the retained checkpoint with the highest id
// under dir (layout <dir>/<job-id>/chk-<n>/_metadata), or "".
func LatestCheckpoint(t testing.TB, dir string) string {
	t.Helper()
	jobs, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	best, bestID := "", -1
	for _, j := range jobs {
		chks, _ := os.ReadDir(filepath.Join(dir, j.Name()))
		for _, c := range chks {
			m := chkDir.FindStringSubmatch(c.Name())
			if m == nil {
				continue
			}
			id, _ := strconv.Atoi(m[1])
			p := filepath.Join(dir, j.Name(), c.Name())
			if _, err := os.Stat(filepath.Join(p, "_metadata")); err == nil && id > bestID {
				best, bestID = p, id
			}
		}
	}
	return best
}

// WaitOrKill waits for a started command, killing it when ctx ends first.
func WaitOrKill(ctx context.Context, cmd *exec.Cmd) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// SIGQUIT makes a Go program print every goroutine's stack to its
		// stderr, which the test shows: where a hung job waits.
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case err := <-done:
			if err == nil {
				return nil // it finished as the time ran out
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			if err := <-done; err == nil {
				return nil
			}
		}
		return fmt.Errorf("did not finish within %v (stopped with SIGQUIT: goroutine stacks are in its stderr)", Timeout)
	}
}
