package filesource

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/weirstream/weir/source"
)

// enumerator hands splits to readers as they ask, ignoring locality. With
// a discovery interval it lists the input paths again periodically and
// never signals the end; without one its split list is final.
type enumerator struct {
	ctx       source.SplitEnumeratorContext[FileSplit]
	paths     []string
	blockSize int64
	interval  time.Duration // 0: bounded

	// remaining are the unassigned splits, handed out first to last.
	remaining []FileSplit
	// seen are the files already turned into splits.
	seen map[string]bool
	// waiting are subtasks whose request found no split while discovery
	// may still find one, in request order.
	waiting []int
}

func newEnumerator(ctx source.SplitEnumeratorContext[FileSplit], paths []string, blockSize int64, interval time.Duration) *enumerator {
	return &enumerator{ctx: ctx, paths: paths, blockSize: blockSize, interval: interval, seen: map[string]bool{}}
}

// addFiles turns the files not seen before into splits.
func (e *enumerator) addFiles(files []fileEntry) {
	for _, f := range files {
		if e.seen[f.path] {
			continue
		}
		e.seen[f.path] = true
		e.remaining = append(e.remaining, splitsOf(f, e.blockSize)...)
	}
}

// Start implements source.SplitEnumerator: in continuous mode it schedules
// discovery; the file system is listed off the coordinator goroutine.
func (e *enumerator) Start() error {
	if e.interval <= 0 {
		return nil
	}
	paths := e.paths
	e.ctx.CallAsync(
		func() (any, error) { return listFiles(paths) },
		func(v any, err error) error {
			if err != nil {
				return fmt.Errorf("filesource: discover new files: %w", err)
			}
			e.addFiles(v.([]fileEntry))
			e.serveWaiting()
			return nil
		},
		e.interval, e.interval)
	return nil
}

// serveWaiting gives new splits to subtasks that asked in vain before.
func (e *enumerator) serveWaiting() {
	registered := e.ctx.RegisteredReaders()
	for len(e.waiting) > 0 && len(e.remaining) > 0 {
		subtask := e.waiting[0]
		e.waiting = e.waiting[1:]
		if _, ok := registered[subtask]; ok {
			e.assignNext(subtask)
		}
	}
}

// HandleSplitRequest implements source.SplitEnumerator.
func (e *enumerator) HandleSplitRequest(subtask int, _ string) {
	switch {
	case len(e.remaining) > 0:
		e.assignNext(subtask)
	case e.interval > 0:
		if !slices.Contains(e.waiting, subtask) {
			e.waiting = append(e.waiting, subtask)
		}
	default:
		// An error means the reader is gone; its successor asks again.
		_ = e.ctx.SignalNoMoreSplits(subtask)
	}
}

func (e *enumerator) assignNext(subtask int) {
	sp := e.remaining[0]
	e.remaining = e.remaining[1:]
	if err := e.ctx.AssignSplit(sp, subtask); err != nil {
		// The reader went away between its request and the answer: keep
		// the split for whoever asks next.
		e.remaining = slices.Insert(e.remaining, 0, sp)
	}
}

// AddSplitsBack implements source.SplitEnumerator: the splits of a failed
// reader, with their progress at the last checkpoint, are handed out again
// before any other.
func (e *enumerator) AddSplitsBack(splits []FileSplit, _ int) {
	e.remaining = slices.Insert(e.remaining, 0, splits...)
	e.serveWaiting()
}

// AddReader implements source.SplitEnumerator; readers ask for splits
// themselves when idle.
func (e *enumerator) AddReader(int) {}

// SnapshotState implements source.SplitEnumerator.
func (e *enumerator) SnapshotState(int64) (EnumeratorState, error) {
	seen := make([]string, 0, len(e.seen))
	for p := range e.seen {
		seen = append(seen, p)
	}
	sort.Strings(seen)
	return EnumeratorState{Remaining: slices.Clone(e.remaining), SeenPaths: seen}, nil
}

// NotifyCheckpointComplete implements source.SplitEnumerator.
func (e *enumerator) NotifyCheckpointComplete(int64) error { return nil }

// HandleSourceEvent implements source.SplitEnumerator; file readers send
// no events.
func (e *enumerator) HandleSourceEvent(int, source.SourceEvent) {}

// Close implements source.SplitEnumerator; discovery stops with the
// coordinator that runs it.
func (e *enumerator) Close() error { return nil }
