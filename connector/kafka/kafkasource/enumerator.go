package kafkasource

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/source"
)

// Owner is the subtask that reads tp among parallelism readers, Flink's
// rule: the topic's Java string hash picks a start subtask, and the
// topic's partitions go round-robin from there. It depends only on the
// topic, the partition and the parallelism, so every discovery, restore
// and re-assignment agrees, partitions of one topic spread evenly, and
// different topics start at different subtasks.
func Owner(tp TopicPartition, parallelism int) int {
	start := int((keygroup.StringHash(tp.Topic)*31)&0x7FFFFFFF) % parallelism
	return (start + int(tp.Partition)) % parallelism
}

// enumerator discovers partitions, resolves their offsets and pushes each
// split to its owner (Owner). Discovery and offset lookups run off the
// coordinator goroutine through CallAsync; their handlers, like every
// other method, run on it.
type enumerator struct {
	ctx   source.SplitEnumeratorContext[Split]
	sub   subscription
	admin *admin
	retr  retriever

	starting, newPartitions, stopping OffsetsInitializer
	interval                          time.Duration // discovery period; 0: once
	discoverOnce                      bool

	// assigned are the partitions handed to readers.
	assigned map[TopicPartition]bool
	// pending are resolved splits whose owner has not registered yet.
	pending map[TopicPartition]Split
	// resolving are partitions whose offsets are being looked up.
	resolving   map[TopicPartition]bool
	initialDone bool
	// initialResolving is set while the first discovery's offsets are
	// being resolved: partitions a later discovery finds meanwhile are not
	// initial and start at NewPartitionOffsets.
	initialResolving bool
	// noMoreSent are the registered readers already told that no more
	// splits come; a reader that registers again is told again.
	noMoreSent map[int]bool
}

func (s *Source[T]) newEnumerator(ctx source.SplitEnumeratorContext[Split], cp EnumeratorState) (*enumerator, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	opts, err := s.clientOpts("enumerator")
	if err != nil {
		return nil, err
	}
	watch := &connWatch{}
	// Offsets are listed right after a discovery saw new partitions, so
	// the client's metadata cache must not be older than a moment.
	opts = append(opts, kgo.WithHooks(watch), kgo.MetadataMinAge(100*time.Millisecond))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkasource: create the Kafka client: %w", err)
	}
	a := &admin{cl: cl, adm: kadm.NewClient(cl), watch: watch, brokers: s.brokers, group: s.group,
		readCommitted: s.readCommitted, timeout: s.timeout}
	e := &enumerator{
		ctx: ctx, sub: s.subscription(), admin: a, retr: retriever{a},
		starting: s.startingOffsets(), newPartitions: s.newPartitions, stopping: s.stopping,
		discoverOnce: s.discoverOnce(),
		assigned:     map[TopicPartition]bool{},
		pending:      map[TopicPartition]Split{},
		resolving:    map[TopicPartition]bool{},
		initialDone:  cp.InitialDiscoveryDone,
		noMoreSent:   map[int]bool{},
	}
	if !e.discoverOnce {
		e.interval = s.interval
	}
	for _, tp := range cp.Assigned {
		e.assigned[tp] = true
	}
	for _, sp := range cp.Pending {
		e.pending[sp.TopicPartition] = sp
	}
	return e, nil
}

// discovered is the result of a discovery.
type discovered struct{ tps []TopicPartition }

// resolved is the result of an offset lookup.
type resolved struct {
	tps     []TopicPartition
	splits  []Split
	initial bool
}

// Start implements source.SplitEnumerator: it schedules discovery, once or
// every interval.
func (e *enumerator) Start() error {
	e.ctx.CallAsync(e.discover, e.onDiscovered, 0, e.interval)
	return nil
}

func (e *enumerator) discover() (any, error) {
	tps, err := e.admin.partitions(e.ctx.Context(), e.sub)
	return discovered{tps}, err
}

func (e *enumerator) onDiscovered(v any, err error) error {
	if err != nil {
		if e.ctx.Context().Err() != nil {
			return nil
		}
		return err
	}
	var fresh []TopicPartition
	for _, tp := range v.(discovered).tps {
		if _, ok := e.pending[tp]; ok || e.assigned[tp] || e.resolving[tp] {
			continue
		}
		fresh = append(fresh, tp)
		e.resolving[tp] = true
	}
	if len(fresh) == 0 {
		if !e.initialDone && len(e.resolving) == 0 {
			e.initialDone = true
		}
		// Readers that registered before a restored enumerator started
		// get their pending splits here at the latest.
		e.assignPending()
		e.signalNoMoreSplits()
		return nil
	}
	initial := !e.initialDone && !e.initialResolving
	if initial {
		e.initialResolving = true
	}
	e.ctx.CallAsync(func() (any, error) { return e.resolve(fresh, initial) }, e.onResolved, 0, 0)
	return nil
}

// resolve looks up the offsets of newly discovered partitions: the
// starting offsets for the partitions of the first discovery, the offsets
// for new partitions after it, and stopping offsets when bounded.
func (e *enumerator) resolve(tps []TopicPartition, initial bool) (any, error) {
	ctx := e.ctx.Context()
	init := e.newPartitions
	if initial {
		init = e.starting
	}
	starts, err := resolveWith(ctx, "starting", init, tps, e.retr)
	if err != nil {
		return nil, err
	}
	var stops map[TopicPartition]int64
	if e.stopping != nil {
		if stops, err = resolveWith(ctx, "stopping", e.stopping, tps, e.retr); err != nil {
			return nil, err
		}
	}
	splits := make([]Split, len(tps))
	for i, tp := range tps {
		splits[i] = Split{TopicPartition: tp, StartingOffset: starts[tp], StoppingOffset: NoStoppingOffset}
		if stops != nil {
			splits[i].StoppingOffset = stops[tp]
		}
	}
	return resolved{tps: tps, splits: splits, initial: initial}, nil
}

