package cli

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/rest/resttest"
)

var t0 = time.Date(2024, 7, 10, 12, 0, 0, 0, time.UTC)

type env struct {
	cluster *resttest.Cluster
	ts      *httptest.Server
	addr    string // host:port of the REST API
	vars    map[string]string
	// extend, if set, adds commands to each App before it runs.
	extend func(*App)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, func(h http.Handler) http.Handler { return h })
}

// newEnvWith serves the REST API through wrap, to inject faults.
func newEnvWith(t *testing.T, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	c := resttest.New()
	c.SetSavepointDir("file:///savepoints")
	ts := httptest.NewServer(wrap(rest.New(c, nil)))
	t.Cleanup(ts.Close)
	return &env{cluster: c, ts: ts, addr: strings.TrimPrefix(ts.URL, "http://"), vars: map[string]string{}}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs weir with args on a fresh command tree, as a process would.
func (e *env) run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := New(Options{
		Stdout: &stdout, Stderr: &stderr,
		Getenv:     func(k string) string { return e.vars[k] },
		HTTPClient: e.ts.Client(),
		Location:   time.UTC,
	})
	a.pollMin, a.pollMax = time.Millisecond, 5*time.Millisecond
	if e.extend != nil {
		e.extend(a)
	}
	code := a.Run(t.Context(), args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (r result) check(t *testing.T, code int, stdout string, stderrHas ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if stdout != "*" && r.stdout != stdout {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, stdout)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not contain %q:\n%s", s, r.stderr)
		}
	}
}

func TestList(t *testing.T) {
	e := newEnv(t)
	later := e.cluster.AddJob("window-sum", rest.JobRunning, t0.Add(time.Hour))
	first := e.cluster.AddJob("wordcount", rest.JobRestarting, t0)
	done := e.cluster.AddJob("backfill", rest.JobFinished, t0.Add(-time.Hour))

	e.run(t, "list", "-m", e.addr).check(t, 0,
		"JOB ID                            NAME        STATE       START TIME\n"+
			first.String()+"  wordcount   RESTARTING  2024-07-10 12:00:00\n"+
			later.String()+"  window-sum  RUNNING     2024-07-10 13:00:00\n")

	e.run(t, "list", "--all", "-m", e.addr).check(t, 0,
		"JOB ID                            NAME        STATE       START TIME\n"+
			done.String()+"  backfill    FINISHED    2024-07-10 11:00:00\n"+
			first.String()+"  wordcount   RESTARTING  2024-07-10 12:00:00\n"+
			later.String()+"  window-sum  RUNNING     2024-07-10 13:00:00\n")
}

func TestListEmpty(t *testing.T) {
	e := newEnv(t)
	e.cluster.AddJob("old", rest.JobCanceled, t0)
	e.run(t, "list", "-m", e.addr).check(t, 0, "No running jobs.\n")
	newEnv(t).run(t, "list", "-a", "-m", newEnv(t).addr).check(t, 0, "No jobs.\n")
}

func TestAddress(t *testing.T) {
	e := newEnv(t)
	e.cluster.AddJob("wordcount", rest.JobRunning, t0)
	host, port, _ := net.SplitHostPort(e.addr)

	t.Run("URL form", func(t *testing.T) {
		e.run(t, "list", "-m", e.ts.URL).check(t, 0, "*")
	})
	t.Run("from config.yaml", func(t *testing.T) {
		dir := t.TempDir()
		conf := "rest.address: " + host + "\nrest.port: " + port + "\n"
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		e.vars[ConfDirEnv] = dir
		defer delete(e.vars, ConfDirEnv)
		if r := e.run(t, "list"); r.code != 0 || !strings.Contains(r.stdout, "wordcount") {
			t.Fatalf("list with rest.address from config = %+v", r)
		}
	})
	t.Run("broken config.yaml", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("rest.port: eighty\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		e.vars[ConfDirEnv] = dir
		defer delete(e.vars, ConfDirEnv)
		e.run(t, "list").check(t, 1, "", "$WEIR_CONF_DIR", "rest.port", "pass -m host:port")
	})
	t.Run("bad -m", func(t *testing.T) {
		e.run(t, "list", "-m", "ftp://x").check(t, 2, "", "-m ftp://x", "host:port")
	})
	t.Run("nothing listens", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := ln.Addr().String()
		ln.Close()
		e.run(t, "list", "-m", dead).check(t, 1, "", "cannot reach the REST API at "+dead, "is the job running?", "pass -m host:port")
	})
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	job := e.cluster.AddJob("wordcount", rest.JobRunning, t0)
	done := e.cluster.AddJob("backfill", rest.JobFinished, t0)

	e.run(t, "cancel", "-m", e.addr, job.String()).check(t, 0, "Cancelling job "+job.String()+".\n")
	if got := e.cluster.State(job); got != rest.JobCanceled {
		t.Errorf("state = %s, want CANCELED", got)
	}
	e.run(t, "cancel", "-m", e.addr, done.String()).check(t, 1, "", "already reached state FINISHED")
	e.run(t, "cancel", "-m", e.addr, rest.NewJobID().String()).check(t, 1, "", "job not found", "'weir list --all -m "+e.addr+"'")
	e.run(t, "cancel", "-m", e.addr, "wordcount").check(t, 2, "",
		`invalid JOB_ID "wordcount": a job id is 32 hexadecimal characters`, "Run 'weir cancel --help' for usage.")
	e.run(t, "cancel", "-m", e.addr).check(t, 2, "", "accepts 1 arg(s)")
}

