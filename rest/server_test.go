package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/rest"
	"github.com/weirstream/weir/rest/resttest"
)

var start = time.UnixMilli(1_700_000_000_000).UTC()

// fixture is a server on a fake cluster with a running and a finished job,
// whose clock stands 90 s after the jobs started.
type fixture struct {
	cluster           *resttest.Cluster
	srv               *rest.Server
	ts                *httptest.Server
	running, finished rest.JobID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := resttest.New()
	f := &fixture{cluster: c}
	f.running = c.AddJob("wordcount", rest.JobRunning, start)
	f.finished = c.AddJob("batch", rest.JobFinished, start)
	c.SetCheckpointConfig(f.running, checkpointConfig)
	c.SetCheckpoints(f.running, checkpointStats)
	c.SetSavepointDir("file:///savepoints")
	f.srv = rest.New(c, nil)
	rest.SetClock(f.srv, func() time.Time { return start.Add(90 * time.Second) })
	f.ts = httptest.NewServer(f.srv)
	t.Cleanup(f.ts.Close)
	return f
}

var checkpointConfig = rest.CheckpointConfig{
	Mode: rest.ExactlyOnce, Interval: 10000, Timeout: 600000, MinPause: 0, MaxConcurrent: 1,
	Externalization: rest.Externalization{Enabled: true, DeleteOnCancellation: false},
	StateBackend:    "hashmap", CheckpointStorage: "file:///checkpoints", TolerableFailedCheckpoints: 0,
	CheckpointsAfterTasksFinish: true,
}

var completedCheckpoint = rest.CheckpointStatistics{
	ID: 3, Status: rest.CheckpointCompleted, TriggerTimestamp: 100, LatestAckTimestamp: 150,
	CheckpointedSize: 1024, StateSize: 2048, EndToEndDuration: 50, NumSubtasks: 1, NumAckSubtasks: 1,
	CheckpointType: rest.TypeCheckpoint, ExternalPath: "file:///checkpoints/chk-3",
}

var checkpointStats = rest.CheckpointingStatistics{
	Counts:  rest.CheckpointCounts{Total: 3, Completed: 3},
	Summary: rest.CheckpointSummary{StateSize: rest.StatsSummary{Min: 1, Max: 2048, Avg: 700, P50: 1024, P90: 2048, P95: 2048, P99: 2048, P999: 2048}},
	Latest:  rest.LatestCheckpoints{Completed: &completedCheckpoint},
	History: []rest.CheckpointStatistics{completedCheckpoint},
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, method, path, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("response is not JSON: %s: %v", b, err)
	}
	return v
}