// resolveWith runs init for tps and checks that it resolved every
// partition to an offset.
func resolveWith(ctx context.Context, what string, init OffsetsInitializer, tps []TopicPartition, r OffsetsRetriever) (map[TopicPartition]int64, error) {
	offs, err := init.Offsets(ctx, tps, r)
	if err != nil {
		return nil, fmt.Errorf("kafkasource: resolve %s offsets (%s): %w", what, init, err)
	}
	for _, tp := range tps {
		off, ok := offs[tp]
		if !ok {
			return nil, fmt.Errorf("kafkasource: resolve %s offsets (%s): no offset for partition %s", what, init, tp)
		}
		if off < 0 {
			return nil, fmt.Errorf("kafkasource: resolve %s offsets (%s): offset %d for partition %s; offsets are >= 0", what, init, off, tp)
		}
	}
	return offs, nil
}

func (e *enumerator) onResolved(v any, err error) error {
	if err != nil {
		if e.ctx.Context().Err() != nil {
			return nil
		}
		return err
	}
	res := v.(resolved)
	for _, tp := range res.tps {
		delete(e.resolving, tp)
	}
	for _, sp := range res.splits {
		if _, ok := e.pending[sp.TopicPartition]; ok || e.assigned[sp.TopicPartition] {
			continue
		}
		e.pending[sp.TopicPartition] = sp
	}
	if res.initial {
		e.initialDone = true
	}
	e.assignPending()
	e.signalNoMoreSplits()
	return nil
}

// assignPending hands every pending split whose owner is registered to
// it. A reader that went away keeps its splits pending until it registers
// again.
func (e *enumerator) assignPending() {
	if len(e.pending) == 0 {
		return
	}
	registered := e.ctx.RegisteredReaders()
	p := e.ctx.CurrentParallelism()
	byOwner := map[int][]Split{}
	for tp, sp := range e.pending {
		o := Owner(tp, p)
		if _, ok := registered[o]; ok {
			byOwner[o] = append(byOwner[o], sp)
		}
	}
	for _, o := range slices.Sorted(maps.Keys(byOwner)) {
		splits := byOwner[o]
		sortSplits(splits)
		if err := e.ctx.AssignSplits(map[int][]Split{o: splits}); err != nil {
			continue
		}
		for _, sp := range splits {
			delete(e.pending, sp.TopicPartition)
			e.assigned[sp.TopicPartition] = true
		}
	}
}

// signalNoMoreSplits tells registered readers that have all their splits
// that none will follow, once the only discovery is done. With periodic
// discovery it never does: a partition may still be added.
func (e *enumerator) signalNoMoreSplits() {
	if !e.discoverOnce || !e.initialDone || len(e.resolving) > 0 {
		return
	}
	p := e.ctx.CurrentParallelism()
	waiting := map[int]bool{}
	for tp := range e.pending {
		waiting[Owner(tp, p)] = true
	}
	registered := e.ctx.RegisteredReaders()
	for _, r := range slices.Sorted(maps.Keys(registered)) {
		if e.noMoreSent[r] || waiting[r] {
			continue
		}
		if err := e.ctx.SignalNoMoreSplits(r); err == nil {
			e.noMoreSent[r] = true
		}
	}
}

// AddReader implements source.SplitEnumerator: a (re)registered reader
// gets its pending splits and, when discovery is over, no-more-splits.
func (e *enumerator) AddReader(subtask int) {
	delete(e.noMoreSent, subtask)
	e.assignPending()
	e.signalNoMoreSplits()
}

// HandleSplitRequest implements source.SplitEnumerator; splits are pushed
// to their owners, so requests need no answer.
func (e *enumerator) HandleSplitRequest(int, string) {}

// AddSplitsBack implements source.SplitEnumerator: splits of a failed
// reader, with the progress of the checkpoint it restarts from, become
// pending for their owner again and go to it when it registers.
func (e *enumerator) AddSplitsBack(splits []Split, _ int) {
	for _, sp := range splits {
		delete(e.assigned, sp.TopicPartition)
		e.pending[sp.TopicPartition] = sp
	}
	e.assignPending()
	e.signalNoMoreSplits()
}

// SnapshotState implements source.SplitEnumerator. Partitions whose
// offsets are being looked up are in neither list: a restored enumerator
// discovers them again.
func (e *enumerator) SnapshotState(int64) (EnumeratorState, error) {
	st := EnumeratorState{InitialDiscoveryDone: e.initialDone}
	st.Assigned = slices.SortedFunc(maps.Keys(e.assigned), compareTP)
	st.Pending = slices.Collect(maps.Values(e.pending))
	sortSplits(st.Pending)
	return st, nil
}

// NotifyCheckpointComplete implements source.SplitEnumerator.
func (e *enumerator) NotifyCheckpointComplete(int64) error { return nil }

// HandleSourceEvent implements source.SplitEnumerator; readers send none.
func (e *enumerator) HandleSourceEvent(int, source.SourceEvent) {}

// Close implements source.SplitEnumerator. The coordinator has stopped the
// async calls that use the client by now.
func (e *enumerator) Close() error {
	e.admin.cl.Close()
	return nil
}
