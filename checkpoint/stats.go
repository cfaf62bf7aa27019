package checkpoint

import (
	"slices"
	"time"
)

// Stats are the checkpoint statistics of a job in the shape of Flink's
// GET /jobs/:jobid/checkpoints (the fields weir has), so the REST API can
// serve them as they are. Timestamps are milliseconds since the epoch,
// durations milliseconds, sizes bytes.
type Stats struct {
	Counts  Counts            `json:"counts"`
	Summary Summary           `json:"summary"`
	Latest  LatestStats       `json:"latest"`
	History []CheckpointStats `json:"history"` // newest first, bounded
}

// Counts counts checkpoints and savepoints by outcome.
type Counts struct {
	Restored   int64 `json:"restored"`
	Total      int64 `json:"total"`
	InProgress int64 `json:"in_progress"`
	Completed  int64 `json:"completed"`
	Failed     int64 `json:"failed"`
}

// Summary aggregates the completed checkpoints and savepoints.
type Summary struct {
	StateSize        MinMaxAvg `json:"state_size"`
	EndToEndDuration MinMaxAvg `json:"end_to_end_duration"`
}

// MinMaxAvg summarizes a quantity.
type MinMaxAvg struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
	Avg int64 `json:"avg"`
}

// LatestStats are the newest checkpoint of each outcome.
type LatestStats struct {
	Completed *CheckpointStats `json:"completed"`
	Savepoint *CheckpointStats `json:"savepoint"`
	Failed    *CheckpointStats `json:"failed"`
	Restored  *RestoredStats   `json:"restored"`
}

// Checkpoint statuses, as Flink names them.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
	StatusFailed     = "FAILED"
)

// CheckpointStats describes one checkpoint or savepoint.
type CheckpointStats struct {
	ID          int64  `json:"id"`
	Status      string `json:"status"`
	IsSavepoint bool   `json:"is_savepoint"`
	// CheckpointType is CHECKPOINT, UNALIGNED_CHECKPOINT, SAVEPOINT or
	// SYNC_SAVEPOINT (stop-with-savepoint).
	CheckpointType     string `json:"checkpoint_type"`
	TriggerTimestamp   int64  `json:"trigger_timestamp"`
	LatestAckTimestamp int64  `json:"latest_ack_timestamp"`
	StateSize          int64  `json:"state_size"`
	EndToEndDuration   int64  `json:"end_to_end_duration"`
	NumSubtasks        int    `json:"num_subtasks"`
	NumAcknowledged    int    `json:"num_acknowledged_subtasks"`
	ExternalPath       string `json:"external_path,omitempty"`
	Discarded          bool   `json:"discarded"`
	FailureTimestamp   int64  `json:"failure_timestamp,omitempty"`
	FailureMessage     string `json:"failure_message,omitempty"`
}

// RestoredStats describes the snapshot the job last started from.
type RestoredStats struct {
	ID               int64  `json:"id"`
	RestoreTimestamp int64  `json:"restore_timestamp"`
	IsSavepoint      bool   `json:"is_savepoint"`
	ExternalPath     string `json:"external_path"`
}

// stats accumulates Stats inside the coordinator.
type stats struct {
	size                                           int
	counts                                         Counts
	history                                        []*CheckpointStats // newest first; in-progress entries are live
	latestCompleted, latestSavepoint, latestFailed *CheckpointStats
	restoredStats                                  *RestoredStats
	sizeSum, durSum                                int64
	sizeMin, sizeMax, durMin, durMax               int64
}

func checkpointType(p *pending) string {
	switch {
	case p.kind == KindSavepoint && p.stop:
		return "SYNC_SAVEPOINT"
	case p.kind == KindSavepoint:
		return "SAVEPOINT"
	case p.barrier.Unaligned:
		return "UNALIGNED_CHECKPOINT"
	}
	return "CHECKPOINT"
}

