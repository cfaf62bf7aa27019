package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// MinioModule and MinioVersion pin the MinIO server the tests run. MinIO
// publishes no tagged module versions, so this is a pseudo-version of its
// main branch: the newest one when it was chosen, and known to build with
// the Go toolchain in go.mod.
const (
	MinioModule  = "github.com/minio/minio"
	MinioVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"
)

// BinaryEnv names an environment variable that, when set, is the path of a
// MinIO server binary to use instead of the built one.
const BinaryEnv = "WEIR_MINIO"

// BinaryPath returns where the pinned MinIO binary is cached: a directory
// per version under the user cache directory (~/.cache/weir/minio/VERSION
// on Linux), so every checkout and every test run shares one build.
func BinaryPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("s3test: no cache directory for the MinIO binary (%w); set %s to a minio binary", err, BinaryEnv)
	}
	return filepath.Join(dir, "weir", "minio", MinioVersion, "minio"), nil
}

// Install returns the path of a MinIO server binary: $WEIR_MINIO if set,
// else the cached build of MinioVersion, which it builds first with
// `go install` from the Go module proxy if it is missing. Building takes
// minutes; concurrent callers (test binaries of several packages) wait for
// one build instead of each starting their own. logf reports progress.
func Install(ctx context.Context, logf func(format string, args ...any)) (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("s3test: %s=%s: %w", BinaryEnv, p, err)
		}
		return p, nil
	}
	bin, err := BinaryPath()
	if err != nil {
		return "", err
	}
	if executable(bin) == nil {
		return bin, nil
	}
	dir := filepath.Dir(bin)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return "", fmt.Errorf("s3test: locking the MinIO build: %w", err)
	}
	defer unlock()
	if executable(bin) == nil { // built by another process while we waited
		return bin, nil
	}
	if err := build(ctx, bin, logf); err != nil {
		return "", err
	}
	return bin, nil
}

// build runs go install into a temporary directory next to bin and moves
// the result into place, so an interrupted build never leaves a broken
// binary at bin.
func build(ctx context.Context, bin string, logf func(string, ...any)) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("s3test: building MinIO needs the go command on PATH: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Dir(bin)), "build-")
	if err != nil {
		return fmt.Errorf("s3test: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: leftovers are ignored by later builds

	pkg := MinioModule + "@" + MinioVersion
	logf("s3test: building MinIO %s into %s (once per machine; takes several minutes)", MinioVersion, filepath.Dir(bin))
	start := time.Now()
	cmd := exec.CommandContext(ctx, goTool, "install", pkg)
	// Run outside any module or workspace so only the pinned module's own
	// go.mod decides its dependencies.
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "GOFLAGS=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("s3test: go install %s failed (%w); "+
			"check that the Go module proxy is reachable, or set %s to a minio binary:\n%s",
			pkg, err, BinaryEnv, tail(out.String(), 40))
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("s3test: %w", err)
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return fmt.Errorf("s3test: installing the MinIO binary: %w", err)
	}
	logf("s3test: built MinIO in %s", time.Since(start).Round(time.Second))
	return nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return errors.New("not an executable file")
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
