package kafkasource

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka/kafkatest"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

// newCluster starts a 3-broker kfake cluster for the test.
func newCluster(t testing.TB) *kafkatest.Cluster {
	t.Helper()
	return kafkatest.NewCluster(t, 3)
}

// produceValues writes n records "topic/p/i" round-robin over partitions
// of topic, with timestamps base+i ms, and returns their values.
func produceValues(t testing.TB, c *kafkatest.Cluster, topic string, partitions, n int, base time.Time) []string {
	t.Helper()
	recs := make([]*kgo.Record, n)
	vals := make([]string, n)
	for i := range n {
		p := int32(i % partitions)
		vals[i] = fmt.Sprintf("%s/%d/%d", topic, p, i)
		recs[i] = &kgo.Record{Topic: topic, Partition: p, Value: []byte(vals[i]), Timestamp: base.Add(time.Duration(i) * time.Millisecond)}
	}
	c.Produce(t, recs...)
	return vals
}

// newSource is a source of strings with fast probing, for tests.
func newSource(c *kafkatest.Cluster) *Source[string] {
	s := New(c.Properties(), String())
	s.probeAfter = 50 * time.Millisecond
	return s
}

// runBounded runs src with parallelism readers to the end and returns the
// records.
func runBounded(t *testing.T, src *Source[string], parallelism int) []string {
	t.Helper()
	j, err := sourcetest.Run(t, src, eventtime.NoWatermarks[string](), parallelism, sourcetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return j.AllRecords()
}

// startEnumerator creates and starts src's enumerator on a recording
// context; it is closed when the test ends.
func startEnumerator(t *testing.T, src *Source[string], parallelism int) (source.SplitEnumerator[Split, EnumeratorState], *sourcetest.EnumContext[Split]) {
	t.Helper()
	e, ctx := sourcetest.StartEnumerator(t, src, parallelism)
	t.Cleanup(func() { _ = e.Close() })
	return e, ctx
}

// settle runs every CallAsync registration once, including those the
// handlers register meanwhile, then forgets the one-shot ones: one round
// of periodic discovery and everything it triggers.
func settle(ctx *sourcetest.EnumContext[Split]) error {
	for i := 0; i < len(ctx.Async); i++ {
		a := ctx.Async[i]
		v, err := a.Callable()
		if err := a.Handler(v, err); err != nil {
			return err
		}
	}
	ctx.Async = slices.DeleteFunc(ctx.Async, func(a sourcetest.AsyncCall) bool { return a.Period == 0 })
	return nil
}

// assignedSplits flattens the assignments, sorted.
func assignedSplits(ctx *sourcetest.EnumContext[Split]) []Split {
	var all []Split
	for _, splits := range ctx.Assigned {
		all = append(all, splits...)
	}
	sortSplits(all)
	return all
}

func tp(topic string, p int32) TopicPartition { return TopicPartition{Topic: topic, Partition: p} }

// commitOffsets commits offsets for group through kadm.
func commitOffsets(t testing.TB, c *kafkatest.Cluster, group string, offs map[TopicPartition]int64) {
	t.Helper()
	os := make(kadm.Offsets)
	for tp, o := range offs {
		os.AddOffset(tp.Topic, tp.Partition, o, -1)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resps, err := kadm.NewClient(c.Client(t)).CommitOffsets(ctx, group, os)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("commit offsets: %v", err)
	}
}

// committedOffsets reads group's committed offsets.
func committedOffsets(t testing.TB, c *kafkatest.Cluster, group string) map[TopicPartition]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resps, err := kadm.NewClient(c.Client(t)).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	out := map[TopicPartition]int64{}
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			out[tp(o.Topic, o.Partition)] = o.At
		}
	})
	return out
}

// txnProducer is a transactional producer of topic's partition 0.
type txnProducer struct {
	t  testing.TB
	cl *kgo.Client
}

func newTxnProducer(t testing.TB, c *kafkatest.Cluster, id string) *txnProducer {
	return &txnProducer{t: t, cl: c.Client(t, kgo.TransactionalID(id))}
}

func (p *txnProducer) begin() {
	p.t.Helper()
	if err := p.cl.BeginTransaction(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *txnProducer) produce(topic string, values ...string) {
	p.t.Helper()
	for _, v := range values {
		if err := p.cl.ProduceSync(p.t.Context(), &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			p.t.Fatal(err)
		}
	}
}

func (p *txnProducer) end(commit bool) {
	p.t.Helper()
	// Not the test's context: end may run in a cleanup, after it is done.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		p.t.Fatal(err)
	}
}