func (s *stats) triggered(p *pending, subtasks int) *CheckpointStats {
	cs := &CheckpointStats{
		ID: p.id, Status: StatusInProgress, IsSavepoint: p.kind == KindSavepoint,
		CheckpointType: checkpointType(p), TriggerTimestamp: p.triggered.UnixMilli(), NumSubtasks: subtasks,
	}
	s.counts.Total++
	s.counts.InProgress++
	s.history = append([]*CheckpointStats{cs}, s.history...)
	if len(s.history) > s.size {
		s.history = s.history[:s.size]
	}
	return cs
}

func (s *stats) completed(p *pending, now time.Time) {
	cs := p.stats
	cs.Status = StatusCompleted
	cs.ExternalPath = p.dir
	cs.EndToEndDuration = now.Sub(p.triggered).Milliseconds()
	s.counts.InProgress--
	s.counts.Completed++
	if s.counts.Completed == 1 {
		s.sizeMin, s.sizeMax, s.durMin, s.durMax = cs.StateSize, cs.StateSize, cs.EndToEndDuration, cs.EndToEndDuration
	}
	s.sizeMin, s.sizeMax = min(s.sizeMin, cs.StateSize), max(s.sizeMax, cs.StateSize)
	s.durMin, s.durMax = min(s.durMin, cs.EndToEndDuration), max(s.durMax, cs.EndToEndDuration)
	s.sizeSum += cs.StateSize
	s.durSum += cs.EndToEndDuration
	if p.kind == KindSavepoint {
		s.latestSavepoint = cs
	} else {
		s.latestCompleted = cs
	}
}

func (s *stats) failed(p *pending, now time.Time, reason error) {
	cs := p.stats
	cs.Status = StatusFailed
	cs.FailureTimestamp = now.UnixMilli()
	cs.FailureMessage = reason.Error()
	cs.EndToEndDuration = now.Sub(p.triggered).Milliseconds()
	s.counts.InProgress--
	s.counts.Failed++
	s.latestFailed = cs
}

// discarded marks a completed checkpoint whose files were deleted.
func (s *stats) discarded(id int64) {
	for _, cs := range s.history {
		if cs.ID == id {
			cs.Discarded = true
		}
	}
	if s.latestCompleted != nil && s.latestCompleted.ID == id {
		s.latestCompleted.Discarded = true
	}
}

func (s *stats) restored(r *Restored) {
	s.counts.Restored++
	s.restoredStats = &RestoredStats{ID: r.ID, RestoreTimestamp: r.At.UnixMilli(), IsSavepoint: r.IsSavepoint, ExternalPath: r.Path}
}

// Stats returns a copy of the statistics.
func (c *Coordinator) Stats() Stats {
	s := &c.stats
	out := Stats{Counts: s.counts, History: make([]CheckpointStats, 0, len(s.history))}
	if n := s.counts.Completed; n > 0 {
		out.Summary = Summary{
			StateSize:        MinMaxAvg{Min: s.sizeMin, Max: s.sizeMax, Avg: s.sizeSum / n},
			EndToEndDuration: MinMaxAvg{Min: s.durMin, Max: s.durMax, Avg: s.durSum / n},
		}
	}
	for _, cs := range s.history {
		out.History = append(out.History, *cs)
	}
	cp := func(cs *CheckpointStats) *CheckpointStats {
		if cs == nil {
			return nil
		}
		v := *cs
		return &v
	}
	out.Latest = LatestStats{Completed: cp(s.latestCompleted), Savepoint: cp(s.latestSavepoint), Failed: cp(s.latestFailed)}
	if s.restoredStats != nil {
		r := *s.restoredStats
		out.Latest.Restored = &r
	}
	return out
}

// Checkpoint finds checkpoint id in the history.
func (s Stats) Checkpoint(id int64) (CheckpointStats, bool) {
	i := slices.IndexFunc(s.History, func(cs CheckpointStats) bool { return cs.ID == id })
	if i < 0 {
		return CheckpointStats{}, false
	}
	return s.History[i], true
}
