package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirstream/weir/source"
)

// partState is the fetcher's view of one assigned split.
type partState struct {
	id   string
	tp   TopicPartition
	stop int64 // NoStoppingOffset or the exclusive end
	// pos is the offset after the last offset the fetcher has passed,
	// transaction markers included: the consumer's position as far as
	// this reader can see it.
	pos    int64
	shared *splitState // nil if the reader forgot the split already

	lastProgress, lastProbe time.Time
}

func (p *partState) bounded() bool { return p.stop != NoStoppingOffset }

// splitReader reads all of a reader's partitions over one client with
// direct partition assignment (no consumer group), on the fetcher
// goroutine.
//
// A bounded split ends once the position reaches its stopping offset. The
// position cannot be read off the records alone: under read_committed,
// records of aborted transactions are never returned, and transaction
// markers take offsets of their own, so the record at stop-1 may never be
// seen. The client keeps control records, so markers move the position;
// when a bounded split has made no progress for probeAfter, the reader
// fetches its partition once more itself and lets the client's parser say
// how far the invisible offsets reach.
// probeTimeout bounds one probe of a stuck bounded split; a probe that
// times out is retried after probeAfter.
const probeTimeout = 5 * time.Second

type splitReader[T any] struct {
	cl            *kgo.Client
	decode        func(*kgo.Record) (T, error)
	readCommitted bool
	probeAfter    time.Duration
	reg           *registry
	// probeOpts make the client of probe fetches, created on the first
	// probe: a fetch on the consumer's client would queue behind its long
	// poll on the broker's fetch connection.
	probeOpts []kgo.Opt
	probeCl   *kgo.Client

	parts    map[string]map[int32]*partState
	nparts   int
	nbounded int
	// done are splits that ended without a fetch (empty ranges).
	done []string
	// now is the clock; tests replace it.
	now func() time.Time
}

func newSplitReader[T any](cl *kgo.Client, probeOpts []kgo.Opt, decode func(*kgo.Record) (T, error), readCommitted bool, probeAfter time.Duration, reg *registry) *splitReader[T] {
	return &splitReader[T]{
		cl: cl, probeOpts: probeOpts, decode: decode, readCommitted: readCommitted, probeAfter: probeAfter, reg: reg,
		parts: map[string]map[int32]*partState{},
		now:   time.Now,
	}
}

func (r *splitReader[T]) lookup(topic string, p int32) *partState {
	return r.parts[topic][p]
}

// HandleSplitsChanges implements source.SplitReader: partitions start
// being fetched at their starting offsets.
func (r *splitReader[T]) HandleSplitsChanges(added []Split) {
	add := map[string]map[int32]kgo.Offset{}
	reset := map[string][]int32{}
	now := r.now()
	for _, s := range added {
		id := s.SplitID()
		if s.IsBounded() && s.StartingOffset >= s.StoppingOffset {
			r.done = append(r.done, id)
			continue
		}
		if r.lookup(s.Topic, s.Partition) != nil {
			continue
		}
		st := &partState{id: id, tp: s.TopicPartition, stop: s.StoppingOffset, pos: s.StartingOffset,
			shared: r.reg.get(id), lastProgress: now, lastProbe: now}
		if r.parts[s.Topic] == nil {
			r.parts[s.Topic] = map[int32]*partState{}
		}
		r.parts[s.Topic][s.Partition] = st
		r.nparts++
		if st.bounded() {
			r.nbounded++
		}
		if r.reg.unpause(s.TopicPartition) {
			// The client read this partition before and paused it: forget
			// its position, so it starts at the split's offset.
			reset[s.Topic] = append(reset[s.Topic], s.Partition)
		}
		if add[s.Topic] == nil {
			add[s.Topic] = map[int32]kgo.Offset{}
		}
		add[s.Topic][s.Partition] = kgo.NewOffset().At(s.StartingOffset)
	}
	if len(reset) > 0 {
		r.cl.RemoveConsumePartitions(reset)
		r.cl.ResumeFetchPartitions(reset)
	}
	if len(add) > 0 {
		r.cl.AddConsumePartitions(add)
	}
}

// finish ends a split: it stops fetching the partition and reports the
// split finished after the batch's records. The partition is paused, not
// removed: removing partitions from a franz-go client drops the data it
// buffered for all partitions, which it then fetches again.
func (r *splitReader[T]) finish(st *partState, b *fetchBatch[T]) {
	b.finished = append(b.finished, st.id)
	delete(r.parts[st.tp.Topic], st.tp.Partition)
	if len(r.parts[st.tp.Topic]) == 0 {
		delete(r.parts, st.tp.Topic)
	}
	r.nparts--
	if st.bounded() {
		r.nbounded--
	}
	r.cl.PauseFetchPartitions(map[string][]int32{st.tp.Topic: {st.tp.Partition}})
	r.reg.markPaused(st.tp)
}

