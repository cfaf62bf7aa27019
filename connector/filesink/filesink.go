package filesink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/sink"
)

// Defaults of Flink's DefaultRollingPolicy.
const (
	DefaultMaxPartSize        int64 = 128 << 20
	DefaultRolloverInterval         = 60 * time.Second
	DefaultInactivityInterval       = 60 * time.Second
)

// RollingPolicy decides when an open part file is finished. Zero or
// negative fields take Flink's defaults. A part rolls when its size exceeds
// MaxPartSize (checked after every record, so a part holds at most one
// record beyond the limit: the same split into files as Flink's check before
// the next record), when it is RolloverInterval old, or when nothing was
// written to it for InactivityInterval. Time is the writer's InitContext.Now
// and is checked on Write and Flush.
type RollingPolicy struct {
	MaxPartSize        int64
	RolloverInterval   time.Duration
	InactivityInterval time.Duration
	// KeepPartsOpenOnCheckpoint leaves open parts open across PrepareCommit,
	// as Flink's DefaultRollingPolicy does. Flink can do that because it
	// resumes in-progress files from writer state after a failure; weir's
	// sink API has no writer state, so records in a part that is open at a
	// checkpoint are lost if the job fails before the part is committed.
	// Set it only when PrepareCommit is not tied to checkpoints, or when that
	// loss is acceptable in exchange for fewer, larger files.
	KeepPartsOpenOnCheckpoint bool
}

func (p RollingPolicy) withDefaults() RollingPolicy {
	if p.MaxPartSize <= 0 {
		p.MaxPartSize = DefaultMaxPartSize
	}
	if p.RolloverInterval <= 0 {
		p.RolloverInterval = DefaultRolloverInterval
	}
	if p.InactivityInterval <= 0 {
		p.InactivityInterval = DefaultInactivityInterval
	}
	return p
}

// Committable is one finished part file waiting to be published: committing
// renames InProgressPath to FinalPath. Paths are absolute.
type Committable struct {
	Bucket         string `json:"bucket"`
	InProgressPath string `json:"inProgressPath"`
	FinalPath      string `json:"finalPath"`
}

// Sink is a row-encoded file sink (Flink's FileSink.forRowFormat). It is
// immutable after New and can create writers for any number of subtasks.
type Sink[T any] struct {
	dir      string
	enc      Encoder[T]
	policy   RollingPolicy
	assigner BucketAssigner[T]
	prefix   string
	suffix   string
}

var (
	_ sink.TwoPhaseCommittingSink[string, Committable] = (*Sink[string])(nil)
	_ sink.Committer[Committable]                      = (*Committer)(nil)
)

// Option configures a Sink. Options are generic in the record type, so a
// call spells it: filesink.WithPartPrefix[string]("events").
type Option[T any] func(*Sink[T])

// WithRollingPolicy sets when part files are finished; zero fields keep
// Flink's defaults.
func WithRollingPolicy[T any](p RollingPolicy) Option[T] {
	return func(s *Sink[T]) { s.policy = p.withDefaults() }
}

// WithBucketAssigner sets how records are spread over subdirectories
// (default BasePathBucketAssigner).
func WithBucketAssigner[T any](a BucketAssigner[T]) Option[T] {
	return func(s *Sink[T]) { s.assigner = a }
}

// WithPartPrefix sets the first component of part file names (default
// "part").
func WithPartPrefix[T any](prefix string) Option[T] {
	return func(s *Sink[T]) { s.prefix = prefix }
}

// WithPartSuffix sets the end of part file names, e.g. ".txt" (default
// none).
func WithPartSuffix[T any](suffix string) Option[T] {
	return func(s *Sink[T]) { s.suffix = suffix }
}

