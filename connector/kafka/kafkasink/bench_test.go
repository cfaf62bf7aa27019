package kafkasink_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/connector/kafka/kafkasink"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/sink"
)

// The sink's record path against the bare franz-go producer loop writing
// the same 100-byte records to the same 3-broker kfake cluster (one
// cluster for every benchmark of the run, started outside the timed part).
// Exactly-once pre-commits and commits a transaction every
// benchRecordsPerCheckpoint records, as checkpoints would.

const (
	benchValueSize            = 100
	benchRecordsPerCheckpoint = 100_000
)

var bench struct {
	once    sync.Once
	cluster *kfake.Cluster
	err     error
	topics  atomic.Int64
}

// benchCluster returns the shared cluster and a new topic of 3 partitions
// on it, so each run writes into an empty topic.
func benchCluster(b *testing.B) (kafka.Properties, string) {
	b.Helper()
	bench.once.Do(func() {
		bench.cluster, bench.err = kfake.NewCluster(kfake.NumBrokers(3), kfake.DefaultNumPartitions(3), kfake.AllowAutoTopicCreation())
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	topic := "bench-" + strconv.FormatInt(bench.topics.Add(1), 10)
	props := kafka.Properties{"bootstrap.servers": strings.Join(bench.cluster.ListenAddrs(), ",")}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bench.cluster.ListenAddrs()...), kgo.AllowAutoTopicCreation())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	// Creating the topic through a produce keeps it out of the timed part.
	if err := cl.ProduceSync(b.Context(), &kgo.Record{Topic: topic, Value: []byte("warm-up")}).FirstErr(); err != nil {
		b.Fatal(err)
	}
	return props, topic
}

// TestMain stops the benchmarks' cluster once every test and benchmark ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if bench.cluster != nil {
		bench.cluster.Close()
	}
	os.Exit(code)
}

func BenchmarkSink(b *testing.B) {
	value := bytes.Repeat([]byte("v"), benchValueSize)
	for _, g := range []kafkasink.DeliveryGuarantee{kafkasink.AtLeastOnce, kafkasink.ExactlyOnce} {
		b.Run(g.String(), func(b *testing.B) {
			props, topic := benchCluster(b)
			s := kafkasink.New(props, kafkasink.BytesValues(topic),
				kafkasink.WithDeliveryGuarantee(g), kafkasink.WithTransactionalIDPrefix(topic))
			w, err := s.CreateWriter(fresh(b, 0, 1))
			if err != nil {
				b.Fatal(err)
			}
			cw := w.(sink.CommittingWriter[[]byte, kafkasink.Committable])
			cm, err := s.CreateCommitter()
			if err != nil {
				b.Fatal(err)
			}
			defer cm.Close()
			checkpoint := func() {
				cs, err := cw.PrepareCommit()
				if err != nil {
					b.Fatal(err)
				}
				if err := cm.Commit(cs); err != nil {
					b.Fatal(err)
				}
			}
			ctx := sink.Context{Timestamp: eventtime.NoTimestamp}
			b.SetBytes(benchValueSize)
			b.ResetTimer()
			for i := range b.N {
				if err := w.Write(value, ctx); err != nil {
					b.Fatal(err)
				}
				if (i+1)%benchRecordsPerCheckpoint == 0 {
					checkpoint()
				}
			}
			checkpoint()
			if err := w.Flush(true); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkBareFranzGoProducer(b *testing.B) {
	props, topic := benchCluster(b)
	value := bytes.Repeat([]byte("v"), benchValueSize)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(props["bootstrap.servers"], ",")...))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	var failed atomic.Pointer[error]
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			failed.CompareAndSwap(nil, &err)
		}
	}
	ctx := b.Context()
	b.SetBytes(benchValueSize)
	b.ResetTimer()
	for range b.N {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
}
