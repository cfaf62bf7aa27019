package sink

import "fmt"

// CommitDriver runs the commit side of a two-phase sink for the runtime,
// which does not know the committable type.
type CommitDriver interface {
	// PrepareAndCommit pre-commits what the writer has finished and commits
	// it (used at end of input and when checkpointing is off).
	PrepareAndCommit() error
	// Prepare pre-commits what the writer has finished and returns the
	// committables encoded with the sink's CommittableCodec, to be stored
	// in the checkpoint being taken.
	Prepare() ([][]byte, error)
	// Commit decodes and commits committables from Prepare, once the
	// checkpoint holding them completed or after a restore. Committing
	// again what was committed before is harmless.
	Commit(encoded [][]byte) error
	Close() error
}

// Cleaner is implemented by two-phase-commit sinks that leave data behind
// when a job fails between checkpoints (in-progress files, open
// transactions). After a restore, once the restored committables are
// committed and before any writer starts, the runtime calls
// CleanupAfterRestore once for the whole sink.
type Cleaner interface {
	CleanupAfterRestore() error
}

// Committing is implemented by two-phase-commit sinks so the runtime can
// find their committer without knowing the committable type; implement it
// as
//
//	func (s *MySink[T]) NewCommitDriver(w sink.Writer[T]) (sink.CommitDriver, error) {
//		return sink.NewDriver[T, MyCommittable](s, w)
//	}
//	func (s *MySink[T]) CommitRestored(encoded [][]byte) error {
//		return sink.CommitRestored[T, MyCommittable](s, encoded)
//	}
type Committing[T any] interface {
	NewCommitDriver(w Writer[T]) (CommitDriver, error)
	// CommitRestored commits the committables of every subtask found in a
	// restored checkpoint, once per restore, before the writers start.
	CommitRestored(encoded [][]byte) error
}

// CommitRestored decodes encoded committables of s and commits them with a
// committer of its own.
func CommitRestored[T, C any](s TwoPhaseCommittingSink[T, C], encoded [][]byte) error {
	cs, err := DecodeCommittables(s, encoded)
	if err != nil {
		return err
	}
	c, err := s.CreateCommitter()
	if err != nil {
		return err
	}
	err = c.Commit(cs)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// NewDriver builds the CommitDriver of s for writer w (created by s).
func NewDriver[T, C any](s TwoPhaseCommittingSink[T, C], w Writer[T]) (CommitDriver, error) {
	cw, ok := w.(CommittingWriter[T, C])
	if !ok {
		return nil, fmt.Errorf("sink: writer %T does not pre-commit %T values", w, *new(C))
	}
	c, err := s.CreateCommitter()
	if err != nil {
		return nil, err
	}
	return &driver[T, C]{s: s, w: cw, c: c}, nil
}

type driver[T, C any] struct {
	s TwoPhaseCommittingSink[T, C]
	w CommittingWriter[T, C]
	c Committer[C]
}

func (d *driver[T, C]) PrepareAndCommit() error {
	cs, err := d.w.PrepareCommit()
	if err != nil || len(cs) == 0 {
		return err
	}
	return d.c.Commit(cs)
}

func (d *driver[T, C]) Prepare() ([][]byte, error) {
	cs, err := d.w.PrepareCommit()
	if err != nil {
		return nil, err
	}
	enc := d.s.CommittableCodec()
	out := make([][]byte, len(cs))
	for i, c := range cs {
		if out[i], err = enc.Encode(c); err != nil {
			return nil, fmt.Errorf("sink: encode committable: %w", err)
		}
	}
	return out, nil
}

func (d *driver[T, C]) Commit(encoded [][]byte) error {
	cs, err := DecodeCommittables(d.s, encoded)
	if err != nil || len(cs) == 0 {
		return err
	}
	return d.c.Commit(cs)
}

func (d *driver[T, C]) Close() error { return d.c.Close() }

// DecodeCommittables decodes committables s's driver encoded.
func DecodeCommittables[T, C any](s TwoPhaseCommittingSink[T, C], encoded [][]byte) ([]C, error) {
	dec := s.CommittableCodec()
	cs := make([]C, len(encoded))
	for i, b := range encoded {
		c, err := dec.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("sink: decode committable %d of %d from the checkpoint: %w", i+1, len(encoded), err)
		}
		cs[i] = c
	}
	return cs, nil
}
