package s3test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// The server round-trips objects through gocloud.dev/blob's s3 driver:
// write, read, list by prefix, delete.
func TestBlobRoundTrip(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket("weir-test")
	ctx := t.Context()

	// Open by URL, as code configured with a bucket URL does.
	b, err := blob.OpenBucket(ctx, srv.URL("weir-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	objects := map[string][]byte{
		"job/chk-1/_metadata": []byte("metadata one"),
		"job/chk-1/state-0":   bytes.Repeat([]byte{0, 1, 2, 255}, 64<<10), // bigger than one write buffer chunk
		"job/chk-2/_metadata": []byte("metadata two"),
		"other":               {},
	}
	for key, data := range objects {
		if err := b.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatalf("WriteAll(%q): %v", key, err)
		}
	}
	for key, want := range objects {
		got, err := b.ReadAll(ctx, key)
		if err != nil {
			t.Fatalf("ReadAll(%q): %v", key, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("ReadAll(%q) = %d bytes, want %d bytes as written", key, len(got), len(want))
		}
	}

	list := func(prefix, delim string) []string {
		t.Helper()
		var keys []string
		it := b.List(&blob.ListOptions{Prefix: prefix, Delimiter: delim})
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return keys
			}
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			keys = append(keys, obj.Key)
		}
	}
	if got, want := strings.Join(list("job/chk-1/", ""), ","), "job/chk-1/_metadata,job/chk-1/state-0"; got != want {
		t.Errorf("List(job/chk-1/) = %s, want %s", got, want)
	}
	if got, want := strings.Join(list("job/", "/"), ","), "job/chk-1/,job/chk-2/"; got != want {
		t.Errorf("List(job/, delimiter /) = %s, want %s", got, want)
	}

	if err := b.Delete(ctx, "job/chk-1/_metadata"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadAll(ctx, "job/chk-1/_metadata"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("ReadAll after Delete: %v, want NotFound", err)
	}
	if ok, err := b.Exists(ctx, "job/chk-2/_metadata"); err != nil || !ok {
		t.Errorf("Exists(job/chk-2/_metadata) = %v, %v after deleting another key", ok, err)
	}
	if got, want := strings.Join(list("", ""), ","), "job/chk-1/state-0,job/chk-2/_metadata,other"; got != want {
		t.Errorf("List() after Delete = %s, want %s", got, want)
	}
}

// A bucket that was never created is reported as missing, and buckets of
// one server are separate.
func TestBuckets(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket("bucket-a")
	srv.CreateBucket("bucket-b")
	ctx := t.Context()
	a, b := srv.OpenBucket("bucket-a"), srv.OpenBucket("bucket-b")
	if err := a.WriteAll(ctx, "k", []byte("in a"), nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Exists(ctx, "k"); err != nil || ok {
		t.Errorf("bucket-b sees bucket-a's key: %v, %v", ok, err)
	}
	missing := srv.OpenBucket("never-created")
	err := missing.WriteAll(ctx, "k", []byte("x"), nil)
	if err == nil || gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("write to a missing bucket: %v, want NotFound", err)
	}
}

// The URL carries what gocloud's s3 opener needs, and the server refuses
// requests without the credentials Start put into the environment.
func TestURLAndCredentials(t *testing.T) {
	srv := Start(t)
	u, err := url.Parse(srv.URL("bkt"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "s3" || u.Host != "bkt" || q.Get("endpoint") != srv.Endpoint ||
		q.Get("region") != Region || q.Get("use_path_style") != "true" {
		t.Errorf("URL = %s", u)
	}
	resp, err := http.Get(srv.Endpoint + "/bkt/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous list: status %d, want 403", resp.StatusCode)
	}
}

// After Stop the server is gone: requests fail instead of hanging, and the
// cleanup Start registered still runs without error.
func TestStop(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket("stopped")
	b := srv.OpenBucket("stopped")
	srv.Stop()
	srv.Stop()
	// The client retries a refused connection a few times; bound the wait.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := b.WriteAll(ctx, "k", []byte("x"), nil); err == nil {
		t.Error("write to a stopped server succeeded")
	}
}

func TestWithoutMinioEnv(t *testing.T) {
	got := withoutMinioEnv([]string{"PATH=/bin", "MINIO_VOLUMES=/x", "HOME=/root", "MINIO_ROOT_USER=u", "AMINIO_X=1"})
	if want := "PATH=/bin HOME=/root AMINIO_X=1"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// A server that cannot start fails with its output, and a port lost to
// another process is reported as such so Start can try another.
func TestStartFailures(t *testing.T) {
	tests := []struct {
		name, script string
		want         error
		wantText     string
	}{
		{"exits", "echo 'Unable to use the drive: permission denied' >&2; exit 1", errExited, "Unable to use the drive"},
		{"port taken", "echo 'listen tcp 127.0.0.1:9: bind: address already in use' >&2; exit 1", errPortTaken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "fake-minio")
			if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := start(t, bin, dir)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("start error = %v, want %v with %q", err, tt.want, tt.wantText)
			}
		})
	}
}
