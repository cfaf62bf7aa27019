package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

const (
	// refreshInterval is how often the web UI polls: Flink's default
	// web.refresh-interval.
	refreshInterval = 3 * time.Second
	// shutdownTimeout bounds how long Serve waits for requests in flight.
	shutdownTimeout = 5 * time.Second
	// maxBodyBytes bounds request bodies; real ones are a few hundred bytes.
	maxBodyBytes = 64 << 10
)

// Server serves the REST API for a Cluster. Create it with [New] and run it
// with [Server.Serve], or mount it as an http.Handler.
type Server struct {
	cluster Cluster
	logger  *slog.Logger
	mux     *http.ServeMux
	now     func() time.Time
}

// New returns a server answering from cluster and logging to logger (nil
// discards logs).
func New(cluster Cluster, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cluster: cluster, logger: logger, mux: http.NewServeMux(), now: time.Now}
	routes := []struct {
		pattern string
		h       func(*http.Request) (int, any, error)
	}{
		{"GET /config", s.config},
		{"GET /overview", s.overview},
		{"GET /jobs", s.jobs},
		{"GET /jobs/overview", s.jobsOverview},
		{"GET /jobs/{jobid}", s.job},
		{"PATCH /jobs/{jobid}", s.cancel},
		{"GET /jobs/{jobid}/checkpoints", s.checkpoints},
		{"GET /jobs/{jobid}/checkpoints/config", s.checkpointConfig},
		{"POST /jobs/{jobid}/savepoints", s.triggerSavepoint},
		{"GET /jobs/{jobid}/savepoints/{triggerid}", s.savepointStatus},
		{"POST /jobs/{jobid}/stop", s.stop},
	}
	for _, rt := range routes {
		s.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			code, body, err := rt.h(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			s.writeJSON(w, r, code, body)
		})
	}
	return s
}

// Serve answers requests on ln until ctx is done, then stops accepting
// connections, lets requests in flight finish (for a few seconds at most)
// and returns nil. It closes ln. It returns an error if serving fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests in flight may finish during shutdown, so they do not
		// inherit ctx's cancellation.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s.logger.Info("REST API listening", "url", "http://"+ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("rest: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		_ = hs.Close()
	}
	// Serve returns http.ErrServerClosed once Shutdown or Close has run.
	if serveErr := <-served; err == nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("rest: shutting down: %w", err)
	}
	return nil
}

// ServeHTTP implements http.Handler. Paths are also served under /v1, and
// unknown paths and methods get Flink's JSON error bodies.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/v1/"); ok {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path, u.RawPath = "/"+rest, ""
		r2.URL = &u
		r = r2
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.notRouted(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// notRouted answers a request no route matches: 405 if the path exists for
// other methods, else 404.
func (s *Server) notRouted(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		s.writeJSON(w, r, http.StatusNotFound, errorBody{Errors: []string{"Not found: " + r.URL.Path}})
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeJSON(w, r, http.StatusMethodNotAllowed, errorBody{Errors: []string{
		fmt.Sprintf("Method %s is not allowed for %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")),
	}})
}

// errorBody is Flink's error response.
type errorBody struct {
	Errors []string `json:"errors"`
}

// httpError is an error with the status the server answers it with.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.Is(err, ErrJobNotFound), errors.Is(err, ErrOperationNotFound), errors.Is(err, ErrCheckpointingDisabled):
		return http.StatusNotFound
	case errors.Is(err, ErrJobNotRunning):
		return http.StatusConflict
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	msgs := []string{err.Error()}
	if code == http.StatusInternalServerError {
		s.logger.Error("REST request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msgs = []string{"Internal server error.", err.Error()}
	}
	s.writeJSON(w, r, code, errorBody{Errors: msgs})
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, code int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		s.logger.Error("REST response cannot be encoded", "method", r.Method, "path", r.URL.Path, "err", err)
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Errors: []string{"Internal server error.", "encoding the response: " + err.Error()}})
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
	s.logger.Debug("REST request", "method", r.Method, "path", r.URL.Path, "status", code)
}

func pathJobID(r *http.Request) (JobID, error) {
	s := r.PathValue("jobid")
	id, err := ParseJobID(s)
	if err != nil {
		return JobID{}, badRequest("invalid job id %q: a job id is 32 hexadecimal characters, as weir list prints it", s)
	}
	return id, nil
}

// decodeBody reads an optional JSON body into v; an empty body leaves v as
// it is. Unknown fields are rejected, because Flink spells the same field
// differently in different requests and a misspelt one would otherwise be
// silently ignored.
func decodeBody(r *http.Request, v any, shape string) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		return badRequest("request body of %s %s is not valid: %v; expected %s", r.Method, r.Pattern, err, shape)
	}
	return nil
}

func (s *Server) config(*http.Request) (int, any, error) {
	version, revision := buildInfo()
	zone, offset := s.now().Zone()
	return http.StatusOK, DashboardConfig{
		RefreshInterval: refreshInterval.Milliseconds(),
		TimezoneName:    zone,
		TimezoneOffset:  offset * 1000,
		Version:         version,
		Revision:        revision,
		Features:        Features{WebCancel: true},
	}, nil
}

