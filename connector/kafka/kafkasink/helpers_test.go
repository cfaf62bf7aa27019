package kafkasink_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/kafka/kafkatest"
	"github.com/weirstream/weir/sink"
)

// initCtx is the InitContext of one writer; restored < 0 is a fresh start.
type initCtx struct {
	sub, par int
	cfg      *config.Configuration
	restored int64
}

func (c initCtx) SubtaskIndex() int             { return c.sub }
func (c initCtx) Parallelism() int              { return c.par }
func (c initCtx) AttemptNumber() int            { return 0 }
func (c initCtx) Config() *config.Configuration { return c.cfg }
func (c initCtx) Now() int64                    { return time.Now().UnixMilli() }
func (c initCtx) RestoredCheckpointID() (int64, bool) {
	return c.restored, c.restored >= 0
}

var _ sink.RestoredContext = initCtx{}

// checkpointing returns a job configuration checkpointing every interval.
func checkpointing(t testing.TB, interval string) *config.Configuration {
	t.Helper()
	cfg := config.New()
	if err := cfg.Set("execution.checkpointing.interval", interval); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fresh is subtask sub of par on a fresh start of a job checkpointing
// every 10 s.
func fresh(t testing.TB, sub, par int) initCtx {
	return initCtx{sub: sub, par: par, cfg: checkpointing(t, "10s"), restored: -1}
}

func values(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

// numbered returns "<from>" .. "<to-1>".
func numbered(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func sameSet(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// openTransactions lists the transactional ids with an open transaction.
func openTransactions(t testing.TB, c *kafkatest.Cluster) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	txns, err := kadm.NewClient(c.Client(t)).ListTransactions(ctx, nil, []string{"Ongoing"})
	if err != nil {
		t.Fatalf("list transactions: %v", err)
	}
	return slices.Sorted(maps.Keys(txns))
}

// lingering leaves transaction id open with records vals in topic, as a
// process killed after writing them would: the client is closed without
// ending the transaction. It returns the producer id and epoch.
func lingering(t testing.TB, c *kafkatest.Cluster, id, topic string, vals []string, opts ...kgo.Opt) (int64, int16) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers()...), kgo.TransactionalID(id)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, v := range vals {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce into lingering transaction %s: %v", id, err)
		}
	}
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return pid, epoch
}

// unblocked fails t unless every partition of topic has its last stable
// offset at its end: no open transaction holds read_committed readers back.
func unblocked(t testing.TB, c *kafkatest.Cluster, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(c.Client(t))
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	stable, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := stable.Lookup(topic, o.Partition)
		if s.Offset != o.Offset {
			t.Errorf("%s partition %d: last stable offset %d, end %d: an open transaction blocks read_committed readers", topic, o.Partition, s.Offset, o.Offset)
		}
	})
}
