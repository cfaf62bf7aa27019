package sink

import "fmt"

// CommitDriver runs the commit side of a two-phase sink for the runtime,
// which does not know the committable type.
type CommitDriver interface {
	// PrepareAndCommit pre-commits what the writer has finished and commits
	// it (used at end of input and when checkpointing is off).
	PrepareAndCommit() error
	Close() error
}

// Committing is implemented by two-phase-commit sinks so the runtime can
// find their committer; implement it as
//
//	func (s *MySink[T]) NewCommitDriver(w sink.Writer[T]) (sink.CommitDriver, error) {
//		return sink.NewDriver[T, MyCommittable](s, w)
//	}
type Committing[T any] interface {
	NewCommitDriver(w Writer[T]) (CommitDriver, error)
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
	return &driver[T, C]{w: cw, c: c}, nil
}

type driver[T, C any] struct {
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

func (d *driver[T, C]) Close() error { return d.c.Close() }