// jsonEq compares JSON values; fields named in anyString only need to be
// non-empty strings (versions, generated ids).
func jsonEq(t *testing.T, got []byte, want string, anyString ...string) {
	t.Helper()
	g := decode(t, got)
	w := decode(t, []byte(want))
	if m, ok := g.(map[string]any); ok {
		for _, k := range anyString {
			if s, ok := m[k].(string); !ok || s == "" {
				t.Errorf("field %q = %v, want a non-empty string", k, m[k])
			}
			m[k] = "*"
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", got, want)
	}
}

func TestServerEndpoints(t *testing.T) {
	f := newFixture(t)
	run, fin := f.running.String(), f.finished.String()
	startMs := start.UnixMilli()
	unknown := rest.NewJobID().String()

	tasks := func(state string) string {
		m := map[string]int{"created": 0, "scheduled": 0, "deploying": 0, "running": 0, "finished": 0, "canceling": 0,
			"canceled": 0, "failed": 0, "reconciling": 0, "initializing": 0, "total": 1}
		m[state] = 1
		b, _ := json.Marshal(m)
		return string(b)
	}
	statusCounts := `{"CREATED":0,"SCHEDULED":0,"DEPLOYING":0,"RUNNING":1,"FINISHED":0,"CANCELING":0,"CANCELED":0,"FAILED":0,"RECONCILING":0,"INITIALIZING":0}`

	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		wantCode  int
		wantJSON  string
		anyString []string
		wantError string // substring of the first error message
	}{
		{name: "dashboard config", method: "GET", path: "/config", wantCode: 200,
			wantJSON: `{"refresh-interval": 3000, "timezone-name": "UTC", "timezone-offset": 0, "flink-version": "*", "flink-revision": "*",
				"features": {"web-submit": false, "web-cancel": true, "web-rescale": false, "web-history": false}}`,
			anyString: []string{"flink-version", "flink-revision"}},
		{name: "cluster overview", method: "GET", path: "/overview", wantCode: 200,
			wantJSON: `{"taskmanagers": 1, "slots-total": 4, "slots-available": 4, "jobs-running": 1, "jobs-finished": 1,
				"jobs-cancelled": 0, "jobs-failed": 0, "flink-version": "*", "flink-commit": "*"}`,
			anyString: []string{"flink-version", "flink-commit"}},
		{name: "job ids", method: "GET", path: "/jobs", wantCode: 200,
			wantJSON: fmt.Sprintf(`{"jobs": [{"id": %q, "status": "RUNNING"}, {"id": %q, "status": "FINISHED"}]}`, run, fin)},
		{name: "job ids under /v1", method: "GET", path: "/v1/jobs", wantCode: 200,
			wantJSON: fmt.Sprintf(`{"jobs": [{"id": %q, "status": "RUNNING"}, {"id": %q, "status": "FINISHED"}]}`, run, fin)},
		{name: "jobs overview", method: "GET", path: "/jobs/overview", wantCode: 200,
			wantJSON: fmt.Sprintf(`{"jobs": [
				{"jid": %q, "name": "wordcount", "state": "RUNNING", "start-time": %d, "end-time": -1, "duration": 90000,
				 "last-modification": %d, "tasks": %s},
				{"jid": %q, "name": "batch", "state": "FINISHED", "start-time": %d, "end-time": %d, "duration": 60000,
				 "last-modification": %d, "tasks": %s}]}`,
				run, startMs, startMs, tasks("running"), fin, startMs, startMs+60000, startMs, tasks("finished"))},
		{name: "job details", method: "GET", path: "/jobs/" + run, wantCode: 200,
			wantJSON: fmt.Sprintf(`{"jid": %q, "name": "wordcount", "isStoppable": false, "state": "RUNNING", "job-type": "STREAMING",
				"start-time": %d, "end-time": -1, "duration": 90000, "maxParallelism": 128, "now": %d,
				"timestamps": {"CREATED": %d, "RUNNING": %d},
				"vertices": [{"id": "cbc357ccb763df2852fee8c4fc7d55f2", "name": "Source: numbers -> Sink: print",
					"maxParallelism": 128, "parallelism": 1, "status": "RUNNING", "start-time": %d, "end-time": -1,
					"duration": 90000, "tasks": %s,
					"metrics": {"read-bytes": 0, "read-bytes-complete": false, "write-bytes": 0, "write-bytes-complete": false,
						"read-records": 0, "read-records-complete": false, "write-records": 0, "write-records-complete": false,
						"accumulated-backpressured-time": 0, "accumulated-idle-time": 0, "accumulated-busy-time": 0}}],
				"status-counts": %s,
				"plan": {"jid": %q, "name": "wordcount", "type": "STREAMING", "nodes": [{"id": "cbc357ccb763df2852fee8c4fc7d55f2",
					"parallelism": 1, "operator": "", "operator_strategy": "", "description": "Source: numbers -> Sink: print",
					"optimizer_properties": {}}]}}`,
				run, startMs, startMs+90000, startMs, startMs, startMs, statusCounts, statusCounts, run)},
		{name: "unknown job", method: "GET", path: "/jobs/" + unknown, wantCode: 404, wantError: "job not found"},
		{name: "malformed job id", method: "GET", path: "/jobs/wordcount-1", wantCode: 400, wantError: "32 hexadecimal characters"},
		{name: "checkpoint statistics", method: "GET", path: "/jobs/" + run + "/checkpoints", wantCode: 200,
			wantJSON: `{"counts": {"restored": 0, "total": 3, "in_progress": 0, "completed": 3, "failed": 0},
				"summary": {
					"checkpointed_size": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"state_size": {"min": 1, "max": 2048, "avg": 700, "p50": 1024, "p90": 2048, "p95": 2048, "p99": 2048, "p999": 2048},
					"end_to_end_duration": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"alignment_buffered": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"processed_data": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"persisted_data": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0}},
				"latest": {"completed": ` + completedJSON + `, "savepoint": null, "failed": null, "restored": null},
				"history": [` + completedJSON + `]}`},
		{name: "checkpoint statistics of a job without checkpoints", method: "GET", path: "/jobs/" + fin + "/checkpoints", wantCode: 200,
			wantJSON: `{"counts": {"restored": 0, "total": 0, "in_progress": 0, "completed": 0, "failed": 0},
				"summary": {
					"checkpointed_size": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"state_size": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"end_to_end_duration": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"alignment_buffered": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"processed_data": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0},
					"persisted_data": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0}},
				"latest": {"completed": null, "savepoint": null, "failed": null, "restored": null},
				"history": []}`},
		{name: "checkpoint config", method: "GET", path: "/jobs/" + run + "/checkpoints/config", wantCode: 200,
			wantJSON: `{"mode": "exactly_once", "interval": 10000, "timeout": 600000, "min_pause": 0, "max_concurrent": 1,
				"externalization": {"enabled": true, "delete_on_cancellation": false}, "state_backend": "hashmap",
				"checkpoint_storage": "file:///checkpoints", "unaligned_checkpoints": false, "tolerable_failed_checkpoints": 0,
				"aligned_checkpoint_timeout": 0, "checkpoints_after_tasks_finish": true, "state_changelog_enabled": false}`},
		{name: "checkpoint config without checkpointing", method: "GET", path: "/jobs/" + fin + "/checkpoints/config",
			wantCode: 404, wantError: "checkpointing is not enabled"},
		{name: "cancel mode stop", method: "PATCH", path: "/jobs/" + run + "?mode=stop", wantCode: 400, wantError: "/stop"},
		{name: "cancel unknown mode", method: "PATCH", path: "/jobs/" + run + "?mode=kill", wantCode: 400, wantError: "only supported mode is cancel"},
		{name: "cancel finished job", method: "PATCH", path: "/jobs/" + fin + "?mode=cancel", wantCode: 409, wantError: "already reached state FINISHED"},
		{name: "cancel unknown job", method: "PATCH", path: "/jobs/" + unknown, wantCode: 404, wantError: "job not found"},
		{name: "savepoint", method: "POST", path: "/jobs/" + run + "/savepoints",
			body:     `{"target-directory": "file:///tmp/sp", "cancel-job": false, "formatType": "NATIVE"}`,
			wantCode: 202, wantJSON: `{"request-id": "*"}`, anyString: []string{"request-id"}},
		{name: "savepoint without body uses the default directory", method: "POST", path: "/jobs/" + run + "/savepoints",
			wantCode: 202, wantJSON: `{"request-id": "*"}`, anyString: []string{"request-id"}},
		{name: "savepoint with the stop request's field name", method: "POST", path: "/jobs/" + run + "/savepoints",
			body: `{"targetDirectory": "file:///tmp/sp"}`, wantCode: 400, wantError: `unknown field "targetDirectory"`},
		{name: "savepoint with unknown format", method: "POST", path: "/jobs/" + run + "/savepoints",
			body: `{"formatType": "INCREMENTAL"}`, wantCode: 400, wantError: "neither CANONICAL nor NATIVE"},
		{name: "savepoint with bad trigger id", method: "POST", path: "/jobs/" + run + "/savepoints",
			body: `{"triggerId": "1234"}`, wantCode: 400, wantError: "32 hexadecimal characters"},
		{name: "savepoint with broken JSON", method: "POST", path: "/jobs/" + run + "/savepoints",
			body: `{"cancel-job": tru`, wantCode: 400, wantError: "is not valid"},
		{name: "savepoint with two JSON values", method: "POST", path: "/jobs/" + run + "/savepoints",
			body: `{} {}`, wantCode: 400, wantError: "more than one JSON value"},
		{name: "savepoint of a finished job", method: "POST", path: "/jobs/" + fin + "/savepoints", wantCode: 409, wantError: "savepoints are taken of running jobs"},
		{name: "stop", method: "POST", path: "/jobs/" + run + "/stop", body: `{"targetDirectory": "file:///tmp/sp", "drain": true}`,
			wantCode: 202, wantJSON: `{"request-id": "*"}`, anyString: []string{"request-id"}},
		{name: "stop with the savepoint request's field name", method: "POST", path: "/jobs/" + run + "/stop",
			body: `{"target-directory": "file:///tmp/sp"}`, wantCode: 400, wantError: `unknown field "target-directory"`},
		{name: "status of unknown trigger", method: "GET", path: "/jobs/" + run + "/savepoints/" + rest.NewTriggerID().String(),
			wantCode: 404, wantError: "no savepoint operation with trigger id"},
		{name: "status of malformed trigger", method: "GET", path: "/jobs/" + run + "/savepoints/latest", wantCode: 400, wantError: "invalid trigger id"},
		{name: "unknown path", method: "GET", path: "/taskmanagers", wantCode: 404, wantJSON: `{"errors": ["Not found: /taskmanagers"]}`},
		{name: "wrong method", method: "DELETE", path: "/jobs", wantCode: 405, wantError: "use GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, tt.body)
			if r.code != tt.wantCode {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.code, r.body, tt.wantCode)
			}
			if tt.wantJSON != "" {
				jsonEq(t, r.body, tt.wantJSON, tt.anyString...)
			}
			if tt.wantError != "" {
				var eb struct{ Errors []string }
				if err := json.Unmarshal(r.body, &eb); err != nil || len(eb.Errors) == 0 || !strings.Contains(eb.Errors[0], tt.wantError) {
					t.Fatalf("body %s: want errors[0] to contain %q", r.body, tt.wantError)
				}
			}
		})
	}
	if got := f.do(t, "DELETE", "/jobs", "").header.Get("Allow"); got != "GET" {
		t.Errorf("405 Allow header = %q, want GET", got)
	}
}

