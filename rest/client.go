package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrUnreachable matches client errors (an [*UnreachableError]) when no
// HTTP response came back: nothing listens at the address, or the
// connection failed.
var ErrUnreachable = errors.New("rest: cannot reach the REST API")

// UnreachableError is the error of a request that got no response.
type UnreachableError struct {
	// Address is the host:port the client called.
	Address string
	// Err is the network error, e.g. "connection refused".
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%v at %s: %v", ErrUnreachable, e.Address, e.Err)
}

// Unwrap returns the network error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// maxResponseBytes bounds what the client reads of a response.
const maxResponseBytes = 32 << 20

// APIError is an error response of the REST API.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	// Messages are the server's "errors", meant for the user.
	Messages []string
}

func (e *APIError) Error() string {
	if len(e.Messages) == 0 {
		return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	}
	return strings.Join(e.Messages, " ")
}

// Client calls the REST API of a job or cluster. Every method takes the
// caller's context, which bounds the whole request.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// NewClient returns a client for the REST API at address, either host:port
// (as weir's -m flag takes it) or a URL such as http://host:port/prefix.
// hc nil means a default client.
func NewClient(address string, hc *http.Client) (*Client, error) {
	raw := strings.TrimSpace(address)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("rest: address %q is neither host:port nor an http:// URL", address)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, hc: hc}, nil
}

// Address returns the base URL the client calls.
func (c *Client) Address() string { return c.base.String() }

// URL returns the full URL of an API path, for messages that tell the user
// what to query.
func (c *Client) URL(path string) string { return c.base.String() + path }

// Config calls GET /config.
func (c *Client) Config(ctx context.Context) (DashboardConfig, error) {
	var out DashboardConfig
	err := c.do(ctx, http.MethodGet, "/config", nil, http.StatusOK, &out)
	return out, err
}

// Overview calls GET /overview.
func (c *Client) Overview(ctx context.Context) (ClusterOverview, error) {
	var out ClusterOverview
	err := c.do(ctx, http.MethodGet, "/overview", nil, http.StatusOK, &out)
	return out, err
}

// Jobs calls GET /jobs: every job's id and state.
func (c *Client) Jobs(ctx context.Context) ([]JobIDWithStatus, error) {
	var out struct {
		Jobs []JobIDWithStatus `json:"jobs"`
	}
	err := c.do(ctx, http.MethodGet, "/jobs", nil, http.StatusOK, &out)
	return out.Jobs, err
}

// JobsOverview calls GET /jobs/overview.
func (c *Client) JobsOverview(ctx context.Context) ([]JobOverview, error) {
	var out struct {
		Jobs []JobOverview `json:"jobs"`
	}
	err := c.do(ctx, http.MethodGet, "/jobs/overview", nil, http.StatusOK, &out)
	return out.Jobs, err
}

// Job calls GET /jobs/:jobid.
func (c *Client) Job(ctx context.Context, id JobID) (JobDetails, error) {
	var out JobDetails
	err := c.do(ctx, http.MethodGet, "/jobs/"+id.String(), nil, http.StatusOK, &out)
	return out, err
}

// Cancel calls PATCH /jobs/:jobid?mode=cancel. It returns once the job
// has accepted the request, not when it has stopped.
func (c *Client) Cancel(ctx context.Context, id JobID) error {
	return c.do(ctx, http.MethodPatch, "/jobs/"+id.String()+"?mode=cancel", nil, http.StatusAccepted, nil)
}

// Checkpoints calls GET /jobs/:jobid/checkpoints.
func (c *Client) Checkpoints(ctx context.Context, id JobID) (CheckpointingStatistics, error) {
	var out CheckpointingStatistics
	err := c.do(ctx, http.MethodGet, "/jobs/"+id.String()+"/checkpoints", nil, http.StatusOK, &out)
	return out, err
}

// CheckpointConfig calls GET /jobs/:jobid/checkpoints/config.
func (c *Client) CheckpointConfig(ctx context.Context, id JobID) (CheckpointConfig, error) {
	var out CheckpointConfig
	err := c.do(ctx, http.MethodGet, "/jobs/"+id.String()+"/checkpoints/config", nil, http.StatusOK, &out)
	return out, err
}

// TriggerSavepoint calls POST /jobs/:jobid/savepoints and returns the
// trigger id to poll with SavepointStatus.
func (c *Client) TriggerSavepoint(ctx context.Context, id JobID, req SavepointRequest) (TriggerID, error) {
	var out TriggerResponse
	err := c.do(ctx, http.MethodPost, "/jobs/"+id.String()+"/savepoints", req, http.StatusAccepted, &out)
	return out.RequestID, err
}

// StopWithSavepoint calls POST /jobs/:jobid/stop and returns the trigger id
// to poll with SavepointStatus.
func (c *Client) StopWithSavepoint(ctx context.Context, id JobID, req StopRequest) (TriggerID, error) {
	var out TriggerResponse
	err := c.do(ctx, http.MethodPost, "/jobs/"+id.String()+"/stop", req, http.StatusAccepted, &out)
	return out.RequestID, err
}

// SavepointStatus calls GET /jobs/:jobid/savepoints/:triggerid.
func (c *Client) SavepointStatus(ctx context.Context, id JobID, trigger TriggerID) (AsyncOperation, error) {
	var out AsyncOperation
	err := c.do(ctx, http.MethodGet, SavepointStatusPath(id, trigger), nil, http.StatusOK, &out)
	return out, err
}

// SavepointStatusPath is the API path that reports a savepoint operation.
func SavepointStatusPath(id JobID, trigger TriggerID) string {
	return "/jobs/" + id.String() + "/savepoints/" + trigger.String()
}

func (c *Client) do(ctx context.Context, method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("rest: encoding %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return fmt.Errorf("rest: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("rest: %s %s: %w", method, path, ctx.Err())
		}
		// The *url.Error repeats method and URL; the address says enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{Address: c.base.Host, Err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &UnreachableError{Address: c.base.Host, Err: fmt.Errorf("reading the response to %s %s: %w", method, path, err)}
	}
	if resp.StatusCode != want {
		apiErr := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && len(eb.Errors) > 0 {
			apiErr.Messages = eb.Errors
		} else {
			apiErr.Messages = []string{fmt.Sprintf("%s %s answered %d %s, which is not a weir REST API answer: is %s the REST address of a weir job?",
				method, path, resp.StatusCode, http.StatusText(resp.StatusCode), c.base.Host)}
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("rest: %s %s: the response is not what weir's REST API sends (is %s the REST address of a weir job?): %w",
			method, path, c.base.Host, err)
	}
	return nil
}
