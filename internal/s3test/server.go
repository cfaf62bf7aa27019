package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // registers s3:// for blob.OpenBucket
)

// Credentials and region of every server Start runs. They are fixed: the
// server listens on loopback only and lives as long as one test.
const (
	AccessKey = "weirtest"
	SecretKey = "weirtest-secret"
	Region    = "us-east-1"
)

// startTimeout bounds how long a started server may take to answer its
// health check; MinIO usually needs about a second.
const startTimeout = 60 * time.Second

// Server is a running MinIO server owned by one test.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string

	t    testing.TB
	log  *logBuffer
	done chan struct{} // closed when the process has exited
	stop func()        // kills the process and waits for it; idempotent
}

// Start runs a MinIO server on a free loopback port with its data in a
// temporary directory, waits until it answers, and stops it (and removes
// its data) when the test ends. It builds MinIO first if needed (see
// [Install]). In -short mode the test is skipped instead.
//
// Start sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and clears the
// AWS variables that would override them) with t.Setenv, because that is
// how s3:// URLs carry credentials; so a test calling Start, and its
// parents, must not call t.Parallel.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("s3test: skipped in -short mode: starts a MinIO server")
	}
	bin, err := Install(t.Context(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"AWS_ACCESS_KEY_ID", AccessKey},
		{"AWS_SECRET_ACCESS_KEY", SecretKey},
		{"AWS_SESSION_TOKEN", ""},
		{"AWS_PROFILE", ""},
		{"AWS_ENDPOINT_URL", ""},
		{"AWS_ENDPOINT_URL_S3", ""},
		{"AWS_EC2_METADATA_DISABLED", "true"},
	} {
		t.Setenv(kv[0], kv[1])
	}
	dir := t.TempDir()
	// A port picked free can be taken before MinIO binds it; try again
	// with another one.
	var lastErr error
	for range 3 {
		s, err := start(t, bin, dir)
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatal(lastErr)
	return nil
}

var errPortTaken = errors.New("s3test: port taken")

func start(t testing.TB, bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("s3test: finding a free port: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	data, err := os.MkdirTemp(dir, "data-")
	if err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	certs := filepath.Join(dir, "certs") // never the user's ~/.minio
	cmd := exec.Command(bin, "server", "--address", addr, "--console-address", "127.0.0.1:0",
		"--certs-dir", certs, "--quiet", data)
	cmd.Env = append(withoutMinioEnv(os.Environ()),
		"MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	s := &Server{Endpoint: "http://" + addr, t: t, log: &logBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("s3test: starting %s: %w", bin, err)
	}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(s.done)
	}()
	s.stop = func() {
		_ = cmd.Process.Kill() // fails only if it already exited
		<-s.done
	}
	if err := s.waitReady(t.Context()); err != nil {
		s.stop()
		if strings.Contains(s.log.String(), "address already in use") {
			return nil, errPortTaken
		}
		if errors.Is(err, errExited) {
			err = fmt.Errorf("%w (%w)", err, waitErr)
		}
		return nil, fmt.Errorf("%w; server output:\n%s", err, tail(s.log.String(), 40))
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("s3test: MinIO output:\n%s", tail(s.log.String(), 40))
		}
	})
	return s, nil
}

var errExited = errors.New("s3test: MinIO exited before it was ready")

// waitReady polls the liveness endpoint until it reports the server
// online, the process exits, or startTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/minio/health/live", nil)
		if err != nil {
			return fmt.Errorf("s3test: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			// Liveness answers 200 as soon as the HTTP server is up, and
			// marks itself offline until the object layer can serve
			// requests; before that, S3 calls get 503.
			if resp.StatusCode == http.StatusOK && resp.Header.Get("X-Minio-Server-Status") != "offline" {
				return nil
			}
		}
		select {
		case <-s.done:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("s3test: MinIO at %s did not answer %s/minio/health/live within %s: %w",
				s.Endpoint, s.Endpoint, startTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// URL returns a gocloud.dev/blob URL for bucket on this server, for
// blob.OpenBucket or any option that takes a bucket URL (such as
// state.checkpoints.dir). Append a path for a prefix within the bucket
// the way the caller's URL handling expects it; the query must stay.
func (s *Server) URL(bucket string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("region", Region)
	q.Set("use_path_style", "true")
	return "s3://" + bucket + "?" + q.Encode()
}

// CreateBucket creates bucket, failing the test if it cannot.
func (s *Server) CreateBucket(name string) {
	s.t.Helper()
	ctx := s.t.Context()
	b, err := blob.OpenBucket(ctx, s.URL(name))
	if err != nil {
		s.t.Fatalf("s3test: opening bucket %q: %v", name, err)
	}
	defer func() { _ = b.Close() }() // opened only to reach the client
	var client *s3.Client
	if !b.As(&client) {
		s.t.Fatalf("s3test: bucket %q is not backed by an S3 client", name)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		s.t.Fatalf("s3test: creating bucket %q: %v", name, err)
	}
}

// OpenBucket opens bucket (which must exist) through gocloud.dev/blob and
// closes it when the test ends.
func (s *Server) OpenBucket(name string) *blob.Bucket {
	s.t.Helper()
	b, err := blob.OpenBucket(s.t.Context(), s.URL(name))
	if err != nil {
		s.t.Fatalf("s3test: opening bucket %q: %v", name, err)
	}
	s.t.Cleanup(func() {
		if err := b.Close(); err != nil {
			s.t.Errorf("s3test: closing bucket %q: %v", name, err)
		}
	})
	return b
}

// Stop kills the server now instead of at the end of the test, for tests
// of what clients do when storage goes away. It returns once the process
// has exited; calling it again does nothing.
func (s *Server) Stop() { s.stop() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// withoutMinioEnv drops MINIO_* variables so settings of the machine
// (a MINIO_VOLUMES, a MINIO_CONFIG) cannot change the test server.
func withoutMinioEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MINIO_") {
			out = append(out, kv)
		}
	}
	return out
}

// logBuffer collects the server's output; the process writes to it from
// os/exec's copying goroutines while the test reads it.
type logBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

// maxLog bounds the kept output; a long test's server could otherwise
// grow it without limit.
const maxLog = 1 << 20

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len()+len(p) > maxLog {
		l.buf.Reset()
		l.buf.WriteString("[earlier output dropped]\n")
	}
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