func (s *Server) overview(r *http.Request) (int, any, error) {
	jobs, err := s.cluster.Jobs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	capacity, err := s.cluster.Capacity(r.Context())
	if err != nil {
		return 0, nil, err
	}
	version, revision := buildInfo()
	o := ClusterOverview{
		TaskManagers:   capacity.TaskManagers,
		SlotsTotal:     capacity.SlotsTotal,
		SlotsAvailable: capacity.SlotsAvailable,
		Version:        version,
		Commit:         revision,
	}
	for _, j := range jobs {
		switch j.State {
		case JobFinished:
			o.JobsFinished++
		case JobCanceled:
			o.JobsCancelled++
		case JobFailed:
			o.JobsFailed++
		default:
			o.JobsRunning++
		}
	}
	return http.StatusOK, o, nil
}

func (s *Server) jobs(r *http.Request) (int, any, error) {
	jobs, err := s.cluster.Jobs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Jobs []JobIDWithStatus `json:"jobs"`
	}{Jobs: make([]JobIDWithStatus, 0, len(jobs))}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, JobIDWithStatus{ID: j.ID, Status: j.State})
	}
	return http.StatusOK, out, nil
}

func (s *Server) jobsOverview(r *http.Request) (int, any, error) {
	jobs, err := s.cluster.Jobs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	now := s.now().UnixMilli()
	for i := range jobs {
		jobs[i].Duration = duration(jobs[i].StartTime, jobs[i].EndTime, now)
	}
	if jobs == nil {
		jobs = []JobOverview{}
	}
	return http.StatusOK, struct {
		Jobs []JobOverview `json:"jobs"`
	}{jobs}, nil
}

// duration is Flink's: end (or now while running) minus start, -1 before
// the start.
func duration(start, end, now int64) int64 {
	if start < 0 {
		return -1
	}
	if end < 0 {
		end = now
	}
	return end - start
}

func (s *Server) job(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.cluster.Job(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	now := s.now().UnixMilli()
	d.Now = now
	d.Duration = duration(d.StartTime, d.EndTime, now)
	for i := range d.Vertices {
		v := &d.Vertices[i]
		v.Duration = duration(v.StartTime, v.EndTime, now)
	}
	if d.Vertices == nil {
		d.Vertices = []Vertex{}
	}
	if d.Plan.Nodes == nil {
		d.Plan.Nodes = []PlanNode{}
	}
	if d.Timestamps == nil {
		d.Timestamps = map[JobStatus]int64{}
	}
	return http.StatusOK, d, nil
}

func (s *Server) cancel(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	switch mode := r.URL.Query().Get("mode"); mode {
	case "", "cancel":
	case "stop":
		return 0, nil, badRequest("mode=stop is not supported: stop a job with a savepoint with POST /jobs/%s/stop (weir stop)", id)
	default:
		return 0, nil, badRequest("unknown termination mode %q: the only supported mode is cancel", mode)
	}
	if err := s.cluster.Cancel(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, struct{}{}, nil
}

func (s *Server) checkpoints(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	st, err := s.cluster.Checkpoints(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if st.History == nil {
		st.History = []CheckpointStatistics{}
	}
	return http.StatusOK, st, nil
}

func (s *Server) checkpointConfig(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	c, err := s.cluster.CheckpointConfig(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c, nil
}

const (
	savepointShape = `{"target-directory": "<dir>", "cancel-job": false, "formatType": "CANONICAL" or "NATIVE", "triggerId": "<32 hex>"} (all optional)`
	stopShape      = `{"targetDirectory": "<dir>", "drain": false, "formatType": "CANONICAL" or "NATIVE", "triggerId": "<32 hex>"} (all optional)`
)

func (s *Server) triggerSavepoint(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	var req SavepointRequest
	if err := decodeBody(r, &req, savepointShape); err != nil {
		return 0, nil, err
	}
	if req.FormatType, err = ParseSavepointFormat(string(req.FormatType)); err != nil {
		return 0, nil, badRequest("%v", err)
	}
	trigger, err := s.cluster.TriggerSavepoint(r.Context(), id, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, TriggerResponse{RequestID: trigger}, nil
}

func (s *Server) stop(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	var req StopRequest
	if err := decodeBody(r, &req, stopShape); err != nil {
		return 0, nil, err
	}
	if req.FormatType, err = ParseSavepointFormat(string(req.FormatType)); err != nil {
		return 0, nil, badRequest("%v", err)
	}
	trigger, err := s.cluster.StopWithSavepoint(r.Context(), id, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, TriggerResponse{RequestID: trigger}, nil
}

func (s *Server) savepointStatus(r *http.Request) (int, any, error) {
	id, err := pathJobID(r)
	if err != nil {
		return 0, nil, err
	}
	ts := r.PathValue("triggerid")
	trigger, err := ParseTriggerID(ts)
	if err != nil {
		return 0, nil, badRequest("invalid trigger id %q: a trigger id is the 32 hexadecimal characters of the request-id the trigger returned", ts)
	}
	op, err := s.cluster.SavepointStatus(r.Context(), id, trigger)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, op, nil
}
