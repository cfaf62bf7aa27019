package kafkasource

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
	"github.com/weirstream/weir/stream"
)

func TestBoundedReads(t *testing.T) {
	c := newCluster(t)
	base := time.Now()
	tests := []struct {
		name        string
		partitions  int
		records     int
		parallelism int
		src         func(*Source[string]) *Source[string]
		// want filters the produced values; nil keeps all.
		want func(v string, i int) bool
	}{
		{name: "several partitions", partitions: 3, records: 30, parallelism: 2},
		{name: "more readers than partitions", partitions: 1, records: 5, parallelism: 3},
		{name: "empty topic", partitions: 2, records: 0, parallelism: 2},
		{name: "empty partitions", partitions: 4, records: 0, parallelism: 2},
		{name: "stop before start", partitions: 2, records: 10, parallelism: 1,
			src:  func(s *Source[string]) *Source[string] { return s.StartingOffsets(Latest()).Bounded(Earliest()) },
			want: func(string, int) bool { return false }},
		{name: "specific stop", partitions: 2, records: 20, parallelism: 2,
			src: func(s *Source[string]) *Source[string] {
				return s.Bounded(SpecificOffsets(map[TopicPartition]int64{{Topic: "specific-stop", Partition: 1}: 3}, Latest()))
			},
			// Partition 1 holds the odd i; offset i/2 < 3 means i < 6.
			want: func(_ string, i int) bool { return i%2 == 0 || i < 6 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := strings.ReplaceAll(tt.name, " ", "-")
			c.CreateTopic(t, topic, tt.partitions)
			vals := produceValues(t, c, topic, tt.partitions, tt.records, base)
			if tt.name == "empty partitions" {
				// Only partition 0 of 4 has records.
				vals = produceValues(t, c, topic, 1, 7, base)
			}
			src := newSource(c).Topics(topic).Bounded(Latest())
			if tt.src != nil {
				src = tt.src(src)
			}
			var want []string
			for i, v := range vals {
				if tt.want == nil || tt.want(v, i) {
					want = append(want, v)
				}
			}
			sourcetest.CheckExactlyOnce(t, runBounded(t, src, tt.parallelism), want)
		})
	}
}

// TestBoundedReadsWithTransactions ends bounded splits whose last offsets
// are transaction markers or aborted records, which a read_committed
// reader never sees as records.
func TestBoundedReadsWithTransactions(t *testing.T) {
	c := newCluster(t)
	tests := []struct {
		name string
		// write fills the one-partition topic and returns what a
		// read_committed and a read_uncommitted reader read.
		write       func(t *testing.T, topic string) (committed, uncommitted []string)
		uncommitted bool
		// probeAfter: time.Hour proves the split ended without a probe.
		probeAfter time.Duration
	}{
		{
			name: "ends with a commit marker", probeAfter: time.Hour,
			write: func(t *testing.T, topic string) ([]string, []string) {
				p := newTxnProducer(t, c, topic)
				p.begin()
				p.produce(topic, "c1", "c2")
				p.end(true)
				return []string{"c1", "c2"}, nil
			},
		},
		{
			name: "aborted transaction in the middle", probeAfter: time.Hour,
			write: func(t *testing.T, topic string) ([]string, []string) {
				c.Produce(t, &kgo.Record{Topic: topic, Value: []byte("plain")})
				p := newTxnProducer(t, c, topic)
				p.begin()
				p.produce(topic, "aborted1", "aborted2")
				p.end(false)
				p.begin()
				p.produce(topic, "c1")
				p.end(true)
				return []string{"plain", "c1"}, []string{"plain", "aborted1", "aborted2", "c1"}
			},
		},
		{
			name: "read_uncommitted sees aborted records", uncommitted: true, probeAfter: time.Hour,
			write: func(t *testing.T, topic string) ([]string, []string) {
				p := newTxnProducer(t, c, topic)
				p.begin()
				p.produce(topic, "aborted1")
				p.end(false)
				c.Produce(t, &kgo.Record{Topic: topic, Value: []byte("plain")})
				return nil, []string{"aborted1", "plain"}
			},
		},
		{
			// Offsets: 0 plain, 1 aborted (its marker comes after 2), 2
			// of a transaction still open. The last stable offset, and so
			// the stop, is 2; offset 1 is invisible and its marker lies
			// beyond the stop: only the probe can tell the split is done.
			name: "aborted records before an open transaction", probeAfter: 50 * time.Millisecond,
			write: func(t *testing.T, topic string) ([]string, []string) {
				c.Produce(t, &kgo.Record{Topic: topic, Value: []byte("plain")})
				a := newTxnProducer(t, c, topic+"-a")
				b := newTxnProducer(t, c, topic+"-b")
				a.begin()
				a.produce(topic, "aborted")
				b.begin()
				b.produce(topic, "open")
				a.end(false)
				t.Cleanup(func() { b.end(false) })
				return []string{"plain"}, nil
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := fmt.Sprintf("txn-%d", i)
			c.CreateTopic(t, topic, 1)
			committed, uncommitted := tt.write(t, topic)
			src := newSource(c).Topics(topic).Bounded(Latest())
			src.probeAfter = tt.probeAfter
			want := committed
			if tt.uncommitted {
				src.ReadUncommitted()
				want = uncommitted
			}
			got := runBounded(t, src, 1)
			if !slices.Equal(got, want) {
				t.Fatalf("read %q, want %q", got, want)
			}
		})
	}
}