func TestSavepoint(t *testing.T) {
	e := newEnv(t)
	job := e.cluster.AddJob("wordcount", rest.JobRunning, t0)
	id := job.String()

	t.Run("to a directory", func(t *testing.T) {
		e.cluster.SetOutcome(resttest.Outcome{Polls: 3})
		r := e.run(t, "savepoint", "-m", e.addr, id, "s3://bucket/sp")
		r.check(t, 0, "*", "Triggering savepoint for job "+id+".", "Waiting for the savepoint", " done after ")
		want := "Savepoint completed. Path: s3://bucket/sp/savepoint-" + id[:6] + "-"
		if !strings.HasPrefix(r.stdout, want) || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("stdout = %q, want one line starting %q", r.stdout, want)
		}
		if got := e.cluster.State(job); got != rest.JobRunning {
			t.Errorf("state after savepoint = %s, want RUNNING", got)
		}
	})
	t.Run("native to the default directory", func(t *testing.T) {
		e.cluster.SetOutcome(resttest.Outcome{})
		r := e.run(t, "savepoint", "-m", e.addr, "-t", "NATIVE", id)
		r.check(t, 0, "*")
		if !strings.HasPrefix(r.stdout, "Savepoint completed. Path: file:///savepoints/savepoint-") {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	want := []rest.SavepointRequest{
		{TargetDirectory: "s3://bucket/sp", FormatType: rest.FormatCanonical},
		{FormatType: rest.FormatNative},
	}
	if got := e.cluster.SavepointRequests(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests = %+v, want %+v", got, want)
	}

	t.Run("failure", func(t *testing.T) {
		e.cluster.SetOutcome(resttest.Outcome{Polls: 1, Err: errors.New("checkpoint: declined by source: reader not ready")})
		e.run(t, "savepoint", "-m", e.addr, id).check(t, 1, "",
			" failed after ", "Error: the savepoint of job "+id+" failed: checkpoint: declined by source: reader not ready")
	})
	t.Run("timeout", func(t *testing.T) {
		e.cluster.SetOutcome(resttest.Outcome{Polls: 1 << 30})
		e.run(t, "savepoint", "-m", e.addr, "--timeout", "30ms", id).check(t, 1, "",
			"still in progress after 30ms", e.ts.URL+"/jobs/"+id+"/savepoints/")
	})
	t.Run("no directory anywhere", func(t *testing.T) {
		e.cluster.SetSavepointDir("")
		defer e.cluster.SetSavepointDir("file:///savepoints")
		e.run(t, "savepoint", "-m", e.addr, id).check(t, 1, "", "state.savepoints.dir")
	})
	t.Run("usage", func(t *testing.T) {
		e.run(t, "savepoint", "-m", e.addr, id, "/a", "/b").check(t, 2, "", "accepts between 1 and 2 arg(s)")
		e.run(t, "savepoint", "-m", e.addr, "-t", "incremental", id).check(t, 2, "", "--type incremental")
		e.run(t, "savepoint", "-m", e.addr).check(t, 2, "", "Run 'weir savepoint --help' for usage.")
	})
}

func TestStop(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name string
		args []string
		want rest.StopRequest
		msg  string
	}{
		{"drain to a directory", []string{"-p", "file:///tmp/sp", "-d"},
			rest.StopRequest{TargetDirectory: "file:///tmp/sp", Drain: true, FormatType: rest.FormatCanonical},
			"with a CANONICAL savepoint, draining it first."},
		{"Flink's flag spelling", []string{"--savepointPath", "file:///tmp/sp2", "--type", "native"},
			rest.StopRequest{TargetDirectory: "file:///tmp/sp2", FormatType: rest.FormatNative},
			"with a NATIVE savepoint."},
		{"default directory", nil, rest.StopRequest{FormatType: rest.FormatCanonical}, "with a CANONICAL savepoint."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job := e.cluster.AddJob("wordcount", rest.JobRunning, t0)
			e.cluster.SetOutcome(resttest.Outcome{Polls: 2})
			args := append(append([]string{"stop", "-m", e.addr}, tt.args...), job.String())
			r := e.run(t, args...)
			r.check(t, 0, "*", "Stopping job "+job.String()+" "+tt.msg)
			if !strings.HasPrefix(r.stdout, "Savepoint completed. Path: ") {
				t.Errorf("stdout = %q", r.stdout)
			}
			if got := e.cluster.State(job); got != rest.JobFinished {
				t.Errorf("state = %s, want FINISHED", got)
			}
			reqs := e.cluster.StopRequests()
			if got := reqs[len(reqs)-1]; got != tt.want {
				t.Errorf("request = %+v, want %+v", got, tt.want)
			}
		})
	}
	e.run(t, "stop", "-m", e.addr).check(t, 2, "", "accepts 1 arg(s)")
}

