package kafkasource

import (
	"sync"
	"sync/atomic"
)

// Metrics are a source's counters and the lag of the partitions its
// readers in this process hold. weir has no metric registry yet, so a job
// reads them from Source.Metrics (e.g. to export them); all methods are
// safe for concurrent use.
type Metrics struct {
	skipped        atomic.Int64
	sideOutput     atomic.Int64
	commits        atomic.Int64
	commitFailures atomic.Int64

	// mu guards splits.
	mu     sync.Mutex
	splits map[*splitState]struct{}
}

func newMetrics() *Metrics { return &Metrics{splits: map[*splitState]struct{}{}} }

// splitState is a reader's mutable state of one split: the offset after
// the last emitted record (written by the subtask goroutine) and the
// partition's end as the last fetch saw it (written by the fetcher).
type splitState struct {
	split Split
	next  atomic.Int64
	// end is the high watermark, or the last stable offset under
	// read_committed; -1 until the first fetch.
	end atomic.Int64
}

func newSplitState(s Split) *splitState {
	st := &splitState{split: s}
	st.next.Store(s.StartingOffset)
	st.end.Store(-1)
	return st
}

func (m *Metrics) add(st *splitState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.splits[st] = struct{}{}
}

func (m *Metrics) remove(st *splitState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.splits, st)
}

// Lag returns, for every partition a reader of this process holds and has
// fetched from, how many offsets lie between the next record to emit and
// the partition's end (the last stable offset under read_committed, so
// aborted records and transaction markers count too). It is as fresh as
// the last fetch of the partition.
func (m *Metrics) Lag() map[TopicPartition]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[TopicPartition]int64, len(m.splits))
	for st := range m.splits {
		end := st.end.Load()
		if end < 0 {
			continue
		}
		out[st.split.TopicPartition] = max(end-st.next.Load(), 0)
	}
	return out
}

// SkippedRecords counts records dropped by SkipBadRecords.
func (m *Metrics) SkippedRecords() int64 { return m.skipped.Load() }

// SideOutputRecords counts records sent to the side output by
// SideOutputBadRecords.
func (m *Metrics) SideOutputRecords() int64 { return m.sideOutput.Load() }

// Commits counts successful offset commits to the consumer group.
func (m *Metrics) Commits() int64 { return m.commits.Load() }

// CommitFailures counts offset commits that failed (they are logged; the
// next checkpoint commits again).
func (m *Metrics) CommitFailures() int64 { return m.commitFailures.Load() }
