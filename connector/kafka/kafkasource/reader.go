package kafkasource

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/internal/stopctx"
	"github.com/weirstream/weir/source"
)

const (
	// queueCapacity is how many fetched batches wait for the subtask:
	// enough to overlap fetching and emitting.
	queueCapacity = 2
	// maxPollRecords bounds one fetched batch.
	maxPollRecords = 4096
	// skipLogEvery rate-limits the log line about skipped bad records.
	skipLogEvery = 10 * time.Second
	// commitTimeout bounds one offset commit.
	commitTimeout = 30 * time.Second
	// defaultFetchMaxWait is how long a fetch waits for data unless
	// fetch.max.wait.ms says otherwise.
	defaultFetchMaxWait = 500 * time.Millisecond
	// closeGrace is how long a closing reader waits for its last commit.
	closeGrace = 5 * time.Second
)

// fetched is a record and what the deserializer made of it; the fetcher
// deserializes, so the subtask goroutine only emits.
type fetched[T any] struct {
	rec *kgo.Record
	v   T
	err error
}

// registry maps split IDs to the reader's split states, so the fetcher can
// record partition ends in the state the emitter advances. It also
// remembers which partitions the reader's client has paused after their
// splits finished; it outlives the split readers, which the fetcher
// manager replaces when they idle.
type registry struct {
	mu     sync.Mutex
	states map[string]*splitState
	paused map[TopicPartition]bool
}

func newRegistry() *registry {
	return &registry{states: map[string]*splitState{}, paused: map[TopicPartition]bool{}}
}

func (r *registry) markPaused(tp TopicPartition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused[tp] = true
}

// unpause reports whether tp was paused, and forgets it.
func (r *registry) unpause(tp TopicPartition) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.paused[tp]
	delete(r.paused, tp)
	return was
}

func (r *registry) put(id string, st *splitState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states[id] = st
}

func (r *registry) get(id string) *splitState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.states[id]
}

func (r *registry) remove(id string) *splitState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.states[id]
	delete(r.states, id)
	return st
}

func (r *registry) all() []*splitState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*splitState, 0, len(r.states))
	for _, st := range r.states {
		out = append(out, st)
	}
	return out
}

// reader is the source reader: a SourceReaderBase with one fetcher whose
// split reader multiplexes all the reader's partitions over one client,
// plus offset commits on completed checkpoints.
type reader[T any] struct {
	*source.SourceReaderBase[fetched[T], T, Split, *splitState]
	cl      *kgo.Client
	reg     *registry
	metrics *Metrics

	// commit is nil without a group or with commits off.
	commit *committer
	// toCommit holds the offsets of each snapshot not yet known complete.
	toCommit map[int64]map[TopicPartition]int64
	// finished holds the final offsets of splits that ended, committed
	// with the next completed checkpoint.
	finished map[TopicPartition]int64
}

// CreateReader implements source.Source: it creates the reader's Kafka
// client (which connects lazily) and the reader around it.
func (s *Source[T]) CreateReader(ctx source.ReaderContext) (source.SourceReader[T, Split], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	opts, err := s.clientOpts(strconv.Itoa(ctx.SubtaskIndex()))
	if err != nil {
		return nil, err
	}
	probeOpts, err := s.clientOpts(strconv.Itoa(ctx.SubtaskIndex()) + "-probe")
	if err != nil {
		return nil, err
	}
	iso := kgo.ReadUncommitted()
	if s.readCommitted {
		iso = kgo.ReadCommitted()
	}
	opts = append(opts,
		kgo.FetchIsolationLevel(iso),
		// Transaction markers take offsets too; seeing them lets a
		// bounded split tell that it reached its stop (see splitReader).
		kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(s.outOfRange),
		// Partitions are added while the client runs; the default floor
		// of 5s between metadata refreshes would delay reading them.
		kgo.MetadataMinAge(250*time.Millisecond),
	)
	if _, ok := s.clientProps["fetch.max.wait.ms"]; !ok {
		// The Java consumer's default rather than franz-go's 5s: a broker
		// serves one fetch of a client at a time, so partitions assigned
		// while a fetch waits for data are first fetched after it.
		opts = append(opts, kgo.FetchMaxWait(defaultFetchMaxWait))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkasource: create the Kafka client: %w", err)
	}
	r := &reader[T]{
		cl:       cl,
		reg:      newRegistry(),
		metrics:  s.metrics,
		toCommit: map[int64]map[TopicPartition]int64{},
		finished: map[TopicPartition]int64{},
	}
	decode := decoder(s.deser)
	readCommitted, probeAfter := s.readCommitted, s.probeAfter
	mgr := source.NewSingleThreadFetcherManager(func() source.SplitReader[fetched[T], Split] {
		return newSplitReader(cl, probeOpts, decode, readCommitted, probeAfter, r.reg)
	}, queueCapacity)
	em := &emitter[T]{policy: s.bad, tag: s.badTag, metrics: s.metrics, log: slog.Default()}
	r.SourceReaderBase = source.NewSourceReaderBase(mgr, source.RecordEmitter[fetched[T], T, *splitState](em),
		r.initSplitState, toSplit, r.onSplitFinished, ctx)
	if s.group != "" && s.commitOnCheckpoint {
		r.commit = newCommitter(kadm.NewClient(cl), s.group, s.metrics)
	}
	return r, nil
}