const completedJSON = `{"className": "completed", "id": 3, "status": "COMPLETED", "is_savepoint": false,
	"trigger_timestamp": 100, "latest_ack_timestamp": 150, "checkpointed_size": 1024, "state_size": 2048,
	"end_to_end_duration": 50, "alignment_buffered": 0, "processed_data": 0, "persisted_data": 0,
	"num_subtasks": 1, "num_acknowledged_subtasks": 1, "checkpoint_type": "CHECKPOINT", "tasks": {},
	"external_path": "file:///checkpoints/chk-3", "discarded": false}`

func TestServerCancel(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "PATCH", "/jobs/"+f.running.String()+"?mode=cancel", "")
	if r.code != 202 {
		t.Fatalf("cancel = %d %s", r.code, r.body)
	}
	jsonEq(t, r.body, `{}`)
	if got := f.cluster.State(f.running); got != rest.JobCanceled {
		t.Fatalf("job state after cancel = %s", got)
	}
}

func TestServerSavepointLifecycle(t *testing.T) {
	trigger := func(t *testing.T, f *fixture, path, body string) string {
		t.Helper()
		r := f.do(t, "POST", path, body)
		if r.code != 202 {
			t.Fatalf("POST %s = %d %s", path, r.code, r.body)
		}
		var tr struct {
			ID string `json:"request-id"`
		}
		if err := json.Unmarshal(r.body, &tr); err != nil {
			t.Fatal(err)
		}
		return tr.ID
	}
	status := func(t *testing.T, f *fixture, trig string) []byte {
		t.Helper()
		r := f.do(t, "GET", "/jobs/"+f.running.String()+"/savepoints/"+trig, "")
		if r.code != 200 {
			t.Fatalf("status = %d %s", r.code, r.body)
		}
		return r.body
	}

	t.Run("savepoint completes and cancels the job", func(t *testing.T) {
		f := newFixture(t)
		f.cluster.SetOutcome(resttest.Outcome{Polls: 1})
		id := trigger(t, f, "/jobs/"+f.running.String()+"/savepoints", `{"target-directory": "s3://bucket/sp", "cancel-job": true}`)
		jsonEq(t, status(t, f, id), `{"status": {"id": "IN_PROGRESS"}, "operation": null}`)
		trig, _ := rest.ParseTriggerID(id)
		jsonEq(t, status(t, f, id), fmt.Sprintf(`{"status": {"id": "COMPLETED"}, "operation": {"location": %q}}`,
			resttest.Location("s3://bucket/sp", f.running, trig)))
		if got := f.cluster.State(f.running); got != rest.JobCanceled {
			t.Errorf("state after savepoint with cancel-job = %s", got)
		}
		want := []rest.SavepointRequest{{TargetDirectory: "s3://bucket/sp", CancelJob: true, FormatType: rest.FormatCanonical}}
		if got := f.cluster.SavepointRequests(); !reflect.DeepEqual(got, want) {
			t.Errorf("cluster got %+v, want %+v (format defaulted to CANONICAL)", got, want)
		}
	})

	t.Run("stop with savepoint finishes the job", func(t *testing.T) {
		f := newFixture(t)
		id := trigger(t, f, "/jobs/"+f.running.String()+"/stop", `{"drain": true, "formatType": "native"}`)
		trig, _ := rest.ParseTriggerID(id)
		jsonEq(t, status(t, f, id), fmt.Sprintf(`{"status": {"id": "COMPLETED"}, "operation": {"location": %q}}`,
			resttest.Location("file:///savepoints", f.running, trig)))
		if got := f.cluster.State(f.running); got != rest.JobFinished {
			t.Errorf("state after stop = %s", got)
		}
		want := []rest.StopRequest{{Drain: true, FormatType: rest.FormatNative}}
		if got := f.cluster.StopRequests(); !reflect.DeepEqual(got, want) {
			t.Errorf("cluster got %+v, want %+v", got, want)
		}
	})

	t.Run("failed savepoint reports the cause", func(t *testing.T) {
		f := newFixture(t)
		f.cluster.SetOutcome(resttest.Outcome{Err: fmt.Errorf("checkpoint: declined: %w", errors.New("task not ready"))})
		id := trigger(t, f, "/jobs/"+f.running.String()+"/savepoints", "")
		jsonEq(t, status(t, f, id), `{"status": {"id": "COMPLETED"}, "operation": {"failure-cause":
			{"class": "*fmt.wrapError", "stack-trace": "checkpoint: declined: task not ready"}}}`)
	})

	t.Run("a repeated trigger id starts nothing new", func(t *testing.T) {
		f := newFixture(t)
		f.cluster.SetOutcome(resttest.Outcome{Polls: 5})
		want := rest.NewTriggerID().String()
		body := `{"triggerId": "` + want + `"}`
		for range 2 {
			if got := trigger(t, f, "/jobs/"+f.running.String()+"/savepoints", body); got != want {
				t.Fatalf("request-id = %s, want the requested %s", got, want)
			}
		}
		jsonEq(t, status(t, f, want), `{"status": {"id": "IN_PROGRESS"}, "operation": null}`)
	})

	t.Run("no target directory and no default", func(t *testing.T) {
		f := newFixture(t)
		f.cluster.SetSavepointDir("")
		r := f.do(t, "POST", "/jobs/"+f.running.String()+"/savepoints", `{}`)
		if r.code != 400 || !strings.Contains(string(r.body), "state.savepoints.dir") {
			t.Fatalf("= %d %s, want 400 naming state.savepoints.dir", r.code, r.body)
		}
	})
}

