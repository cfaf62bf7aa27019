package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/examples/internal/extest"
)

var weirCLI = extest.New("./cmd/weir")

var (
	restURL = regexp.MustCompile(`REST API listening url=http://(\S+)`)
	jobID   = regexp.MustCompile(`job starting .* id=([0-9a-f]{32})`)
	spPath  = regexp.MustCompile(`Savepoint completed\. Path: (\S+)`)
)

// runningJob is a wordcount process whose log is scanned for its REST
// address and job id.
type runningJob struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done chan error
}

func startLogged(t *testing.T, args ...string) *runningJob {
	t.Helper()
	j := &runningJob{cmd: exec.Command(prog.Path(t), args...), done: make(chan error, 1)}
	stderr, err := j.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			j.mu.Lock()
			j.log.WriteString(sc.Text() + "\n")
			j.mu.Unlock()
		}
	}()
	go func() {
		<-scanned
		j.done <- j.cmd.Wait()
	}()
	return j
}

func (j *runningJob) logText() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.log.String()
}

// address waits for the REST address and job id in the log.
func (j *runningJob) address(t *testing.T) (addr, id string, ok bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		log := j.logText()
		a, i := restURL.FindStringSubmatch(log), jobID.FindStringSubmatch(log)
		if a != nil && i != nil {
			return a[1], i[1], true
		}
		select {
		case err := <-j.done:
			j.done <- err
			return "", "", false
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no REST address and job id in the log within 10s:\n%s", j.logText())
	return "", "", false
}

func TestWordCountStopWithSavepointAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and restores a job several times")
	}
	// Build the CLI now: built on first use, under load its build outlasted
	// a whole run of the job, which then finished before the first stop.
	weirCLI.Path(t)
	prog.Path(t)
	r, dir, want, base := faultSetup(t)
	out := filepath.Join(dir, "out")
	savepoints := filepath.Join(dir, "savepoints")
	base = append(base, "-D", "rest.port=0")
	parallelisms := []int{2, 3, 1, 4, 2, 1}
	restore := ""
	for run, stops := 0, 0; ; run++ {
		p := parallelisms[run%len(parallelisms)]
		args := append(slices.Clone(base), "-D", fmt.Sprintf("parallelism.default=%d", p))
		if restore != "" {
			args = append(args, "-s", restore)
		}
		job := startLogged(t, args...)
		addr, id, ok := job.address(t)
		if ok && stops < 5 {
			time.Sleep(time.Duration(50+r.IntN(250)) * time.Millisecond)
			res := weirCLI.Run(t, "stop", "-m", addr, "--savepoint-path", savepoints, id)
			m := spPath.FindStringSubmatch(res.Stdout)
			if res.Code == 0 && m != nil {
				if err := <-job.done; err != nil {
					t.Fatalf("run %d: the job did not exit cleanly after stop-with-savepoint: %v\n%s", run, err, job.logText())
				}
				stops++
				restore = m[1]
				t.Logf("run %d (p=%d) stopped with savepoint %s", run, p, filepath.Base(restore))
				continue
			}
			t.Logf("run %d: weir stop exited %d (the job may have finished): %s%s", run, res.Code, res.Stdout, res.Stderr)
		}
		var err error
		select {
		case err = <-job.done:
		case <-time.After(extest.Timeout):
			_ = job.cmd.Process.Kill()
			err = fmt.Errorf("did not finish within %v", extest.Timeout)
		}
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, job.logText())
		}
		if stops < 5 {
			t.Fatalf("the job finished after %d stops; the input is too small to stop it 5 times", stops)
		}
		checkExactlyOnce(t, out, want)
		return
	}
}
