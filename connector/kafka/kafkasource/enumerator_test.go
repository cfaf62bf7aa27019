package kafkasource

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

func TestEnumeratorAssignsToOwners(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 5)
	c.CreateTopic(t, "b", 2)
	const p = 3
	e, ctx := startEnumerator(t, newSource(c).Topics("a", "b").WithDiscoveryInterval(0), p)
	// Reader 2 has not registered yet: its splits wait.
	delete(ctx.Registered, 2)
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	for sub, splits := range ctx.Assigned {
		for _, s := range splits {
			if o := Owner(s.TopicPartition, p); o != sub {
				t.Errorf("split %v went to %d, its owner is %d", s, sub, o)
			}
			if s.StartingOffset != 0 || s.StoppingOffset != NoStoppingOffset {
				t.Errorf("split %v: want [0,∞)", s)
			}
		}
	}
	// Discovery is once: readers holding all of theirs are told at once.
	if ctx.NoMore[0] != 1 || ctx.NoMore[1] != 1 || ctx.NoMore[2] != 0 {
		t.Fatalf("no-more-splits %v", ctx.NoMore)
	}
	cp, err := e.SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cp.Pending {
		if Owner(s.TopicPartition, p) != 2 {
			t.Errorf("pending %v is not reader 2's", s)
		}
	}
	if len(cp.Pending)+len(cp.Assigned) != 7 || !cp.InitialDiscoveryDone {
		t.Fatalf("checkpoint %+v", cp)
	}

	ctx.Registered[2] = source.ReaderInfo{Subtask: 2}
	e.AddReader(2)
	if got := assignedSplits(ctx); len(got) != 7 {
		t.Fatalf("assigned %v, want all 7 partitions", got)
	}
	if ctx.NoMore[2] != 1 {
		t.Fatalf("reader 2 was not told no more splits: %v", ctx.NoMore)
	}
	// Another discovery round changes nothing.
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := assignedSplits(ctx); len(got) != 7 {
		t.Fatalf("rediscovery assigned again: %v", got)
	}
}

func TestEnumeratorDiscoversAddedPartitions(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 2)
	produceValues(t, c, "a", 2, 10, time.Now())
	e, ctx := startEnumerator(t, newSource(c).Topics("a").StartingOffsets(Latest()).WithDiscoveryInterval(time.Minute), 2)
	if len(ctx.Async) != 1 || ctx.Async[0].Period != time.Minute {
		t.Fatalf("discovery not periodic: %+v", ctx.Async)
	}
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	want := []Split{
		{TopicPartition: tp("a", 0), StartingOffset: 5, StoppingOffset: NoStoppingOffset},
		{TopicPartition: tp("a", 1), StartingOffset: 5, StoppingOffset: NoStoppingOffset},
	}
	if got := assignedSplits(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("first discovery: %v, want %v", got, want)
	}

	c.AddPartitions(t, "a", 4)
	produceValues(t, c, "a", 4, 8, time.Now()) // 2 records in each new partition
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	// Partitions found after the first discovery start at the earliest
	// offset, so their first records are not lost.
	want = append(want,
		Split{TopicPartition: tp("a", 2), StartingOffset: 0, StoppingOffset: NoStoppingOffset},
		Split{TopicPartition: tp("a", 3), StartingOffset: 0, StoppingOffset: NoStoppingOffset})
	if got := assignedSplits(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after adding partitions: %v, want %v", got, want)
	}
	if len(ctx.NoMore) != 0 {
		t.Fatalf("periodic discovery must never signal no more splits: %v", ctx.NoMore)
	}
	cp, _ := e.SnapshotState(1)
	if len(cp.Assigned) != 4 {
		t.Fatalf("checkpoint %+v", cp)
	}
}

func TestEnumeratorDiscoversNewTopicsByPattern(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "events.eu", 1)
	c.CreateTopic(t, "other", 1)
	src := newSource(c).TopicPattern(`events\..*`).NewPartitionOffsets(Latest()).WithDiscoveryInterval(time.Second)
	_, ctx := startEnumerator(t, src, 1)
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := assignedSplits(ctx); len(got) != 1 || got[0].Topic != "events.eu" {
		t.Fatalf("first discovery: %v", got)
	}
	c.CreateTopic(t, "events.us", 2)
	c.CreateTopic(t, "xevents.us", 1) // the pattern matches whole names only
	produceValues(t, c, "events.us", 2, 4, time.Now())
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	want := []Split{
		{TopicPartition: tp("events.eu", 0), StartingOffset: 0, StoppingOffset: NoStoppingOffset},
		{TopicPartition: tp("events.us", 0), StartingOffset: 2, StoppingOffset: NoStoppingOffset},
		{TopicPartition: tp("events.us", 1), StartingOffset: 2, StoppingOffset: NoStoppingOffset},
	}
	if got := assignedSplits(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after new topics: %v, want %v (new partitions start at Latest here)", got, want)
	}
}