// Fetch implements source.SplitReader: it returns the buffered records of
// all partitions, deserialized, and the bounded splits that reached their
// stop.
func (r *splitReader[T]) Fetch(ctx context.Context) (source.RecordsWithSplitIDs[fetched[T]], error) {
	b := &fetchBatch[T]{}
	if len(r.done) > 0 {
		b.finished, r.done = r.done, nil
		return b, nil
	}
	if r.nparts == 0 {
		return nil, nil
	}
	pollCtx := ctx
	if r.nbounded > 0 {
		// Come back now and then to check bounded splits that are stuck
		// before invisible offsets.
		var cancel context.CancelFunc
		pollCtx, cancel = context.WithTimeout(ctx, r.probeAfter)
		defer cancel()
	}
	fetches := r.cl.PollRecords(pollCtx, maxPollRecords)
	if err := r.fetchError(fetches); err != nil {
		return nil, err
	}
	now := r.now()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Err != nil {
			return
		}
		st := r.lookup(p.Topic, p.Partition)
		if st == nil {
			return // removed while the fetch was buffered
		}
		r.take(st, p.FetchPartition, b, now)
	})
	if r.nbounded > 0 && ctx.Err() == nil {
		if err := r.probeStuck(ctx, b, now); err != nil {
			return nil, err
		}
	}
	if len(b.ids) == 0 && len(b.finished) == 0 {
		return nil, nil
	}
	return b, nil
}

// fetchError turns partition errors into the reader's failure. Cancelled
// polls are no error: the fetcher woke the reader up.
func (r *splitReader[T]) fetchError(fetches kgo.Fetches) error {
	var first error
	fetches.EachError(func(topic string, p int32, err error) {
		if first != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if topic != "" && r.lookup(topic, p) == nil {
			return
		}
		var loss *kgo.ErrDataLoss
		if errors.As(err, &loss) {
			// The client already resumed where ConsumeResetOffset says;
			// what was lost is gone either way, but never silently.
			slog.Error("kafkasource: records were lost in Kafka (deleted by retention before they were read, or a "+
				"truncated log after an unclean leader election); reading goes on where auto.offset.reset says",
				"topic", loss.Topic, "partition", loss.Partition, "consumed_to", loss.ConsumedTo, "reset_to", loss.ResetTo)
			return
		}
		switch {
		case errors.Is(err, kerr.OffsetOutOfRange):
			first = fmt.Errorf("kafkasource: topic %q partition %d: the offset to read is out of range and auto.offset.reset is none: %w", topic, p, err)
		case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
			first = fmt.Errorf("kafkasource: topic %q partition %d no longer exists (was the topic deleted?): %w", topic, p, err)
		default:
			first = fmt.Errorf("kafkasource: fetch topic %q partition %d: %w", topic, p, err)
		}
	})
	return first
}

// take adds a fetched partition's data records below the split's stop to
// the batch, moves the position past every record seen (markers too) and
// ends the split when the position reached the stop.
func (r *splitReader[T]) take(st *partState, p kgo.FetchPartition, b *fetchBatch[T], now time.Time) {
	if st.shared != nil {
		end := p.HighWatermark
		if r.readCommitted {
			end = p.LastStableOffset
		}
		st.shared.end.Store(end)
	}
	var out []fetched[T]
	before := st.pos
	for _, rec := range p.Records {
		if rec.Offset < st.pos {
			continue
		}
		st.pos = rec.Offset + 1
		if st.bounded() && rec.Offset >= st.stop {
			break
		}
		if rec.Attrs.IsControl() {
			continue
		}
		if out == nil {
			out = make([]fetched[T], 0, len(p.Records))
		}
		v, err := safeDecode(r.decode, rec)
		out = append(out, fetched[T]{rec: rec, v: v, err: err})
	}
	if len(out) > 0 {
		b.add(st.id, out)
	}
	if st.pos != before {
		st.lastProgress = now
	}
	if st.bounded() && st.pos >= st.stop {
		r.finish(st, b)
	}
}

// probeStuck probes the bounded splits that made no progress for
// probeAfter (once per probeAfter each) and ends those whose remaining
// offsets before the stop are all invisible.
func (r *splitReader[T]) probeStuck(ctx context.Context, b *fetchBatch[T], now time.Time) error {
	var stuck []*partState
	for _, ps := range r.parts {
		for _, st := range ps {
			if st.bounded() && now.Sub(st.lastProgress) >= r.probeAfter && now.Sub(st.lastProbe) >= r.probeAfter {
				stuck = append(stuck, st)
			}
		}
	}
	for _, st := range stuck {
		st.lastProbe = now
		// The probe runs on the fetcher goroutine: an unreachable leader
		// must not hold up polling the reader's other partitions for long.
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		next, err := r.probe(pctx, st)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, context.DeadlineExceeded) {
				continue // no answer in time: probed again later
			}
			return err
		}
		if next >= st.stop {
			st.pos = next
			r.finish(st, b)
		}
	}
	return nil
}