func (r *reader[T]) initSplitState(s Split) *splitState {
	st := newSplitState(s)
	r.reg.put(s.SplitID(), st)
	r.metrics.add(st)
	return st
}

func toSplit(_ string, st *splitState) Split {
	s := st.split
	s.StartingOffset = st.next.Load()
	return s
}

// onSplitFinished forgets ended splits and keeps their final offsets for
// the next commit: the stop, or where they started if that was later.
func (r *reader[T]) onSplitFinished(done map[string]*splitState) error {
	for id, st := range done {
		r.reg.remove(id)
		r.metrics.remove(st)
		r.finished[st.split.TopicPartition] = max(st.next.Load(), st.split.StoppingOffset)
	}
	return nil
}

// SnapshotState implements source.SourceReader; with commits on it also
// remembers the snapshot's offsets for NotifyCheckpointComplete.
func (r *reader[T]) SnapshotState(checkpointID int64) ([]Split, error) {
	splits, err := r.SourceReaderBase.SnapshotState(checkpointID)
	if err != nil || r.commit == nil {
		return splits, err
	}
	offs := maps.Clone(r.finished)
	if offs == nil {
		offs = map[TopicPartition]int64{}
	}
	for _, s := range splits {
		offs[s.TopicPartition] = s.StartingOffset
	}
	r.toCommit[checkpointID] = offs
	return splits, nil
}

// NotifyCheckpointComplete implements source.SourceReader: it hands the
// completed checkpoint's offsets to the committer, which commits them in
// the background (offsets in Kafka are for monitoring; the checkpoint is
// what a restore reads).
func (r *reader[T]) NotifyCheckpointComplete(checkpointID int64) error {
	if r.commit == nil {
		return nil
	}
	offs, ok := r.toCommit[checkpointID]
	for id := range r.toCommit {
		if id <= checkpointID {
			delete(r.toCommit, id)
		}
	}
	if !ok || len(offs) == 0 {
		return nil
	}
	for tp, off := range offs {
		// A split that finished after this checkpoint's snapshot keeps its
		// final offset for the next commit.
		if fin, ok := r.finished[tp]; ok && off >= fin {
			delete(r.finished, tp)
		}
	}
	r.commit.submit(offs)
	return nil
}

// Close implements source.SourceReader: fetchers first (they use the
// client), then the committer, then the client.
func (r *reader[T]) Close() error {
	err := r.SourceReaderBase.Close()
	if r.commit != nil {
		r.commit.close()
	}
	for _, st := range r.reg.all() {
		r.metrics.remove(st)
	}
	r.cl.Close()
	return err
}

// emitter emits deserialized records with their Kafka timestamps and
// applies the bad-record policy; it runs on the subtask goroutine.
type emitter[T any] struct {
	policy  badRecordPolicy
	tag     string
	metrics *Metrics
	log     *slog.Logger

	// Skipped records are logged at most every skipLogEvery.
	lastLog    time.Time
	unreported int64
}

func (e *emitter[T]) Emit(f fetched[T], out source.SourceOutput[T], st *splitState) error {
	ts := f.rec.Timestamp.UnixMilli()
	if f.err == nil {
		out.CollectWithTimestamp(f.v, ts)
	} else if err := e.bad(f, out, ts); err != nil {
		return err
	}
	st.next.Store(f.rec.Offset + 1)
	return nil
}