// New returns a sink writing records encoded by enc into dir. Invalid
// settings (no encoder, a prefix or suffix with a path separator) are
// reported by CreateWriter, the first place that can return an error.
func New[T any](dir string, enc Encoder[T], opts ...Option[T]) *Sink[T] {
	s := &Sink[T]{
		dir:      dir,
		enc:      enc,
		policy:   RollingPolicy{}.withDefaults(),
		assigner: BasePathBucketAssigner[T]{},
		prefix:   "part",
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Dir is the base directory the sink writes into.
func (s *Sink[T]) Dir() string { return s.dir }

func (s *Sink[T]) validate() (absDir string, err error) {
	if s.dir == "" {
		return "", errors.New("filesink: no directory given; pass the output directory to filesink.New")
	}
	if s.enc == nil {
		return "", errors.New("filesink: no encoder given; pass one to filesink.New, e.g. filesink.StringLines()")
	}
	if s.assigner == nil {
		return "", errors.New("filesink: WithBucketAssigner(nil); leave the option out to write into the base directory")
	}
	if s.prefix == "" || strings.ContainsAny(s.prefix, `/\`) || strings.HasPrefix(s.prefix, ".") || strings.HasPrefix(s.prefix, "_") {
		return "", fmt.Errorf("filesink: part prefix %q is not usable: it must be a non-empty file name part without path separators that does not start with '.' or '_' (readers would skip such files)", s.prefix)
	}
	if strings.ContainsAny(s.suffix, `/\`) {
		return "", fmt.Errorf("filesink: part suffix %q contains a path separator; use a plain file name ending such as \".txt\"", s.suffix)
	}
	absDir, err = filepath.Abs(s.dir)
	if err != nil {
		return "", fmt.Errorf("filesink: resolve directory %q: %w; pass an absolute path", s.dir, err)
	}
	return absDir, nil
}

// CreateWriter implements sink.Sink. The writer it returns is a *Writer[T],
// a sink.CommittingWriter[T, Committable]. It creates the base directory.
func (s *Sink[T]) CreateWriter(ctx sink.InitContext) (sink.Writer[T], error) {
	return s.newWriter(ctx)
}

// CreateCommitter implements sink.TwoPhaseCommittingSink.
func (s *Sink[T]) CreateCommitter() (sink.Committer[Committable], error) {
	return &Committer{}, nil
}

// NewCommitDriver implements sink.Committing, so the runtime publishes the
// finished part files.
func (s *Sink[T]) NewCommitDriver(w sink.Writer[T]) (sink.CommitDriver, error) {
	return sink.NewDriver[T, Committable](s, w)
}

// CommitRestored implements sink.Committing: it publishes the part files
// a restored checkpoint had pre-committed.
func (s *Sink[T]) CommitRestored(encoded [][]byte) error {
	return sink.CommitRestored[T, Committable](s, encoded)
}

// CleanupAfterRestore implements sink.Cleaner: after the restored
// committables are published, every in-progress file left under the
// directory belongs to an attempt that failed after its last checkpoint;
// its records are replayed, so the files go.
func (s *Sink[T]) CleanupAfterRestore() error {
	_, err := s.RemoveInProgress(nil)
	return err
}

// CommittableCodec implements sink.TwoPhaseCommittingSink.
func (s *Sink[T]) CommittableCodec() codec.Codec[Committable] {
	return codec.JSON[Committable]{}
}

// RemoveInProgress deletes the hidden in-progress part files (this sink's
// prefix and suffix) anywhere under the sink's directory, except those that
// a committable in keep refers to, and returns the paths it removed. Call it
// after a restore, once the restored committables are committed and before
// any writer of the new attempt starts: at that point every remaining
// in-progress file belongs to an attempt that failed after its last
// checkpoint, and its records are replayed from that checkpoint.
func (s *Sink[T]) RemoveInProgress(keep []Committable) ([]string, error) {
	dir, err := s.validate()
	if err != nil {
		return nil, err
	}
	keepSet := make(map[string]bool, len(keep))
	for _, c := range keep {
		keepSet[filepath.Clean(c.InProgressPath)] = true
	}
	var removed []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() || !s.isInProgressName(d.Name()) || keepSet[path] {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed = append(removed, path)
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("filesink: remove in-progress files under %s: %w (%s)", dir, err, advice(err, dir))
	}
	return removed, nil
}

func (s *Sink[T]) isInProgressName(name string) bool {
	head, _, ok := strings.Cut(name, ".inprogress.")
	return ok && strings.HasPrefix(head, "."+s.prefix+"-") && strings.HasSuffix(head, s.suffix)
}

// Committer publishes finished part files by renaming them. It has no state
// and is safe for concurrent use.
type Committer struct{}

// Commit renames each committable's in-progress file to its final name and
// then fsyncs the directories, so a commit survives a crash. It is
// idempotent: a committable whose in-progress file is gone but whose final
// file exists was committed before. It commits as many committables as it
// can and returns the errors of the others joined; retrying is safe.
func (*Committer) Commit(committables []Committable) error {
	var errs []error
	dirs := make(map[string]bool)
	for _, c := range committables {
		renamed, err := commitOne(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if renamed {
			dirs[filepath.Dir(c.FinalPath)] = true
		}
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close implements sink.Committer; the committer holds no resources.
func (*Committer) Close() error { return nil }

func commitOne(c Committable) (renamed bool, err error) {
	if c.InProgressPath == "" || c.FinalPath == "" {
		return false, fmt.Errorf("filesink: committable %+v lacks a path; it was not produced by this sink's writer (check the committable codec)", c)
	}
	err = os.Rename(c.InProgressPath, c.FinalPath)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("filesink: commit part file %s (rename from %s): %w (%s)", c.FinalPath, c.InProgressPath, err, advice(err, filepath.Dir(c.FinalPath)))
	}
	_, statErr := os.Stat(c.FinalPath)
	switch {
	case statErr == nil:
		return false, nil // committed before: a retry or a re-commit after restore
	case errors.Is(statErr, fs.ErrNotExist):
		return false, fmt.Errorf("filesink: commit part file %s: neither it nor its in-progress file %s exists, so its data was lost or already cleaned up; check whether something deletes files in %s (a cleanup job, a lifecycle rule, RemoveInProgress called too early) and restore from an earlier checkpoint if the data is needed", c.FinalPath, c.InProgressPath, filepath.Dir(c.FinalPath))
	default:
		return false, fmt.Errorf("filesink: commit part file %s: in-progress file %s is missing and the final file cannot be checked: %w (%s)", c.FinalPath, c.InProgressPath, statErr, advice(statErr, filepath.Dir(c.FinalPath)))
	}
}

// syncDir makes renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("filesink: open directory %s to sync it: %w (%s)", dir, err, advice(err, dir))
	}
	err = d.Sync()
	closeErr := d.Close()
	// Some file systems cannot sync directories; renames there are as durable
	// as the file system makes them.
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("filesink: sync directory %s: %w (%s)", dir, err, advice(err, dir))
	}
	if closeErr != nil {
		return fmt.Errorf("filesink: close directory %s: %w", dir, closeErr)
	}
	return nil
}

// advice says what to do about an I/O error in dir.
func advice(err error, dir string) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full: free space on the volume holding " + dir + " or point the sink at a larger one, then restart the job"
	case errors.Is(err, syscall.EDQUOT):
		return "the disk quota is exhausted: raise the quota for the volume holding " + dir + " or free space, then restart the job"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied: let the job's user create, write and rename files in " + dir + " (the sink creates directories with mode 0755)"
	case errors.Is(err, syscall.EROFS):
		return dir + " is on a read-only file system: mount it read-write or choose another directory"
	case errors.Is(err, syscall.ENOTDIR):
		return "a path component of " + dir + " is a file, not a directory: remove it or choose another directory"
	default:
		return "check that " + dir + " exists, is writable and its volume is healthy, then restart the job"
	}
}