// TestSnapshotAndRestore stops a job part way, checkpoints it and
// restores a new job from the checkpoint: together they read every record
// once.
func TestSnapshotAndRestore(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "r", 3)
	vals := produceValues(t, c, "r", 3, 6000, time.Now())
	src := newSource(c).Topics("r").Bounded(Latest())
	wm := eventtime.NoWatermarks[string]()

	first := sourcetest.Start(t, src, wm, 2, sourcetest.Options{})
	if err := first.RunUntil(50); err != nil {
		t.Fatal(err)
	}
	cp := first.Checkpoint(1)
	before := first.AllRecords()
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(before) >= len(vals) {
		t.Fatalf("the first job read everything (%d records); the test needs it to stop part way", len(before))
	}
	restored := sourcetest.Start(t, src, wm, 2, sourcetest.Options{Restore: cp})
	err := restored.Run()
	if stopErr := restored.Stop(); stopErr != nil {
		t.Fatal(stopErr)
	}
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.CheckExactlyOnce(t, append(before, restored.AllRecords()...), vals)
}

// gateway records what the coordinator sends to readers.
type gateway struct {
	mu     sync.Mutex
	events map[int][]source.OperatorEvent
	signal chan struct{}
}

func (g *gateway) send(subtask int, ev source.OperatorEvent) error {
	g.mu.Lock()
	g.events[subtask] = append(g.events[subtask], ev)
	g.mu.Unlock()
	select {
	case g.signal <- struct{}{}:
	default:
	}
	return nil
}

