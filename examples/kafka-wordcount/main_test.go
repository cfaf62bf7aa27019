package main

import (
	"context"
	"errors"
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

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka/kafkatest"
	"github.com/weirstream/weir/examples/internal/extest"
	"github.com/weirstream/weir/examples/internal/wordtest"
	"github.com/weirstream/weir/internal/failpoint"
)

// The tests run kafka-wordcount as a separate process against a 3-broker
// kfake cluster started by the test, and read the output topic with
// read_committed: every word must have each count 1..n exactly once, in
// order within its partition, whatever killed the job in between.

var prog = extest.New("./examples/kafka-wordcount")

func TestMain(m *testing.M) {
	code := m.Run()
	prog.Remove()
	os.Exit(code)
}

const (
	inputTopic      = "lines"
	outputTopic     = "counts"
	inputPartitions = 4
)

// setup starts a cluster, writes lines to the input topic (spread over its
// partitions) and creates the output topic. It returns the expected counts
// and the arguments every run shares.
func setup(t *testing.T, r *rand.Rand, nLines int, dir string) (*kafkatest.Cluster, map[string]int, []string) {
	t.Helper()
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, inputTopic, inputPartitions)
	c.CreateTopic(t, outputTopic, 3)
	lines := wordtest.GenLines(r, wordtest.Vocabulary(r, 3000), nLines)
	recs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = &kgo.Record{Topic: inputTopic, Partition: int32(i % inputPartitions), Value: []byte(l)}
	}
	c.Produce(t, recs...)
	args := []string{"--brokers", strings.Join(c.Brokers(), ","), "--input-topic", inputTopic, "--output-topic", outputTopic,
		"--bounded", "-D", "state.checkpoints.dir=" + filepath.Join(dir, "checkpoints")}
	return c, wordtest.OracleCounts(lines), args
}

// checkOutput reads the output topic with read_committed and checks it.
func checkOutput(t *testing.T, c *kafkatest.Cluster, want map[string]int) {
	t.Helper()
	recs := c.ReadCommitted(t, outputTopic)
	lines := make([]string, len(recs))
	last := map[string]int{} // per word: the last count seen in its partition's offset order
	for i, rec := range recs {
		lines[i] = string(rec.Value)
		j := strings.LastIndexByte(lines[i], ',')
		if j < 0 {
			t.Fatalf("record %q at %d@%d has no ','", lines[i], rec.Partition, rec.Offset)
		}
		word, n := lines[i][:j], lines[i][j+1:]
		if string(rec.Key) != word {
			t.Fatalf("record %q at %s/%d@%d has key %q, want the word", lines[i], rec.Topic, rec.Partition, rec.Offset, rec.Key)
		}
		count, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("record %q: the count is not a number", lines[i])
		}
		if count <= last[word] {
			t.Errorf("word %q: count %d at %d/%d after count %d: counts must increase in the partition's order",
				word, count, rec.Partition, rec.Offset, last[word])
		}
		last[word] = count
	}
	wordtest.CheckExactlyOnce(t, lines, want)
}

func TestKafkaWordCountBounded(t *testing.T) {
	r := wordtest.NewRand(t)
	dir := t.TempDir()
	c, want, args := setup(t, r, 20_000, dir)
	// group.id is a source key: the shared -D set must not trouble the sink.
	res := prog.Run(t, append(args, "-D", "parallelism.default=2", "-D", "properties.group.id=wc-test")...)
	if res.Code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", res.Code, res.Stderr)
	}
	checkOutput(t, c, want)
}

func TestKafkaWordCountErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no brokers", []string{"--input-topic", "a", "--output-topic", "b"}, "--brokers is required"},
		{"bad property", []string{"--brokers", "127.0.0.1:1", "--input-topic", "a", "--output-topic", "b",
			"-D", "properties.bootstrap.server=x"}, "did you mean bootstrap.servers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := prog.Run(t, tt.args...)
			if res.Code == 0 || !strings.Contains(res.Stderr, tt.want) {
				t.Fatalf("exit code %d, stderr %q; want a failure mentioning %q", res.Code, res.Stderr, tt.want)
			}
		})
	}
}

// TestKafkaWordCountSurvivesKills kills the job with SIGKILL at random
// moments and, through a failpoint, right between a checkpoint's
// completion and the commit of its transactions; each time it restarts
// from the latest retained checkpoint (at another parallelism), then lets
// the last run finish and checks that read_committed consumers see every
// count exactly once and are not blocked by a transaction left open.
func TestKafkaWordCountSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a job several times")
	}
	r := wordtest.NewRand(t)
	dir := t.TempDir()
	c, want, base := setup(t, r, 400_000, dir)
	checkpoints := filepath.Join(dir, "checkpoints")
	base = append(base,
		"-D", "execution.checkpointing.interval="+strconv.Itoa(100+r.IntN(100))+"ms",
		"-D", "execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION",
		"-D", "state.checkpoints.num-retained=2")
	parallelisms := []int{2, 1, 3, 2, 4, 1, 3}
	// Runs 1 and 4 die at the failpoint, the others by SIGKILL from here.
	failpointRuns := map[int]bool{1: true, 4: true}
	kills, failpoints := 0, 0
	for run := 0; ; run++ {
		p := parallelisms[run%len(parallelisms)]
		args := append(slices.Clone(base), "-D", fmt.Sprintf("parallelism.default=%d", p))
		restore := extest.LatestCheckpoint(t, checkpoints)
		if restore != "" {
			args = append(args, "-s", restore)
		}
		cmd := exec.Command(prog.Path(t), args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if failpointRuns[run] {
			cmd.Env = append(os.Environ(), failpoint.Arm(1+r.IntN(3), "kafkasink/before-commit"))
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if kills+failpoints >= 6 {
			ctx, cancel := context.WithTimeout(context.Background(), extest.Timeout)
			err := extest.WaitOrKill(ctx, cmd)
			cancel()
			if err != nil {
				t.Fatalf("final run (p=%d, from %q): %v\n%s", p, filepath.Base(restore), err, &stderr)
			}
			if kills < 4 || failpoints < 2 {
				t.Fatalf("%d kills and %d failpoint crashes before the final run, want at least 4 and 2", kills, failpoints)
			}
			checkOutput(t, c, want)
			return
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		switch {
		case failpointRuns[run]:
			err := <-done
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != failpoint.ExitCode || !strings.Contains(stderr.String(), "failpoint kafkasink/before-commit") {
				t.Fatalf("run %d (p=%d) armed with the before-commit failpoint ended with %v, want exit %d at the failpoint\n%s",
					run, p, err, failpoint.ExitCode, &stderr)
			}
			failpoints++
			t.Logf("run %d (p=%d, from %q) crashed between a checkpoint and its commit", run, p, filepath.Base(restore))
		default:
			delay := time.Duration(200+r.IntN(400)) * time.Millisecond
			select {
			case err := <-done:
				t.Fatalf("run %d (p=%d, from %q) ended before the kill after %v (%v): the input is too small to kill it mid-flight\n%s",
					run, p, filepath.Base(restore), delay, err, &stderr)
			case <-time.After(delay):
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-done
			kills++
			t.Logf("run %d (p=%d, from %q) killed after %v", run, p, filepath.Base(restore), delay)
		}
	}
}
