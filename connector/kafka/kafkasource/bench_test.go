package kafkasource

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

const (
	benchRecords    = 120_000
	benchRecordSize = 100
	benchPartitions = 3
	benchTopic      = "bench"
)

// bench is one kfake cluster holding benchRecords records of
// benchRecordSize bytes, shared by both benchmarks so that they read the
// same data from the same brokers. It is made on first use, outside the
// timed loops, and closed by TestMain.
var bench struct {
	once    sync.Once
	cluster *kfake.Cluster
	brokers []string
	err     error
}

func benchBrokers(b *testing.B) []string {
	b.Helper()
	bench.once.Do(func() { bench.cluster, bench.brokers, bench.err = startBenchCluster() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.brokers
}

func startBenchCluster() (*kfake.Cluster, []string, error) {
	kf, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(benchPartitions, benchTopic))
	if err != nil {
		return nil, nil, err
	}
	brokers := kf.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		kf.Close()
		return nil, nil, err
	}
	defer cl.Close()
	value := make([]byte, benchRecordSize)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	recs := make([]*kgo.Record, benchRecords)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: benchTopic, Partition: int32(i % benchPartitions), Value: value}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		kf.Close()
		return nil, nil, err
	}
	return kf, brokers, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.cluster != nil {
		bench.cluster.Close()
	}
	os.Exit(code)
}

// countOutput is a ReaderOutput that only counts, so the benchmark
// measures the source.
type countOutput struct {
	n, bytes int
}

func (o *countOutput) Collect(v []byte)                                        { o.n++; o.bytes += len(v) }
func (o *countOutput) CollectWithTimestamp(v []byte, _ int64)                  { o.n++; o.bytes += len(v) }
func (o *countOutput) EmitWatermark(int64)                                     {}
func (o *countOutput) MarkIdle()                                               {}
func (o *countOutput) MarkActive()                                             {}
func (o *countOutput) CollectSide(string, any, int64)                          {}
func (o *countOutput) CreateOutputForSplit(string) source.SourceOutput[[]byte] { return o }
func (o *countOutput) ReleaseOutputForSplit(string)                            {}

func benchSplits() []Split {
	splits := make([]Split, benchPartitions)
	for p := range splits {
		splits[p] = Split{TopicPartition: tp(benchTopic, int32(p)), StartingOffset: 0, StoppingOffset: benchRecords / benchPartitions}
	}
	return splits
}

// BenchmarkSource reads the pre-produced records with one reader of the
// source (its fetcher deserializing with Bytes, the caller emitting), from
// a fresh client each time, as a restarted job would.
func BenchmarkSource(b *testing.B) {
	brokers := benchBrokers(b)
	src := New(kafka.Properties{"bootstrap.servers": strings.Join(brokers, ",")}, Bytes()).Topics(benchTopic).Bounded(Latest())
	b.SetBytes(benchRecords * benchRecordSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := src.CreateReader(sourcetest.NewReaderContext(0, 1))
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Start(); err != nil {
			b.Fatal(err)
		}
		r.AddSplits(benchSplits())
		r.NotifyNoMoreSplits()
		out := &countOutput{}
		for {
			st, err := r.PollNext(out)
			if err != nil {
				b.Fatal(err)
			}
			if st == source.EndOfInput {
				break
			}
			if st == source.NothingAvailable {
				<-r.IsAvailable()
			}
		}
		if out.n != benchRecords || out.bytes != benchRecords*benchRecordSize {
			b.Fatalf("read %d records, %d bytes", out.n, out.bytes)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBareFranzGo reads the same records with a bare franz-go poll
// loop: the ceiling the source is measured against.
func BenchmarkBareFranzGo(b *testing.B) {
	brokers := benchBrokers(b)
	b.SetBytes(benchRecords * benchRecordSize)
	b.ReportAllocs()
	offsets := map[string]map[int32]kgo.Offset{benchTopic: {}}
	for p := range benchPartitions {
		offsets[benchTopic][int32(p)] = kgo.NewOffset().AtStart()
	}
	for b.Loop() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(offsets),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		n, size := 0, 0
		for n < benchRecords {
			fs := cl.PollRecords(b.Context(), maxPollRecords)
			if err := fs.Err0(); err != nil {
				b.Fatal(err)
			}
			fs.EachRecord(func(r *kgo.Record) { n++; size += len(r.Value) })
		}
		if n != benchRecords || size != benchRecords*benchRecordSize {
			b.Fatalf("read %d records, %d bytes", n, size)
		}
		cl.Close()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}