// waitFor waits until cond holds for the recorded events.
func (g *gateway) waitFor(t *testing.T, what string, cond func(map[int][]source.OperatorEvent) bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		ok := cond(g.events)
		g.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-g.signal:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func splitsSent(evs []source.OperatorEvent) []Split {
	var out []Split
	for _, ev := range evs {
		if add, ok := ev.(source.AddSplitsEvent); ok {
			for _, s := range add.Splits {
				out = append(out, s.(Split))
			}
		}
	}
	sortSplits(out)
	return out
}

// TestReassignAfterReaderRestart runs the enumerator in a real
// coordinator: a reader that fails before any checkpoint gets its splits
// back when it registers again (the coordinator's SubtaskReset calls
// AddSplitsBack), and a new reader reads them.
func TestReassignAfterReaderRestart(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "re", 4)
	vals := produceValues(t, c, "re", 4, 40, time.Now())
	src := newSource(c).Topics("re").Bounded(Latest())
	g := &gateway{events: map[int][]source.OperatorEvent{}, signal: make(chan struct{}, 1)}
	coord := source.NewCoordinator("kafka", src, 2, config.New(), g.send, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- coord.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	coord.HandleEventFromOperator(0, source.ReaderRegistrationEvent{Subtask: 0})
	coord.HandleEventFromOperator(1, source.ReaderRegistrationEvent{Subtask: 1})
	g.waitFor(t, "splits for both readers", func(ev map[int][]source.OperatorEvent) bool {
		return len(splitsSent(ev[0])) == 2 && len(splitsSent(ev[1])) == 2
	})
	g.mu.Lock()
	first := splitsSent(g.events[1])
	g.events[1] = nil
	g.mu.Unlock()

	coord.SubtaskReset(1, 0)
	coord.HandleEventFromOperator(1, source.ReaderRegistrationEvent{Subtask: 1})
	g.waitFor(t, "reader 1's splits again", func(ev map[int][]source.OperatorEvent) bool {
		if len(ev[1]) == 0 {
			return false
		}
		_, noMore := ev[1][len(ev[1])-1].(source.NoMoreSplitsEvent)
		return noMore
	})
	g.mu.Lock()
	again := splitsSent(g.events[1])
	g.mu.Unlock()
	if !reflect.DeepEqual(again, first) {
		t.Fatalf("reader 1 got %v after its restart, want %v", again, first)
	}

	// The restarted reader reads exactly its partitions.
	got := readAll(t, src, again)
	var want []string
	for _, v := range vals {
		for _, s := range again {
			if strings.HasPrefix(v, fmt.Sprintf("re/%d/", s.Partition)) {
				want = append(want, v)
			}
		}
	}
	sourcetest.CheckExactlyOnce(t, got, want)
}

// startReader creates and starts a reader of src as subtask 0 of 1,
// closed when the test ends.
func startReader(t *testing.T, src *Source[string]) source.SourceReader[string, Split] {
	t.Helper()
	r, err := src.CreateReader(sourcetest.NewReaderContext(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// readAll reads splits with a reader of src to their end.
func readAll(t *testing.T, src *Source[string], splits []Split) []string {
	t.Helper()
	r := startReader(t, src)
	r.AddSplits(splits)
	r.NotifyNoMoreSplits()
	out := &sourcetest.ReaderOutput[string]{}
	if err := pollUntil(t, r, out, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	return out.Values()
}

// pollUntil polls r until it ends, fails, or done holds.
func pollUntil[T any](t *testing.T, r source.SourceReader[T, Split], out source.ReaderOutput[T], done func() bool) error {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !done() {
		st, err := r.PollNext(out)
		if err != nil {
			return err
		}
		switch {
		case st == source.EndOfInput || done():
			return nil
		case st == source.NothingAvailable:
			select {
			case <-r.IsAvailable():
			case <-deadline.C:
				t.Fatalf("reader stuck; output so far: %+v", out)
			}
		}
	}
	return nil
}

type event struct {
	N int `json:"n"`
}

func TestBadRecords(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "bad", 1)
	ts := time.UnixMilli(1_700_000_000_123)
	c.Produce(t,
		&kgo.Record{Topic: "bad", Value: []byte(`{"n":1}`), Timestamp: ts},
		&kgo.Record{Topic: "bad", Key: []byte("k"), Value: []byte(`garbage`), Timestamp: ts, Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}},
		&kgo.Record{Topic: "bad", Value: []byte(`{"n":2}`), Timestamp: ts},
	)
	tag := newBadTag()
	panicky := DeserializerFunc[event](func(v []byte) (event, error) {
		if string(v) == "garbage" {
			panic("no JSON here")
		}
		var e event
		return e, json.Unmarshal(v, &e)
	})
	tests := []struct {
		name     string
		src      *Source[event]
		err      string
		skipped  int64
		sideRecs int
	}{
		{name: "fail", src: New(c.Properties(), JSON[event]()), err: `cannot deserialize the record at offset 1 of topic "bad" partition 0: invalid character`},
		{name: "panic", src: New(c.Properties(), Deserializer[event](panicky)), err: "offset 1 of topic \"bad\" partition 0: the deserializer panicked: no JSON here"},
		{name: "skip", src: New(c.Properties(), JSON[event]()).SkipBadRecords(), skipped: 1},
		{name: "side output", src: New(c.Properties(), JSON[event]()).SideOutputBadRecords(tag), sideRecs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src.Topics("bad").Bounded(Latest())
			j, err := sourcetest.Run(t, src, eventtime.NoWatermarks[event](), 1, sourcetest.Options{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := j.AllRecords(); !slices.Equal(got, []event{{1}, {2}}) {
				t.Fatalf("records %v", got)
			}
			if got := j.Output(0).Timestamps(); !slices.Equal(got, []int64{ts.UnixMilli(), ts.UnixMilli()}) {
				t.Fatalf("timestamps %v, want the Kafka record timestamps", got)
			}
			m := src.Metrics()
			if m.SkippedRecords() != tt.skipped || m.SideOutputRecords() != int64(tt.sideRecs) {
				t.Fatalf("skipped %d, side output %d", m.SkippedRecords(), m.SideOutputRecords())
			}
			side := j.Output(0).Side()
			if len(side) != tt.sideRecs {
				t.Fatalf("side output %+v", side)
			}
			if tt.sideRecs == 0 {
				return
			}
			bad := side[0].Value.(BadRecord)
			if side[0].Tag != tag.ID() || side[0].TS != ts.UnixMilli() || bad.Topic != "bad" || bad.Partition != 0 || bad.Offset != 1 ||
				string(bad.Key) != "k" || string(bad.Value) != "garbage" || bad.Timestamp != ts.UnixMilli() ||
				!reflect.DeepEqual(bad.Headers, []Header{{Key: "h", Value: []byte("v")}}) || !strings.Contains(bad.Error, "invalid character") {
				t.Fatalf("side output record %+v (tag %q, ts %d)", bad, side[0].Tag, side[0].TS)
			}
		})
	}
}

func TestRecordDeserializer(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "rich", 1)
	c.Produce(t, &kgo.Record{Topic: "rich", Key: []byte("k1"), Value: []byte("v1"), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}}})
	d := RecordDeserializerFunc[string](func(r *kgo.Record) (string, error) {
		return fmt.Sprintf("%s/%d@%d %s=%s %s:%s", r.Topic, r.Partition, r.Offset, r.Key, r.Value, r.Headers[0].Key, r.Headers[0].Value), nil
	})
	src := New(c.Properties(), Deserializer[string](d)).Topics("rich").Bounded(Latest())
	got := runBounded(t, src, 1)
	if want := []string{"rich/0@0 k1=v1 trace:abc"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if v, err := JSON[event]().Deserialize(nil); err == nil {
		t.Fatalf("a tombstone decoded as JSON: %v", v)
	}
	if b, _ := Bytes().Deserialize([]byte("x")); string(b) != "x" {
		t.Fatal("Bytes changed the value")
	}
}

// TestCommitsAndLag reads with a reader by hand: lag per partition before
// and after emitting, and offsets committed when a checkpoint completes,
// including the final offsets of finished splits.
func TestCommitsAndLag(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "m", 2)
	produceValues(t, c, "m", 2, 20, time.Now())
	src := newSource(c).Topics("m").WithGroupID("monitor")
	r := startReader(t, src)
	r.AddSplits([]Split{
		{TopicPartition: tp("m", 0), StartingOffset: 2, StoppingOffset: NoStoppingOffset},
		{TopicPartition: tp("m", 1), StartingOffset: 0, StoppingOffset: 4},
	})
	// The fetcher records the partition's end before it hands the batch
	// over, so once the reader is available the lag shows the backlog:
	// lag plus records emitted is the end (10) minus the start.
	out := &sourcetest.ReaderOutput[string]{}
	var lag map[TopicPartition]int64
	noFetch := time.NewTimer(10 * time.Second)
	defer noFetch.Stop()
	for len(lag) == 0 {
		select {
		case <-r.IsAvailable():
		case <-noFetch.C:
			t.Fatal("no fetch")
		}
		if lag = src.Metrics().Lag(); len(lag) > 0 {
			break
		}
		if _, err := r.PollNext(out); err != nil {
			t.Fatal(err)
		}
	}
	for p, l := range lag {
		emitted := 0
		for _, rec := range out.Records {
			if rec.Split == p.String() {
				emitted++
			}
		}
		if start := map[int32]int64{0: 2, 1: 0}[p.Partition]; l+int64(emitted) != 10-start {
			t.Fatalf("lag of %s is %d with %d records emitted; want %d in all", p, l, emitted, 10-start)
		}
	}
	if err := pollUntil(t, r, out, func() bool { return len(out.Records) == 12 }); err != nil {
		t.Fatal(err)
	}
	// Each record goes through its partition's own output (per-partition
	// watermarks and idleness) with its Kafka timestamp.
	for _, rec := range out.Records {
		var p int
		if _, err := fmt.Sscanf(rec.Value, "m/%d/", &p); err != nil || rec.Split != fmt.Sprintf("m-%d", p) || !rec.HasTS || rec.TS <= 0 {
			t.Fatalf("record %+v went through the wrong output or without its timestamp", rec)
		}
	}
	if lag := src.Metrics().Lag(); !maps.Equal(lag, map[TopicPartition]int64{tp("m", 0): 0}) {
		t.Fatalf("lag %v after reading everything (m-1 has finished)", lag)
	}
	snap, err := r.SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Split{{TopicPartition: tp("m", 0), StartingOffset: 10, StoppingOffset: NoStoppingOffset}}; !reflect.DeepEqual(snap, want) {
		t.Fatalf("snapshot %v, want %v", snap, want)
	}
	if err := r.NotifyCheckpointComplete(1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for src.Metrics().Commits() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := committedOffsets(t, c, "monitor"), map[TopicPartition]int64{tp("m", 0): 10, tp("m", 1): 4}; !maps.Equal(got, want) {
		t.Fatalf("committed %v, want %v", got, want)
	}
	if src.Metrics().CommitFailures() != 0 {
		t.Fatal("commit failures")
	}
}

func newBadTag() stream.OutputTag[BadRecord] { return stream.NewOutputTag[BadRecord]("bad-records") }

// TestDiscoveryWhileRunning grows a topic under a running unbounded job:
// the enumerator finds the new partitions and the running reader reads
// them from their first record.
func TestDiscoveryWhileRunning(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "grow", 1)
	vals := produceValues(t, c, "grow", 1, 5, time.Now())
	src := newSource(c).Topics("grow").WithDiscoveryInterval(50 * time.Millisecond)
	j := sourcetest.Start(t, src, eventtime.NoWatermarks[string](), 1, sourcetest.Options{})
	defer func() {
		if err := j.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if err := j.RunUntil(5); err != nil {
		t.Fatal(err)
	}
	c.AddPartitions(t, "grow", 3)
	var more []*kgo.Record
	for i := range 6 {
		v := fmt.Sprintf("grow/new/%d", i)
		more = append(more, &kgo.Record{Topic: "grow", Partition: int32(1 + i%2), Value: []byte(v)})
		vals = append(vals, v)
	}
	c.Produce(t, more...)
	if err := j.RunUntil(len(vals)); err != nil {
		t.Fatal(err)
	}
	sourcetest.CheckExactlyOnce(t, j.AllRecords(), vals)
}

// TestReaddFinishedPartition gives a reader a partition again after its
// split finished (the client paused it): it is read from the new split's
// start.
func TestReaddFinishedPartition(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "again", 1)
	vals := produceValues(t, c, "again", 1, 6, time.Now())
	r := startReader(t, newSource(c).Topics("again"))
	out := &sourcetest.ReaderOutput[string]{}
	r.AddSplits([]Split{{TopicPartition: tp("again", 0), StartingOffset: 2, StoppingOffset: 4}})
	if err := pollUntil(t, r, out, func() bool { return len(out.Released) == 1 }); err != nil {
		t.Fatal(err)
	}
	r.AddSplits([]Split{{TopicPartition: tp("again", 0), StartingOffset: 1, StoppingOffset: 3}})
	r.NotifyNoMoreSplits()
	if err := pollUntil(t, r, out, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if want := []string{vals[2], vals[3], vals[1], vals[2]}; !slices.Equal(out.Values(), want) {
		t.Fatalf("read %q, want %q", out.Values(), want)
	}
}

// A finished split's final offset is submitted once; a later checkpoint's
// offsets arriving while the committer is busy must not drop it, and a
// failed commit's offsets wait for the next one unless newer ones came.
func TestCommitterMergesWaitingOffsets(t *testing.T) {
	c := &committer{}
	c.merge(map[TopicPartition]int64{tp("t", 2): 1000, tp("t", 0): 10}, true)
	c.merge(map[TopicPartition]int64{tp("t", 0): 20}, true)
	want := map[TopicPartition]int64{tp("t", 2): 1000, tp("t", 0): 20}
	if !maps.Equal(c.next, want) {
		t.Fatalf("after two submits: %v, want %v", c.next, want)
	}
	failed := c.next
	c.next = map[TopicPartition]int64{tp("t", 0): 30}
	c.merge(failed, false)
	want = map[TopicPartition]int64{tp("t", 2): 1000, tp("t", 0): 30}
	if !maps.Equal(c.next, want) {
		t.Fatalf("after a failed commit: %v, want %v", c.next, want)
	}
}
