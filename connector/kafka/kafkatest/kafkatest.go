package kafkatest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka"
)

// opTimeout bounds every helper call, so a test against a wedged cluster
// fails with a message instead of hanging until the go test timeout.
const opTimeout = 30 * time.Second

// Cluster is an in-process kfake cluster reachable over TCP, plus helpers
// that fail the test on error.
type Cluster struct {
	kf    *kfake.Cluster
	addrs []string

	// mu guards the fields in it.
	mu struct {
		sync.Mutex
		clientOpts []kgo.Opt
		// producer is the client of Produce and the admin calls; it is
		// replaced after AddPartitions so Produce sees new partitions.
		producer *kgo.Client
		closed   bool
	}
}

// NewCluster starts a kfake cluster of brokers brokers (opts may add more
// kfake options, e.g. kfake.SeedTopics or kfake.EnableSASL) and stops it
// when the test ends.
func NewCluster(t testing.TB, brokers int, opts ...kfake.Opt) *Cluster {
	t.Helper()
	if brokers < 1 {
		t.Fatalf("kafkatest: a cluster needs at least 1 broker, not %d", brokers)
	}
	kf, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(brokers)}, opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: start a %d-broker kfake cluster: %v", brokers, err)
	}
	c := &Cluster{kf: kf, addrs: kf.ListenAddrs()}
	t.Cleanup(func() {
		c.mu.Lock()
		c.mu.closed = true
		if c.mu.producer != nil {
			c.mu.producer.Close()
		}
		c.mu.Unlock()
		kf.Close()
	})
	return c
}

// Kfake returns the underlying cluster, for its controls (Control,
// MoveTopicPartition, ShufflePartitionLeaders, ...).
func (c *Cluster) Kfake() *kfake.Cluster { return c.kf }

// Brokers returns the brokers' host:port addresses.
func (c *Cluster) Brokers() []string { return slices.Clone(c.addrs) }

// Properties returns new properties with bootstrap.servers set to the
// cluster.
func (c *Cluster) Properties() kafka.Properties {
	return kafka.Properties{"bootstrap.servers": strings.Join(c.addrs, ",")}
}

// UseClientOpts adds opts to every client the Cluster makes from now on
// (Client, Produce, ReadCommitted, CreateTopic, AddPartitions): SASL
// credentials or TLS for a cluster started with kfake.EnableSASL or
// kfake.TLS.
func (c *Cluster) UseClientOpts(opts ...kgo.Opt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.clientOpts = append(c.mu.clientOpts, opts...)
	if c.mu.producer != nil {
		c.mu.producer.Close()
		c.mu.producer = nil
	}
}

func (c *Cluster) baseOpts() []kgo.Opt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]kgo.Opt{kgo.SeedBrokers(c.addrs...)}, c.mu.clientOpts...)
}

// Client returns a client of the cluster with opts added; it is closed
// when the test ends.
func (c *Cluster) Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append(c.baseOpts(), opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// producer returns the shared producer and admin client, creating it on
// first use.
func (c *Cluster) producer(t testing.TB) *kgo.Client {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.closed {
		t.Fatalf("kafkatest: the cluster is closed (its test has ended)")
	}
	if c.mu.producer == nil {
		opts := append([]kgo.Opt{kgo.SeedBrokers(c.addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner())}, c.mu.clientOpts...)
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			t.Fatalf("kafkatest: new client: %v", err)
		}
		c.mu.producer = cl
	}
	return c.mu.producer
}

// resetProducer drops the shared client, so the next one starts with
// fresh metadata.
func (c *Cluster) resetProducer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.producer != nil {
		c.mu.producer.Close()
		c.mu.producer = nil
	}
}

func opContext(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), opTimeout)
}

// CreateTopic creates topic with partitions partitions.
func (c *Cluster) CreateTopic(t testing.TB, topic string, partitions int) {
	t.Helper()
	ctx, cancel := opContext(t)
	defer cancel()
	resp, err := kadm.NewClient(c.producer(t)).CreateTopic(ctx, int32(partitions), -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("kafkatest: create topic %s with %d partitions: %v", topic, partitions, err)
	}
}

// AddPartitions grows topic to total partitions.
func (c *Cluster) AddPartitions(t testing.TB, topic string, total int) {
	t.Helper()
	ctx, cancel := opContext(t)
	defer cancel()
	resps, err := kadm.NewClient(c.producer(t)).UpdatePartitions(ctx, total, topic)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: grow topic %s to %d partitions: %v", topic, total, err)
	}
	// The shared client's metadata still has the old partition count;
	// franz-go would fail records for the new partitions until it
	// refreshes.
	c.resetProducer()
}

// Produce writes recs synchronously, each to the topic and partition it
// names (Record.Partition; 0 if unset), and fails the test on any error.
func (c *Cluster) Produce(t testing.TB, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := opContext(t)
	defer cancel()
	if err := c.producer(t).ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("kafkatest: produce %d records: %v", len(recs), err)
	}
}

// ReadCommitted reads topic with isolation level read_committed from the
// start of every partition to its current last stable offset, and returns
// the records ordered by partition, then offset. Records of aborted
// transactions and of transactions still open are not returned; a record
// produced after a still open transaction began is not either (it lies
// past the last stable offset).
func (c *Cluster) ReadCommitted(t testing.TB, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := opContext(t)
	defer cancel()
	adm := kadm.NewClient(c.producer(t))
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: list start offsets of %s: %v", topic, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: list last stable offsets of %s: %v", topic, err)
	}
	if len(ends[topic]) == 0 {
		t.Fatalf("kafkatest: topic %s does not exist", topic)
	}

	from := map[int32]kgo.Offset{}
	want := map[int32]int64{} // partition -> offset to reach
	for p, end := range ends[topic] {
		start := starts[topic][p].Offset
		if end.Offset > start {
			from[p] = kgo.NewOffset().At(start)
			want[p] = end.Offset
		}
	}
	if len(want) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(c.baseOpts(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records (transaction markers) take offsets; keeping
		// them shows when a partition is read up to its end even if
		// the last transaction there was aborted.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		t.Fatalf("kafkatest: new client: %v", err)
	}
	defer cl.Close()

	byPart := map[int32][]*kgo.Record{}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("kafkatest: read_committed %s: partitions %v not read to their last stable offsets %v within %v", topic, slices.Sorted(maps.Keys(want)), want, opTimeout)
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				ferr = errors.Join(ferr, err)
			}
		})
		if ferr != nil {
			t.Fatalf("kafkatest: read_committed %s: %v", topic, ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			if !r.Attrs.IsControl() {
				byPart[r.Partition] = append(byPart[r.Partition], r)
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	var out []*kgo.Record
	for _, p := range slices.Sorted(maps.Keys(byPart)) {
		out = append(out, byPart[p]...)
	}
	return out
}
