package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // s3:// locations
	"gocloud.dev/gcerrors"
)

var (
	// ErrNoMetadata is wrapped by errors for a directory without _metadata:
	// a checkpoint that never completed, or not a snapshot at all.
	ErrNoMetadata = errors.New("checkpoint: no _metadata")
	// ErrNoCheckpoint is wrapped when a job directory holds no usable
	// checkpoint.
	ErrNoCheckpoint = errors.New("checkpoint: no usable checkpoint")
)

// memBuckets are the mem:// buckets of this process by name. They live
// as long as the process (JobManager memory), so a job that restarts in
// the process finds its checkpoints; they are never closed.
var memBuckets = struct {
	sync.Mutex
	m map[string]*blob.Bucket
}{m: map[string]*blob.Bucket{}}

func memBucket(name string) *blob.Bucket {
	memBuckets.Lock()
	defer memBuckets.Unlock()
	b, ok := memBuckets.m[name]
	if !ok {
		b = memblob.OpenBucket(&memblob.Options{NoMD5: true})
		memBuckets.m[name] = b
	}
	return b
}

// Storage reads and writes the checkpoints of one job, and any other
// snapshot location (savepoint directories, a snapshot to restore from),
// through gocloud.dev/blob buckets. Layout:
//
//	<checkpoints-dir>/<job-id>/chk-<n>/_metadata     written last
//	<checkpoints-dir>/<job-id>/chk-<n>/<state files> written by subtasks
//	<savepoint-dir>/_metadata, <state files>
//
// Methods taking a dir accept an absolute location (a URL or an absolute
// path) or a name relative to the job directory ("chk-7"). Storage is safe
// for concurrent use.
type Storage struct {
	root location // the checkpoints directory
	job  location // root/<job-id>

	// mu guards buckets.
	mu struct {
		sync.Mutex
		buckets map[string]*blob.Bucket // by location.bucketKey
		closed  bool
	}
}