func TestServerInternalError(t *testing.T) {
	f := newFixture(t)
	f.cluster.SetError(errors.New("registry closed"))
	r := f.do(t, "GET", "/jobs/overview", "")
	if r.code != 500 {
		t.Fatalf("= %d %s, want 500", r.code, r.body)
	}
	jsonEq(t, r.body, `{"errors": ["Internal server error.", "registry closed"]}`)
}

func TestServeShutsDownWhenContextIsDone(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := resttest.New()
	c.AddJob("j", rest.JobRunning, start)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- rest.New(c, nil).Serve(ctx, ln) }()

	client, err := rest.NewClient(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if jobs, err := client.Jobs(t.Context()); err != nil || len(jobs) != 1 {
		t.Fatalf("Jobs = %v, %v", jobs, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel = %v, want nil", err)
	}
	if conn, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		conn.Close()
		t.Fatal("listener still accepts connections after Serve returned")
	}
}

func TestServeFailsOnClosedListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := rest.New(resttest.New(), nil).Serve(t.Context(), ln); err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}

func FuzzTriggerSavepointBody(f *testing.F) {
	for _, s := range []string{"", "{}", `{"target-directory": "x", "cancel-job": true, "formatType": "NATIVE"}`,
		`{"triggerId": "a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e"}`, `{"formatType": 3}`, `[`, `null`, `{"cancel-job": "yes"}`} {
		f.Add(s)
	}
	c := resttest.New()
	job := c.AddJob("j", rest.JobRunning, start)
	c.SetSavepointDir("file:///sp")
	srv := rest.New(c, nil)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/jobs/"+job.String()+"/savepoints", strings.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var out struct {
			RequestID string   `json:"request-id"`
			Errors    []string `json:"errors"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("response %d is not JSON: %q", w.Code, w.Body)
		}
		switch w.Code {
		case 202:
			if _, err := rest.ParseTriggerID(out.RequestID); err != nil {
				t.Fatalf("202 with request-id %q", out.RequestID)
			}
		case 400:
			if len(out.Errors) == 0 {
				t.Fatalf("400 without errors: %s", w.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
	})
}
