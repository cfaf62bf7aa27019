package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/examples/internal/extest"
	"github.com/weirstream/weir/examples/internal/wordtest"
)

// The fault tests run wordcount with frequent checkpoints, kill it with
// SIGKILL at random moments, restart it from the latest retained
// checkpoint (sometimes at another parallelism) and check that the
// committed output holds every count 1..n of every word exactly once.

// checkExactlyOnce reads the committed part files in dir (names starting
// with neither '.' nor '_') and checks that every word has each count
// 1..want[word] exactly once and nothing else.
func checkExactlyOnce(t *testing.T, dir string, want map[string]int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || !e.Type().IsRegular() {
			continue
		}
		if !partName.MatchString(name) {
			t.Errorf("finished file %q is not named part-<uuid>-<n>", name)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line != "" {
				lines = append(lines, line)
			}
		}
	}
	wordtest.CheckExactlyOnce(t, lines, want)
}

// faultSetup writes a large random input and returns the expected counts
// and the arguments every run of a fault test shares: input, output under
// dir, checkpoints every 100-200 ms under dir.
func faultSetup(t *testing.T) (r *rand.Rand, dir string, want map[string]int, args []string) {
	t.Helper()
	r = wordtest.NewRand(t)
	dir = t.TempDir()
	input := filepath.Join(dir, "in.txt")
	// Enough input that no run ends before it is interrupted, cheaply:
	// random lines, repeated.
	const repeat = 8
	lines := wordtest.GenLines(r, wordtest.Vocabulary(r, 5000), 300_000)
	writeLines(t, input, slices.Repeat(lines, repeat), "\n")
	want = wordtest.OracleCounts(lines)
	for w := range want {
		want[w] *= repeat
	}
	args = []string{"--input", input, "--output", filepath.Join(dir, "out"),
		"-D", "execution.checkpointing.interval=" + strconv.Itoa(100+r.IntN(100)) + "ms",
		"-D", "state.checkpoints.dir=" + filepath.Join(dir, "checkpoints")}
	return r, dir, want, args
}

// startJob starts the wordcount binary; the caller kills or waits for it.
func startJob(t *testing.T, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(prog.Path(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

func TestWordCountSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a job several times")
	}
	for _, mode := range []struct {
		name string
		opts []string
	}{
		{"aligned", nil},
		{"unaligned", []string{"-D", "execution.checkpointing.unaligned=true"}},
	} {
		t.Run(mode.name, func(t *testing.T) { killAndRestore(t, mode.opts) })
	}
}

// killAndRestore runs the job with checkpointing options opts, kills it at
// least five times, restores it from the latest checkpoint each time, and
// checks the committed output.
func killAndRestore(t *testing.T, opts []string) {
	r, dir, want, base := faultSetup(t)
	out := filepath.Join(dir, "out")
	checkpoints := filepath.Join(dir, "checkpoints")
	base = append(base,
		"-D", "execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION",
		"-D", "state.checkpoints.num-retained=2")
	base = append(base, opts...)
	parallelisms := []int{2, 1, 3, 4, 2, 1, 3}
	kills := 0
	for run := 0; ; run++ {
		p := parallelisms[run%len(parallelisms)]
		args := append(slices.Clone(base), "-D", fmt.Sprintf("parallelism.default=%d", p))
		restore := extest.LatestCheckpoint(t, checkpoints)
		if restore != "" {
			args = append(args, "-s", restore)
		} else if err := os.RemoveAll(out); err != nil {
			// Nothing is committed before the first checkpoint completes,
			// so a run without one starts over cleanly.
			t.Fatal(err)
		}
		cmd, stderr := startJob(t, args...)
		if kills < 6 {
			// Let it checkpoint a few times, then kill it mid-flight.
			delay := time.Duration(150+r.IntN(300)) * time.Millisecond
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Logf("run %d (p=%d, from %q) finished before the kill after %v: %v", run, p, filepath.Base(restore), delay, err)
				if err != nil {
					t.Fatalf("run %d failed: %v\n%s", run, err, stderr)
				}
				checkExactlyOnce(t, out, want)
				if kills < 5 {
					t.Fatalf("the job finished after %d kills; the input is too small to kill it 5 times", kills)
				}
				return
			case <-time.After(delay):
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-done
			kills++
			t.Logf("run %d (p=%d, from %q) killed after %v", run, p, filepath.Base(restore), delay)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), extest.Timeout)
		err := extest.WaitOrKill(ctx, cmd)
		cancel()
		if err != nil {
			t.Fatalf("final run (p=%d, from %q): %v\n%s", p, filepath.Base(restore), err, stderr)
		}
		checkExactlyOnce(t, out, want)
		return
	}
}