// OpenStorage opens the checkpoint storage of job jobID below dir (a path
// or URL; empty means DefaultCheckpointsDir). It fails early when the
// location cannot be opened (unknown scheme, missing credentials, a file
// directory that cannot be created).
func OpenStorage(ctx context.Context, dir, jobID string) (*Storage, error) {
	if jobID == "" || strings.ContainsAny(jobID, `/\`) || !validName(jobID) {
		return nil, fmt.Errorf("checkpoint: job id %q cannot name a directory", jobID)
	}
	if dir == "" {
		dir = DefaultCheckpointsDir()
	}
	root, err := parseLocation(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: checkpoints directory: %w", err)
	}
	return newStorage(ctx, root, root.join(jobID), true)
}

// newStorage opens the bucket of root; with create, a local root
// directory is created first.
func newStorage(ctx context.Context, root, job location, create bool) (*Storage, error) {
	s := &Storage{root: root, job: job}
	s.mu.buckets = map[string]*blob.Bucket{}
	if create && root.scheme == "file" {
		if err := os.MkdirAll(root.osPath(), 0o777); err != nil {
			return nil, fmt.Errorf("checkpoint: creating checkpoints directory: %w", err)
		}
	}
	if _, err := s.bucket(ctx, root); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the buckets the storage opened.
func (s *Storage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil
	}
	s.mu.closed = true
	var errs []error
	for key, b := range s.mu.buckets {
		if !strings.HasPrefix(key, "mem://") {
			errs = append(errs, b.Close())
		}
	}
	return errors.Join(errs...)
}

// JobDir is the location of the job's checkpoints, <dir>/<job-id>.
func (s *Storage) JobDir() string { return s.job.String() }

// CheckpointDir is the location of checkpoint id, <dir>/<job-id>/chk-<id>.
func (s *Storage) CheckpointDir(id int64) string {
	return s.job.join(CheckpointDirName(id)).String()
}

func (s *Storage) bucket(ctx context.Context, l location) (*blob.Bucket, error) {
	key := l.bucketKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil, errors.New("checkpoint: storage is closed")
	}
	if b, ok := s.mu.buckets[key]; ok {
		return b, nil
	}
	var b *blob.Bucket
	var err error
	switch l.scheme {
	case "file":
		// NoTempDir: the temporary file of a write sits next to its final
		// name, so the rename that publishes it never crosses file systems.
		b, err = fileblob.OpenBucket(l.osPath(), &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checkpoint: %s does not exist: %w", l, fs.ErrNotExist)
		}
	case "mem":
		b = memBucket(l.host)
	default:
		b, err = blob.OpenBucket(ctx, location{scheme: l.scheme, host: l.host, query: l.query}.String())
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: opening %s: %w", l, storageErr(err))
	}
	s.mu.buckets[key] = b
	return b, nil
}

// place is a directory resolved to a bucket and the key prefix of its
// objects.
type place struct {
	loc    location
	bucket *blob.Bucket
	prefix string // "" or ending in "/"
}

func (p place) key(name string) string { return p.prefix + name }

// resolve finds the bucket of dir. With create, a local directory outside
// the checkpoints directory is created first (savepoint targets).
func (s *Storage) resolve(ctx context.Context, dir string, create bool) (place, error) {
	var l location
	if isRelative(dir) {
		if dir != "" && !validName(dir) {
			return place{}, fmt.Errorf("checkpoint: %q is not a valid directory name", dir)
		}
		l = s.job.join(dir)
	} else {
		var err error
		if l, err = parseLocation(dir); err != nil {
			return place{}, fmt.Errorf("checkpoint: %w", err)
		}
	}
	// Object stores have one bucket per host with the path as key prefix.
	// A local directory is a bucket of its own, except below the
	// checkpoints directory, whose bucket serves every checkpoint.
	bl, rootPath := location{scheme: l.scheme, host: l.host, query: l.query}, ""
	if _, ok := l.within(s.root); ok && l.scheme == "file" {
		bl, rootPath = s.root, s.root.path
	} else if l.scheme == "file" {
		bl, rootPath = l, l.path
		if create {
			if err := os.MkdirAll(l.osPath(), 0o777); err != nil {
				return place{}, fmt.Errorf("checkpoint: creating %s: %w", l, err)
			}
		}
	}
	b, err := s.bucket(ctx, bl)
	if err != nil {
		return place{}, err
	}
	prefix := strings.TrimPrefix(strings.TrimPrefix(l.path, rootPath), "/")
	if prefix != "" {
		prefix += "/"
	}
	return place{loc: l, bucket: b, prefix: prefix}, nil
}

func isRelative(dir string) bool {
	return !strings.Contains(dir, "://") && !filepath.IsAbs(dir) && !strings.HasPrefix(dir, "/")
}

// StateFile is a state file being written. Nothing is visible under its
// name until Close returns without error; Abort drops it.
type StateFile struct {
	name   string
	w      *blob.Writer
	cancel context.CancelFunc
	n      int64
}

// Name is the file's name inside its checkpoint directory, as state
// handles (snapshot.KeyedHandle.File) record it.
func (f *StateFile) Name() string { return f.name }

// Offset is the number of bytes written so far: the offset the next write
// starts at.
func (f *StateFile) Offset() int64 { return f.n }

// Write appends p.
func (f *StateFile) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("checkpoint: writing state file %s: %w", f.name, storageErr(err))
	}
	return n, nil
}

// Close publishes the file.
func (f *StateFile) Close() error {
	defer f.cancel()
	if err := f.w.Close(); err != nil {
		return fmt.Errorf("checkpoint: writing state file %s: %w", f.name, storageErr(err))
	}
	return nil
}

// Abort drops the file; nothing becomes visible. Abort after Close has no
// effect.
func (f *StateFile) Abort() {
	f.cancel()
	_ = f.w.Close() // reports the cancellation, which is the point
}

// CreateStateFile starts writing state file name (a relative name, see
// StateFileName) in checkpoint directory dir. ctx bounds the whole write:
// cancelling it aborts the file.
func (s *Storage) CreateStateFile(ctx context.Context, dir, name string) (*StateFile, error) {
	if !validName(name) || name == MetadataFile {
		return nil, fmt.Errorf("checkpoint: %q is not a valid state file name", name)
	}
	p, err := s.resolve(ctx, dir, true)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	w, err := p.bucket.NewWriter(wctx, p.key(name), &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("checkpoint: creating state file %s in %s: %w", name, p.loc, storageErr(err))
	}
	return &StateFile{name: name, w: w, cancel: cancel}, nil
}

// ReadRange reads n bytes at offset off of state file name in dir (n < 0
// reads to the end), e.g. one key group's span of a keyed state file.
func (s *Storage) ReadRange(ctx context.Context, dir, name string, off, n int64) ([]byte, error) {
	if !validName(name) {
		return nil, fmt.Errorf("checkpoint: %q is not a valid state file name", name)
	}
	p, err := s.resolve(ctx, dir, false)
	if err != nil {
		return nil, err
	}
	r, err := p.bucket.NewRangeReader(ctx, p.key(name), off, n, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("checkpoint: state file %s missing in %s: %w", name, p.loc, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("checkpoint: reading state file %s in %s: %w", name, p.loc, storageErr(err))
	}
	defer func() { _ = r.Close() }()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: reading state file %s in %s: %w", name, p.loc, storageErr(err))
	}
	if n >= 0 && int64(len(b)) != n {
		return nil, fmt.Errorf("%w: state file %s in %s has %d bytes at offset %d, its handle says %d",
			ErrCorrupt, name, p.loc, len(b), off, n)
	}
	return b, nil
}

// WriteMetadata writes dir/_metadata, completing the checkpoint; call it
// only once every state file it refers to is closed.
//
// The write is atomic with every driver: a blob becomes visible only when
// its writer closes without error, and a cancelled context aborts it.
// fileblob writes a temporary file next to the target and renames it on
// Close (checked in gocloud.dev v0.49.0 fileblob.writer.Close), memblob
// stores the buffer under its lock on Close, and S3 publishes an object
// only when the PUT or multipart upload completes. So readers see either
// no _metadata or all of it, and no temporary name is needed.
func (s *Storage) WriteMetadata(ctx context.Context, dir string, m *Metadata) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	p, err := s.resolve(ctx, dir, true)
	if err != nil {
		return err
	}
	if err := p.bucket.WriteAll(ctx, p.key(MetadataFile), b, &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", p.loc.join(MetadataFile), storageErr(err))
	}
	return nil
}

// ReadMetadata reads the metadata of the checkpoint or savepoint at path:
// its directory or its _metadata file, absolute or relative to the job
// directory. Errors name the file and wrap ErrNoMetadata, ErrCorrupt or
// ErrUnknownVersion where those apply.
func (s *Storage) ReadMetadata(ctx context.Context, path string) (*Metadata, error) {
	dir := path
	if isRelative(path) {
		dir = strings.TrimSuffix(strings.TrimSuffix(path, MetadataFile), "/")
	} else {
		var err error
		if dir, err = SnapshotDir(path); err != nil {
			return nil, err
		}
	}
	p, err := s.resolve(ctx, dir, false)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s: the directory does not exist", ErrNoMetadata, dir)
		}
		return nil, err
	}
	b, err := p.bucket.ReadAll(ctx, p.key(MetadataFile))
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("%w in %s: not a completed checkpoint or savepoint", ErrNoMetadata, p.loc)
		}
		return nil, fmt.Errorf("checkpoint: reading %s: %w", p.loc.join(MetadataFile), storageErr(err))
	}
	m, err := DecodeMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.loc.join(MetadataFile), err)
	}
	return m, nil
}

// Discard deletes the checkpoint or savepoint directory dir with
// everything in it. Deleting what is not there is not an error.
func (s *Storage) Discard(ctx context.Context, dir string) error {
	if dir == "" {
		return errors.New("checkpoint: refusing to discard an empty location (the whole job directory)")
	}
	p, err := s.resolve(ctx, dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, ok := s.root.within(p.loc); ok {
		return fmt.Errorf("checkpoint: refusing to discard %s, which holds the checkpoints directory %s", p.loc, s.root)
	}
	var errs []error
	it := p.bucket.List(&blob.ListOptions{Prefix: p.prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("checkpoint: listing %s: %w", p.loc, storageErr(err))
		}
		if err := p.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("checkpoint: discarding %s: %w", p.loc, errors.Join(errs...))
	}
	if p.loc.scheme == "file" {
		removeEmptyDirs(p.loc.osPath())
	}
	return nil
}

// removeEmptyDirs removes dir and the directories below it that are empty
// (fileblob deletes files but leaves their directories). Directories that
// still hold something stay.
func removeEmptyDirs(dir string) {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for _, d := range slices.Backward(dirs) {
		_ = os.Remove(d) // fails, as intended, when not empty
	}
}

// Checkpoints lists the ids of the chk-<n> directories of the job, complete
// or not, in ascending order.
func (s *Storage) Checkpoints(ctx context.Context) ([]int64, error) {
	p, err := s.resolve(ctx, s.job.String(), false)
	if err != nil {
		return nil, err
	}
	var ids []int64
	it := p.bucket.List(&blob.ListOptions{Prefix: p.prefix + "chk-", Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint: listing %s: %w", p.loc, storageErr(err))
		}
		if !obj.IsDir {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(obj.Key, p.prefix), "/")
		if id, err := strconv.ParseInt(strings.TrimPrefix(name, "chk-"), 10, 64); err == nil && id > 0 && name == CheckpointDirName(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Latest is the newest usable checkpoint of a job.
type Latest struct {
	ID       int64
	Dir      string
	Metadata *Metadata
	// Skipped explains why newer checkpoint directories were passed over,
	// newest first: incomplete (no _metadata), corrupt, or of an unknown
	// format version.
	Skipped []error
}

// Latest returns the newest checkpoint of the job whose metadata reads
// back valid. A newer directory without _metadata (the checkpoint never
// completed), with corrupt metadata or with metadata of a newer format is
// skipped, and the reason recorded. Other errors (the store is
// unreachable) are returned rather than skipped: falling back to an older
// checkpoint while the newest one is fine would replay output that
// two-phase-commit sinks already committed.
//
// Falling back past a corrupt checkpoint has that cost too, but the only
// other choice is not to recover at all.
func (s *Storage) Latest(ctx context.Context) (Latest, error) {
	ids, err := s.Checkpoints(ctx)
	if err != nil {
		return Latest{}, err
	}
	var skipped []error
	for _, id := range slices.Backward(ids) {
		dir := s.CheckpointDir(id)
		m, err := s.ReadMetadata(ctx, dir)
		switch {
		case err == nil && m.CheckpointID != id:
			err = fmt.Errorf("%w: %s names checkpoint %d", ErrCorrupt, s.job.join(CheckpointDirName(id)).join(MetadataFile), m.CheckpointID)
		case err == nil:
			return Latest{ID: id, Dir: dir, Metadata: m, Skipped: skipped}, nil
		case !errors.Is(err, ErrNoMetadata) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownVersion):
			return Latest{}, err
		}
		skipped = append(skipped, err)
	}
	err = fmt.Errorf("%w in %s", ErrNoCheckpoint, s.job)
	if len(skipped) > 0 {
		err = fmt.Errorf("%w: %w", err, errors.Join(skipped...))
	}
	return Latest{Skipped: skipped}, err
}

// LatestCheckpoint returns the newest usable checkpoint in jobDir
// (<checkpoints-dir>/<job-id>, as a path or URL); see [Storage.Latest].
func LatestCheckpoint(ctx context.Context, jobDir string) (Latest, error) {
	l, err := parseLocation(jobDir)
	if err != nil {
		return Latest{}, fmt.Errorf("checkpoint: %w", err)
	}
	s, err := newStorage(ctx, l, l, false)
	if err != nil {
		return Latest{}, err
	}
	defer func() { _ = s.Close() }()
	return s.Latest(ctx)
}

// Snapshot is a completed checkpoint or savepoint opened for reading, to
// restore from or to inspect.
type Snapshot struct {
	Dir      string
	Metadata *Metadata
	s        *Storage
}

// OpenSnapshot reads the metadata at path (a checkpoint or savepoint
// directory or its _metadata file, as a path or URL).
func OpenSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	dir, err := SnapshotDir(path)
	if err != nil {
		return nil, err
	}
	l, err := parseLocation(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if l.scheme == "file" {
		if _, err := os.Stat(l.osPath()); err != nil {
			return nil, fmt.Errorf("%w in %s: %w", ErrNoMetadata, dir, err)
		}
	}
	s, err := newStorage(ctx, l, l, false)
	if err != nil {
		return nil, err
	}
	m, err := s.ReadMetadata(ctx, dir)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &Snapshot{Dir: dir, Metadata: m, s: s}, nil
}

// ReadRange reads n bytes at off of the snapshot's state file name (n < 0
// reads to the end).
func (sn *Snapshot) ReadRange(ctx context.Context, name string, off, n int64) ([]byte, error) {
	return sn.s.ReadRange(ctx, sn.Dir, name, off, n)
}

// Close releases the snapshot's storage.
func (sn *Snapshot) Close() error { return sn.s.Close() }

// storageErr adds what to check to an I/O error of the storage (an
// unreachable object store, bad credentials); errors that say a file is
// missing pass unchanged.
func storageErr(err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) || gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w (check that the storage is reachable and its credentials are valid)", err)
}