func TestStopLosesContact(t *testing.T) {
	// The job process ends with the stop and takes its REST API along:
	// status queries get no answer.
	e := newEnvWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/savepoints/") {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	job := e.cluster.AddJob("wordcount", rest.JobRunning, t0)
	e.run(t, "stop", "-m", e.addr, job.String()).check(t, 1, "",
		"lost contact with the REST API at "+e.addr, "its log names the savepoint path")
}

func TestSavepointSubcommands(t *testing.T) {
	e := newEnv(t)
	job := e.cluster.AddJob("wordcount", rest.JobRunning, t0)
	var dumped []string
	e.extend = func(a *App) {
		a.AddSavepointCommand(&cobra.Command{
			Use:  "dump PATH",
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				dumped = append(dumped, args[0])
				_, err := cmd.OutOrStdout().Write([]byte("dumped\n"))
				return err
			},
		})
	}
	e.run(t, "savepoint", "dump", "file:///sp/savepoint-1").check(t, 0, "dumped\n")
	if want := []string{"file:///sp/savepoint-1"}; !reflect.DeepEqual(dumped, want) {
		t.Errorf("dump got %v, want %v", dumped, want)
	}
	if r := e.run(t, "savepoint", "-m", e.addr, job.String()); r.code != 0 || !strings.HasPrefix(r.stdout, "Savepoint completed.") {
		t.Errorf("savepoint JOB_ID next to a subcommand = %+v", r)
	}
	e.run(t, "savepoint", "inspekt", "x").check(t, 2, "", "did you mean 'weir savepoint inspect'?")
	if r := e.run(t, "savepoint", "--help"); r.code != 0 || !strings.Contains(r.stdout, "inspect") || !strings.Contains(r.stdout, "dump") {
		t.Errorf("savepoint --help does not list inspect and dump: %+v", r)
	}
}

func TestHelpAndUsage(t *testing.T) {
	e := newEnv(t)
	for _, cmd := range []string{"list", "cancel", "savepoint", "stop"} {
		r := e.run(t, cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "weir "+cmd) ||
			!strings.Contains(r.stdout, "--jobmanager") {
			t.Errorf("weir %s --help = %+v", cmd, r)
		}
	}
	e.run(t, "frobnicate").check(t, 2, "", `unknown command "frobnicate"`)
	e.run(t, "lisst").check(t, 2, "", "did you mean 'list'?", "Run 'weir --help' for usage.")
	e.run(t, "list", "--bogus").check(t, 2, "", "unknown flag: --bogus", "Run 'weir list --help' for usage.")
	if r := e.run(t); r.code != 0 || !strings.Contains(r.stdout, "savepoint") {
		t.Errorf("weir without arguments = %+v", r)
	}
}

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := progress{w: &b, start: time.Now().Add(-12 * time.Second)}
	p.begin()
	p.tick()
	p.tick()
	if got, want := b.String(), "Waiting for the savepoint............ 10s .."; got != want {
		t.Fatalf("progress = %q, want %q", got, want)
	}
	p.end("done")
	if !strings.HasSuffix(b.String(), " done after 12s.\n") {
		t.Fatalf("progress = %q", b.String())
	}
}
