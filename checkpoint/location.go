package checkpoint

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"gocloud.dev/blob"
)

// MetadataFile is the name of the file that makes a directory a completed
// checkpoint or savepoint.
const MetadataFile = "_metadata"

// DefaultCheckpointsDir is used when state.checkpoints.dir is empty:
// weir-checkpoints in the OS temp directory, as a file URL.
func DefaultCheckpointsDir() string {
	return fileURL(filepath.Join(os.TempDir(), "weir-checkpoints"))
}

// fileURL turns an absolute OS path into a file URL ("/tmp/x" ->
// "file:///tmp/x", `C:\x` -> "file:///C:/x").
func fileURL(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return "file://" + p
}

// NormalizeDir turns a directory given by a user into the URL form every
// location in this package has: a plain path (relative ones are resolved
// against the working directory) becomes a file:// URL; URLs are checked
// for a scheme weir can open (file, mem, s3) and lose any trailing slash.
// The empty string stays empty.
func NormalizeDir(dir string) (string, error) {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return "", nil
	}
	if !strings.Contains(dir, "://") {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", fmt.Errorf("cannot make %q absolute: %w", dir, err)
		}
		return fileURL(abs), nil
	}
	l, err := parseLocation(dir)
	if err != nil {
		return "", err
	}
	return l.String(), nil
}

// location is a parsed, normalized directory URL.
type location struct {
	scheme string
	host   string // bucket name (mem, s3); empty for file
	path   string // slash-separated, no trailing slash; absolute for file
	query  string // driver parameters (s3: region, endpoint, ...)
}

func (l location) String() string {
	s := l.scheme + "://" + l.host + l.path
	if l.query != "" {
		s += "?" + l.query
	}
	return s
}

// join returns the location of elem below l.
func (l location) join(elem string) location {
	l.path = path.Join("/", l.path, elem)
	if l.path == "/" && l.scheme != "file" {
		l.path = ""
	}
	return l
}

// within reports whether l lies below (or is) root, and its path relative
// to root.
func (l location) within(root location) (string, bool) {
	if l.scheme != root.scheme || l.host != root.host || l.query != root.query {
		return "", false
	}
	if l.path == root.path {
		return "", true
	}
	prefix := strings.TrimSuffix(root.path, "/") + "/"
	if rel, ok := strings.CutPrefix(l.path, prefix); ok {
		return rel, true
	}
	return "", false
}

// bucketKey identifies the bucket a location lives in (file locations
// each get a bucket rooted at their own directory).
func (l location) bucketKey() string {
	if l.scheme == "file" {
		return "file://" + l.path
	}
	return location{scheme: l.scheme, host: l.host, query: l.query}.String()
}

// osPath is the local directory of a file location.
func (l location) osPath() string {
	p := l.path
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // "/C:/x" -> "C:/x"
	}
	return filepath.FromSlash(p)
}

var errScheme = errors.New("unsupported storage scheme")

func parseLocation(s string) (location, error) {
	if !strings.Contains(s, "://") {
		n, err := NormalizeDir(s)
		if err != nil {
			return location{}, err
		}
		s = n
	}
	u, err := url.Parse(s)
	if err != nil {
		return location{}, fmt.Errorf("%q is not a valid URL: %w", s, err)
	}
	l := location{scheme: strings.ToLower(u.Scheme), host: u.Host, path: path.Clean("/" + u.Path), query: u.RawQuery}
	switch l.scheme {
	case "file":
		if l.host != "" && l.host != "localhost" {
			return location{}, fmt.Errorf("%q names host %q; write a local directory as file:///absolute/path (three slashes) or as a plain path", s, l.host)
		}
		if l.query != "" {
			return location{}, fmt.Errorf("%q has parameters; file locations take none", s)
		}
		l.host = ""
	case "mem":
	default:
		if !blob.DefaultURLMux().ValidBucketScheme(l.scheme) {
			return location{}, fmt.Errorf("%w %q in %q; use a path, file:///path, mem://name or s3://bucket/prefix", errScheme, u.Scheme, s)
		}
		if l.host == "" {
			return location{}, fmt.Errorf("%q names no bucket; write %s://bucket/prefix", s, l.scheme)
		}
	}
	if l.path == "/" && l.scheme != "file" {
		l.path = ""
	}
	return l, nil
}

// SnapshotDir turns what a user gives to restore from (a checkpoint or
// savepoint directory, or its _metadata file, as a path or a URL) into the
// snapshot's directory URL.
func SnapshotDir(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", errors.New("checkpoint: empty snapshot path; give a checkpoint or savepoint directory or its _metadata file")
	}
	l, err := parseLocation(p)
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if path.Base(l.path) == MetadataFile {
		l.path = path.Dir(l.path)
		if l.path == "/" && l.scheme != "file" {
			l.path = ""
		}
	}
	return l.String(), nil
}

// JoinDir returns the location of elem below the directory dir (a path or
// URL).
func JoinDir(dir, elem string) (string, error) {
	l, err := parseLocation(dir)
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	return l.join(elem).String(), nil
}

// CheckpointDirName is the name of checkpoint id's directory below the job
// directory.
func CheckpointDirName(id int64) string { return fmt.Sprintf("chk-%d", id) }

// validName reports whether name is a safe file name inside a snapshot
// directory: relative, slash-separated, without "." or ".." segments.
func validName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// StateFileName builds a file name for state of operator uid's subtask,
// escaping characters of the UID that do not belong in a path.
func StateFileName(uid string, subtask int, suffix string) string {
	var b strings.Builder
	for i := 0; i < len(uid); i++ {
		c := uid[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' && i > 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "~%02X", c)
		}
	}
	fmt.Fprintf(&b, "-%d", subtask)
	if suffix != "" {
		b.WriteString("-" + suffix)
	}
	return b.String()
}
