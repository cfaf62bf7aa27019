package rest_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/rest/resttest"
)

func TestNewClientAddress(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"localhost:8081", "http://localhost:8081"},
		{" 127.0.0.1:9000 ", "http://127.0.0.1:9000"},
		{"http://jm:8081/", "http://jm:8081"},
		{"https://proxy.example/flink/job-1/", "https://proxy.example/flink/job-1"},
	}
	for _, tt := range tests {
		c, err := rest.NewClient(tt.in, nil)
		if err != nil || c.Address() != tt.want {
			t.Errorf("NewClient(%q).Address() = %v, %v; want %s", tt.in, c, err, tt.want)
		}
	}
	for _, bad := range []string{"", "ftp://host:1", "http://", "local host:80"} {
		if _, err := rest.NewClient(bad, nil); err == nil {
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
}

func TestClientAgainstServer(t *testing.T) {
	f := newFixture(t)
	c, err := rest.NewClient(f.ts.URL, f.ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	cfg, err := c.Config(ctx)
	if err != nil || cfg.RefreshInterval != 3000 || !cfg.Features.WebCancel || cfg.Version == "" {
		t.Errorf("Config = %+v, %v", cfg, err)
	}
	ov, err := c.Overview(ctx)
	if err != nil || ov.JobsRunning != 1 || ov.JobsFinished != 1 || ov.SlotsTotal != 4 {
		t.Errorf("Overview = %+v, %v", ov, err)
	}
	ids, err := c.Jobs(ctx)
	if want := []rest.JobIDWithStatus{{ID: f.running, Status: rest.JobRunning}, {ID: f.finished, Status: rest.JobFinished}}; err != nil || !reflect.DeepEqual(ids, want) {
		t.Errorf("Jobs = %+v, %v; want %+v", ids, err, want)
	}
	jobs, err := c.JobsOverview(ctx)
	if err != nil || len(jobs) != 2 || jobs[0].ID != f.running || jobs[0].Name != "wordcount" || jobs[0].Duration != 90000 ||
		jobs[0].Tasks.Running != 1 || jobs[1].EndTime != start.UnixMilli()+60000 {
		t.Errorf("JobsOverview = %+v, %v", jobs, err)
	}
	d, err := c.Job(ctx, f.running)
	if err != nil || d.ID != f.running || d.State != rest.JobRunning || len(d.Vertices) != 1 || d.StatusCounts.Running != 1 ||
		d.Vertices[0].Tasks.Running != 1 || d.Now != start.UnixMilli()+90000 {
		t.Errorf("Job = %+v, %v", d, err)
	}
	st, err := c.Checkpoints(ctx, f.running)
	if err != nil || !reflect.DeepEqual(st, checkpointStats) {
		t.Errorf("Checkpoints = %+v, %v; want %+v", st, err, checkpointStats)
	}
	cc, err := c.CheckpointConfig(ctx, f.running)
	if err != nil || cc != checkpointConfig {
		t.Errorf("CheckpointConfig = %+v, %v", cc, err)
	}

	f.cluster.SetOutcome(resttest.Outcome{Polls: 1})
	trig, err := c.TriggerSavepoint(ctx, f.running, rest.SavepointRequest{TargetDirectory: "file:///sp"})
	if err != nil {
		t.Fatal(err)
	}
	op, err := c.SavepointStatus(ctx, f.running, trig)
	if loc, rerr := op.Result(); err != nil || op.Done() || loc != "" || rerr != nil {
		t.Fatalf("first status = %+v, %v", op, err)
	}
	op, err = c.SavepointStatus(ctx, f.running, trig)
	if loc, rerr := op.Result(); err != nil || loc != resttest.Location("file:///sp", f.running, trig) || rerr != nil {
		t.Fatalf("second status = %+v, %v; result %q, %v", op, err, loc, rerr)
	}

	f.cluster.SetOutcome(resttest.Outcome{})
	trig, err = c.StopWithSavepoint(ctx, f.running, rest.StopRequest{Drain: true})
	if err != nil {
		t.Fatal(err)
	}
	if op, err := c.SavepointStatus(ctx, f.running, trig); err != nil || !op.Done() {
		t.Fatalf("stop status = %+v, %v", op, err)
	}
	if err := c.Cancel(ctx, f.running); err == nil {
		t.Fatal("cancelling a stopped job succeeded")
	}
}

func TestClientCancel(t *testing.T) {
	f := newFixture(t)
	c, _ := rest.NewClient(f.ts.URL, f.ts.Client())
	if err := c.Cancel(t.Context(), f.running); err != nil {
		t.Fatal(err)
	}
	if got := f.cluster.State(f.running); got != rest.JobCanceled {
		t.Fatalf("state = %s", got)
	}
}

func TestClientErrors(t *testing.T) {
	f := newFixture(t)
	c, _ := rest.NewClient(f.ts.URL, f.ts.Client())

	_, err := c.Job(t.Context(), rest.NewJobID())
	var apiErr *rest.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || !strings.Contains(err.Error(), "job not found") {
		t.Errorf("unknown job: error = %v (%#v)", err, apiErr)
	}
	err = c.Cancel(t.Context(), f.finished)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusConflict || apiErr.Method != "PATCH" {
		t.Errorf("cancel finished job: error = %v", err)
	}

	// Nothing listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dead, _ := rest.NewClient(addr, nil)
	if _, err := dead.Jobs(t.Context()); !errors.Is(err, rest.ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Errorf("unreachable: error = %v, want ErrUnreachable naming %s", err, addr)
	}

	// Something else listens.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jobs" {
			_, _ = w.Write([]byte("<html>hello</html>"))
			return
		}
		http.NotFound(w, r)
	}))
	defer other.Close()
	wrong, _ := rest.NewClient(other.URL, other.Client())
	if _, err := wrong.Jobs(t.Context()); err == nil || !strings.Contains(err.Error(), "REST address of a weir job") {
		t.Errorf("HTML answer: error = %v", err)
	}
	if _, err := wrong.JobsOverview(t.Context()); !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "not a weir REST API answer") {
		t.Errorf("plain 404: error = %v", err)
	}
}