// probe fetches st's partition from its position with the reader's
// isolation level and returns how far the position would move if the
// fetch held no visible record below the stop; with a visible record
// there, the consumer will deliver it, and probe returns the position
// unchanged.
func (r *splitReader[T]) probe(ctx context.Context, st *partState) (int64, error) {
	if r.probeCl == nil {
		cl, err := kgo.NewClient(r.probeOpts...)
		if err != nil {
			return st.pos, fmt.Errorf("kafkasource: create the client for probe fetches: %w", err)
		}
		r.probeCl = cl
	}
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(st.tp.Topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, r.probeCl)
	if err != nil {
		return st.pos, nil // brokers unreachable: the consumer's own retries will say more
	}
	leader, topicID := int32(-1), [16]byte{}
	for _, t := range mresp.Topics {
		if t.Topic == nil || *t.Topic != st.tp.Topic {
			continue
		}
		topicID = t.TopicID
		for _, p := range t.Partitions {
			if p.Partition == st.tp.Partition && p.ErrorCode == 0 {
				leader = p.Leader
			}
		}
	}
	if leader < 0 {
		return st.pos, nil
	}
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = 1 << 20
	if r.readCommitted {
		req.IsolationLevel = 1
	}
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = st.tp.Topic
	ft.TopicID = topicID
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition = st.tp.Partition
	fp.FetchOffset = st.pos
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	req.Topics = append(req.Topics, ft)
	resp, err := r.probeCl.Broker(int(leader)).Request(ctx, req)
	if err != nil {
		return st.pos, nil
	}
	fresp, ok := resp.(*kmsg.FetchResponse)
	if !ok {
		return st.pos, nil
	}
	iso := kgo.ReadUncommitted()
	if r.readCommitted {
		iso = kgo.ReadCommitted()
	}
	for _, t := range fresp.Topics {
		if t.Topic != st.tp.Topic && t.TopicID != topicID {
			continue
		}
		for i := range t.Partitions {
			rp := &t.Partitions[i]
			if rp.Partition != st.tp.Partition || rp.ErrorCode != 0 {
				continue
			}
			got, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
				KeepControlRecords: true,
				Offset:             st.pos,
				IsolationLevel:     iso,
				Topic:              st.tp.Topic,
				Partition:          st.tp.Partition,
			}, rp, kgo.DefaultDecompressor(), nil)
			if got.Err != nil {
				return st.pos, nil
			}
			for _, rec := range got.Records {
				if rec.Offset < st.stop {
					return st.pos, nil
				}
			}
			return max(next, st.pos), nil
		}
	}
	return st.pos, nil
}

// WakeUp implements source.SplitReader: polls watch their context.
func (r *splitReader[T]) WakeUp() {}

// Close implements source.SplitReader: the client stops fetching this
// reader's partitions (the source reader closes the client).
func (r *splitReader[T]) Close() error {
	rm := map[string][]int32{}
	for topic, ps := range r.parts {
		for p := range ps {
			rm[topic] = append(rm[topic], p)
		}
	}
	if len(rm) > 0 {
		r.cl.RemoveConsumePartitions(rm)
	}
	clear(r.parts)
	r.nparts, r.nbounded = 0, 0
	if r.probeCl != nil {
		r.probeCl.Close()
		r.probeCl = nil
	}
	return nil
}

// fetchBatch is one fetch's records per split and the splits that ended.
type fetchBatch[T any] struct {
	ids      []string
	recs     [][]fetched[T]
	finished []string

	next int
	cur  []fetched[T]
}

func (b *fetchBatch[T]) add(id string, recs []fetched[T]) {
	b.ids = append(b.ids, id)
	b.recs = append(b.recs, recs)
}

// NextSplit implements source.RecordsWithSplitIDs.
func (b *fetchBatch[T]) NextSplit() (string, bool) {
	if b.next >= len(b.ids) {
		b.cur = nil
		return "", false
	}
	b.cur = b.recs[b.next]
	b.recs[b.next] = nil
	b.next++
	return b.ids[b.next-1], true
}

// NextRecord implements source.RecordsWithSplitIDs.
func (b *fetchBatch[T]) NextRecord() (fetched[T], bool) {
	if len(b.cur) == 0 {
		var zero fetched[T]
		return zero, false
	}
	f := b.cur[0]
	b.cur = b.cur[1:]
	return f, true
}

// FinishedSplits implements source.RecordsWithSplitIDs.
func (b *fetchBatch[T]) FinishedSplits() []string { return b.finished }
