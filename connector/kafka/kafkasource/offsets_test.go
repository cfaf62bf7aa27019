package kafkasource

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// TestOffsetsInitializers resolves every kind of starting offset against
// a topic of two partitions holding offsets 0..9 each, plus a topic with a
// transaction still open.
func TestOffsetsInitializers(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 2)
	base := time.UnixMilli(1_700_000_000_000)
	// Record i goes to partition i%2 at offset i/2 with timestamp base+i ms.
	produceValues(t, c, "a", 2, 20, base)
	commitOffsets(t, c, "g", map[TopicPartition]int64{tp("a", 0): 4})

	c.CreateTopic(t, "txn", 1)
	produceValues(t, c, "txn", 1, 3, base)
	open := newTxnProducer(t, c, "open")
	open.begin()
	open.produce("txn", "pending-1", "pending-2") // high watermark 5, last stable offset 3

	tests := []struct {
		name  string
		topic string
		group string
		init  OffsetsInitializer
		// uncommitted reads read_uncommitted.
		uncommitted bool
		want        map[TopicPartition]int64
		err         string
	}{
		{name: "earliest", topic: "a", init: Earliest(), want: map[TopicPartition]int64{tp("a", 0): 0, tp("a", 1): 0}},
		{name: "latest", topic: "a", init: Latest(), want: map[TopicPartition]int64{tp("a", 0): 10, tp("a", 1): 10}},
		{name: "latest read_committed stops at the open transaction", topic: "txn", init: Latest(), want: map[TopicPartition]int64{tp("txn", 0): 3}},
		{name: "latest read_uncommitted", topic: "txn", init: Latest(), uncommitted: true, want: map[TopicPartition]int64{tp("txn", 0): 5}},
		{name: "committed reset earliest", topic: "a", group: "g", init: Committed(ResetEarliest), want: map[TopicPartition]int64{tp("a", 0): 4, tp("a", 1): 0}},
		{name: "committed reset latest", topic: "a", group: "g", init: Committed(ResetLatest), want: map[TopicPartition]int64{tp("a", 0): 4, tp("a", 1): 10}},
		{name: "committed reset none", topic: "a", group: "g", init: Committed(ResetNone), err: "partition a-1 has no committed offset and the reset strategy is none"},
		{name: "committed of an unknown group", topic: "a", group: "new", init: Committed(ResetLatest), want: map[TopicPartition]int64{tp("a", 0): 10, tp("a", 1): 10}},
		// Partition 0 holds i = 0, 2, 4, 6 at offsets 0..3: the first at
		// or after base+5ms is i=6, offset 3; partition 1's is i=5, offset 2.
		{name: "timestamp", topic: "a", init: Timestamp(base.Add(5 * time.Millisecond)), want: map[TopicPartition]int64{tp("a", 0): 3, tp("a", 1): 2}},
		{name: "timestamp after every record", topic: "a", init: Timestamp(base.Add(time.Hour)), want: map[TopicPartition]int64{tp("a", 0): 10, tp("a", 1): 10}},
		{name: "specific with fallback", topic: "a", init: SpecificOffsets(map[TopicPartition]int64{tp("a", 0): 7}, Latest()), want: map[TopicPartition]int64{tp("a", 0): 7, tp("a", 1): 10}},
		{name: "specific without fallback", topic: "a", init: SpecificOffsets(map[TopicPartition]int64{tp("a", 0): 7}, nil), err: "no offset given for partition a-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(c).Topics(tt.topic).StartingOffsets(tt.init).WithGroupID(tt.group)
			if tt.uncommitted {
				src.ReadUncommitted()
			}
			_, ctx := startEnumerator(t, src, 1)
			err := settle(ctx)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				if !strings.Contains(err.Error(), tt.init.String()) {
					t.Errorf("error %q does not name the initializer %q", err, tt.init)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[TopicPartition]int64{}
			for _, s := range assignedSplits(ctx) {
				got[s.TopicPartition] = s.StartingOffset
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("starting offsets %v, want %v", got, tt.want)
			}
		})
	}
	open.end(false)
}

// TestStoppingOffsets resolves stopping offsets of a bounded source.
func TestStoppingOffsets(t *testing.T) {
	c := newCluster(t)
	c.CreateTopic(t, "a", 2)
	base := time.UnixMilli(1_700_000_000_000)
	produceValues(t, c, "a", 2, 20, base)
	tests := []struct {
		name string
		stop OffsetsInitializer
		want map[TopicPartition]int64
	}{
		{"latest", Latest(), map[TopicPartition]int64{tp("a", 0): 10, tp("a", 1): 10}},
		{"specific", SpecificOffsets(map[TopicPartition]int64{tp("a", 1): 4}, Latest()), map[TopicPartition]int64{tp("a", 0): 10, tp("a", 1): 4}},
		{"timestamp", Timestamp(base.Add(5 * time.Millisecond)), map[TopicPartition]int64{tp("a", 0): 3, tp("a", 1): 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ctx := startEnumerator(t, newSource(c).Topics("a").Bounded(tt.stop), 1)
			if err := settle(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[TopicPartition]int64{}
			for _, s := range assignedSplits(ctx) {
				got[s.TopicPartition] = s.StoppingOffset
				if s.StartingOffset != 0 {
					t.Errorf("split %v does not start at the earliest offset", s)
				}
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("stopping offsets %v, want %v", got, tt.want)
			}
			if ctx.NoMore[0] != 1 {
				t.Fatal("a bounded source discovers once and signals no more splits")
			}
		})
	}
}