func TestEnumeratorAddSplitsBack(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 4)
	e, ctx := startEnumerator(t, newSource(c).Topics("a").Bounded(Latest()), 2)
	if err := settle(ctx); err != nil {
		t.Fatal(err)
	}
	ofOne := slices.Clone(ctx.Assigned[1])
	if len(ofOne) != 2 || ctx.NoMore[1] != 1 {
		t.Fatalf("reader 1 got %v, no-more %v", ofOne, ctx.NoMore)
	}
	// Reader 1 fails and restarts from a checkpoint before its splits:
	// they come back, with the progress given, and wait for it.
	delete(ctx.Registered, 1)
	back := slices.Clone(ofOne)
	back[0].StartingOffset = 0
	e.AddSplitsBack(back, 1)
	cp, _ := e.SnapshotState(2)
	if !reflect.DeepEqual(cp.Pending, back) {
		t.Fatalf("pending %v, want %v", cp.Pending, back)
	}
	ctx.Registered[1] = source.ReaderInfo{Subtask: 1}
	ctx.Assigned[1] = nil
	e.AddReader(1)
	if !reflect.DeepEqual(ctx.Assigned[1], back) || ctx.NoMore[1] != 2 {
		t.Fatalf("re-registered reader got %v, no-more %v", ctx.Assigned[1], ctx.NoMore)
	}
}

// TestEnumeratorSnapshotRestore restores from a checkpoint taken while
// splits were pending and before the first discovery was done, and from
// one taken after.
func TestEnumeratorSnapshotRestore(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 3)
	produceValues(t, c, "a", 3, 9, time.Now())
	src := newSource(c).Topics("a").StartingOffsets(Latest()).WithDiscoveryInterval(0)

	// Before discovery: a restored enumerator still uses the starting
	// offsets.
	e0, _ := startEnumerator(t, src, 2)
	early, _ := e0.SnapshotState(1)
	if early.InitialDiscoveryDone {
		t.Fatal("discovery ran without settle")
	}
	e1, ctx1 := sourcetest.RestoreEnumerator(t, src, early, 2)
	t.Cleanup(func() { _ = e1.Close() })
	if err := e1.Start(); err != nil {
		t.Fatal(err)
	}
	if err := settle(ctx1); err != nil {
		t.Fatal(err)
	}
	for _, s := range assignedSplits(ctx1) {
		if s.StartingOffset != 3 {
			t.Fatalf("restored before discovery: %v, want Latest (3)", s)
		}
	}

	// After discovery, with reader 0 missing: the checkpoint holds its
	// pending splits; a restored enumerator hands them out and does not
	// resolve anything again.
	e2, ctx2 := startEnumerator(t, src, 2)
	delete(ctx2.Registered, 0)
	if err := settle(ctx2); err != nil {
		t.Fatal(err)
	}
	cp, _ := e2.SnapshotState(2)
	produceValues(t, c, "a", 3, 3, time.Now()) // Latest moves on
	e3, ctx3 := sourcetest.RestoreEnumerator(t, src, cp, 2)
	t.Cleanup(func() { _ = e3.Close() })
	if err := e3.Start(); err != nil {
		t.Fatal(err)
	}
	e3.AddReader(1)
	if err := settle(ctx3); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ctx3.Assigned[0], cp.Pending) || len(ctx3.Assigned[1]) != 0 {
		t.Fatalf("restored assigned %v, want only the pending %v", ctx3.Assigned, cp.Pending)
	}
	if ctx3.NoMore[0] != 1 || ctx3.NoMore[1] != 1 {
		t.Fatalf("no-more-splits %v", ctx3.NoMore)
	}
}