func (e *emitter[T]) bad(f fetched[T], out source.SourceOutput[T], ts int64) error {
	switch e.policy {
	case badSkip:
		e.metrics.skipped.Add(1)
		e.unreported++
		if now := time.Now(); now.Sub(e.lastLog) >= skipLogEvery {
			e.log.Warn("kafkasource: skipped records the deserializer rejected",
				"count", e.unreported, "topic", f.rec.Topic, "partition", f.rec.Partition, "offset", f.rec.Offset, "error", f.err)
			e.lastLog, e.unreported = now, 0
		}
		return nil
	case badSideOutput:
		e.metrics.sideOutput.Add(1)
		out.CollectSide(e.tag, newBadRecord(f.rec, f.err), ts)
		return nil
	}
	return fmt.Errorf("kafkasource: cannot deserialize the record at offset %d of topic %q partition %d: %w; drop such records with SkipBadRecords or route them with SideOutputBadRecords",
		f.rec.Offset, f.rec.Topic, f.rec.Partition, f.err)
}

// committer commits offsets to the consumer group on its own goroutine, so
// the subtask never waits for Kafka. Offsets waiting for a commit are
// merged per partition, the newest winning, so a busy committer skips
// intermediate offsets but never a partition.
type committer struct {
	adm     *kadm.Client
	group   string
	metrics *Metrics
	log     *slog.Logger

	// ctx is cancelled to cut a commit short when closing takes too long.
	ctx     *stopctx.Context
	wake    chan struct{}
	closing chan struct{}
	wg      sync.WaitGroup

	// mu guards next, the offsets waiting to be committed.
	mu   sync.Mutex
	next map[TopicPartition]int64
}

func newCommitter(adm *kadm.Client, group string, m *Metrics) *committer {
	c := &committer{
		adm: adm, group: group, metrics: m, log: slog.Default(),
		ctx: stopctx.New(), wake: make(chan struct{}, 1), closing: make(chan struct{}),
	}
	c.wg.Add(1)
	go c.run()
	return c
}

// submit queues offs for the next commit. Offsets still waiting are
// merged, newer ones winning per partition, not replaced: a finished
// split's final offset is submitted only once, and a later checkpoint's
// offsets do not hold it.
func (c *committer) submit(offs map[TopicPartition]int64) {
	c.mu.Lock()
	c.merge(offs, true)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// merge adds offs to the waiting offsets; with override false it keeps
// a waiting offset of the same partition (a newer one). c.mu is held.
func (c *committer) merge(offs map[TopicPartition]int64, override bool) {
	if c.next == nil {
		c.next = make(map[TopicPartition]int64, len(offs))
	}
	for tp, off := range offs {
		if _, newer := c.next[tp]; override || !newer {
			c.next[tp] = off
		}
	}
}

func (c *committer) run() {
	defer c.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-c.closing:
			// The last checkpoint of a finishing job completes right
			// before the reader closes: commit what it submitted.
			c.commitPending()
			return
		}
		c.commitPending()
	}
}

func (c *committer) commitPending() {
	c.mu.Lock()
	offs := c.next
	c.next = nil
	c.mu.Unlock()
	if len(offs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, commitTimeout)
	defer cancel()
	os := make(kadm.Offsets)
	for tp, off := range offs {
		os.AddOffset(tp.Topic, tp.Partition, off, -1)
	}
	resps, err := c.adm.CommitOffsets(ctx, c.group, os)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		if c.ctx.Err() != nil {
			return // cut short by close
		}
		c.metrics.commitFailures.Add(1)
		c.log.Warn("kafkasource: committing offsets to the consumer group failed; the next checkpoint commits again",
			"group", c.group, "error", err)
		c.mu.Lock()
		c.merge(offs, false)
		c.mu.Unlock()
		return
	}
	c.metrics.commits.Add(1)
}

// close commits what is pending, giving it closeGrace, and waits for the
// committer goroutine.
func (c *committer) close() {
	close(c.closing)
	cut := time.AfterFunc(closeGrace, c.ctx.Stop)
	c.wg.Wait()
	cut.Stop()
	c.ctx.Stop()
}