func TestEnumeratorErrors(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 1)
	unreachable := New(map[string]string{"bootstrap.servers": "127.0.0.1:1,127.0.0.1:2"}, String()).Topics("a").WithTimeout(time.Second)
	tests := []struct {
		name string
		src  *Source[string]
		want []string
	}{
		{"unknown topic", newSource(c).Topics("a", "nope"), []string{`topic "nope" does not exist`, "create it"}},
		{"unreachable brokers", unreachable, []string{"cannot reach the Kafka brokers 127.0.0.1:1,127.0.0.1:2 within 1s", "check bootstrap.servers", "connection refused"}},
		{"committed without group", newSource(c).Topics("a").StartingOffsets(Committed(ResetEarliest)), []string{"set group.id"}},
		{"no offset and no fallback", newSource(c).Topics("a").StartingOffsets(SpecificOffsets(nil, nil)), []string{"no offset given for partition a-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ctx := startEnumerator(t, tt.src, 1)
			start := time.Now()
			err := settle(ctx)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestEnumeratorStopsWithCoordinator checks that discovery against
// unreachable brokers gives up when the coordinator stops, long before its
// timeout.
func TestEnumeratorStopsWithCoordinator(t *testing.T) {
	src := New(map[string]string{"bootstrap.servers": "127.0.0.1:1"}, String()).Topics("a").WithTimeout(time.Hour)
	coord := source.NewCoordinator("kafka", src, 1, config.New(), func(int, source.OperatorEvent) error { return nil }, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- coord.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the coordinator did not stop")
	}
}

func TestConfigurationErrors(t *testing.T) {
	props := map[string]string{"bootstrap.servers": "localhost:9092"}
	with := func(k, v string) map[string]string {
		m := map[string]string{"bootstrap.servers": "localhost:9092"}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		src  *Source[string]
		want string
	}{
		{"no topics", New(props, String()), "call Topics or TopicPattern"},
		{"both", New(props, String()).Topics("a").TopicPattern("b"), "use one"},
		{"bad pattern", New(props, String()).TopicPattern("("), `topic pattern "("`},
		{"no brokers", New(map[string]string{}, String()).Topics("a"), "bootstrap.servers is not set"},
		{"nil deserializer", New[string](props, nil).Topics("a"), "deserializer is nil"},
		{"isolation", New(with("isolation.level", "dirty"), String()).Topics("a"), "isolation.level=\"dirty\""},
		{"discovery", New(with("partition.discovery.interval.ms", "soon"), String()).Topics("a"), "milliseconds"},
		{"auto commit", New(with("enable.auto.commit", "true"), String()).Topics("a"), "never automatically"},
		{"reset", New(with("auto.offset.reset", "smallest"), String()).Topics("a"), "earliest, latest or none"},
		{"unknown client key", New(with("bootstrap.server", "x"), String()).Topics("a"), "bootstrap.server"},
		{"timeout", New(props, String()).Topics("a").WithTimeout(0), "timeout 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.CheckRejected(t, tt.src, tt.want)
		})
	}
}

func TestConnectorProperties(t *testing.T) {
	props := map[string]string{
		"bootstrap.servers":               "localhost:9092",
		"group.id":                        "g",
		"isolation.level":                 "read_uncommitted",
		"partition.discovery.interval.ms": "-1",
		"auto.offset.reset":               "latest",
		"commit.offsets.on.checkpoint":    "false",
		"enable.auto.commit":              "false",
	}
	s := New(props, String()).Topics("a")
	if err := s.err(); err != nil {
		t.Fatal(err)
	}
	if s.group != "g" || s.readCommitted || s.interval != 0 || s.commitOnCheckpoint || s.startingOffsets().String() != "committed (reset latest)" {
		t.Fatalf("settings: group %q readCommitted %v interval %v commit %v starting %v", s.group, s.readCommitted, s.interval, s.commitOnCheckpoint, s.startingOffsets())
	}
	// Without a group, auto.offset.reset picks the offsets themselves;
	// StartingOffsets wins over it.
	delete(props, "group.id")
	if got := New(props, String()).startingOffsets().String(); got != "latest" {
		t.Fatalf("auto.offset.reset=latest without group: %s", got)
	}
	if got := New(props, String()).StartingOffsets(Earliest()).startingOffsets().String(); got != "earliest" {
		t.Fatalf("StartingOffsets after auto.offset.reset: %s", got)
	}
	if s.Boundedness() != source.ContinuousUnbounded || !s.discoverOnce() {
		t.Fatal("an unbounded source with discovery off")
	}
}
