package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/stream"
)

// discard is a sink that only counts, so benchmarks measure the engine.
type discard[T any] struct{}

type discardWriter[T any] struct{ n int64 }

func (discard[T]) CreateWriter(sink.InitContext) (sink.Writer[T], error) {
	return &discardWriter[T]{}, nil
}
func (w *discardWriter[T]) Write(T, sink.Context) error { w.n++; return nil }
func (w *discardWriter[T]) Flush(bool) error            { return nil }
func (w *discardWriter[T]) Close() error                { return nil }

func benchEnv(p int) *stream.Environment {
	return stream.NewEnvironment(nil).SetParallelism(p).
		SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func runBench(b *testing.B, env *stream.Environment) {
	b.Helper()
	start := time.Now()
	if err := env.Execute(context.Background(), b.Name()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkMapFilter is the stateless path: generator -> map -> filter ->
// sink, all chained in one subtask per parallel instance.
func BenchmarkMapFilter(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			env := benchEnv(p)
			nums := stream.FromSource(env, datagen.Sequence(0, int64(b.N)-1), eventtime.NoWatermarks[int64](), "numbers")
			doubled := stream.Map(nums, func(v int64) (int64, error) { return v * 2, nil })
			kept := stream.Filter(doubled, func(v int64) (bool, error) { return v%3 != 0, nil })
			stream.SinkTo(kept, discard[int64]{})
			b.ResetTimer()
			runBench(b, env)
		})
	}
}

// BenchmarkKeyedReduce is the record path with a shuffle: generator -> map
// -> keyBy -> reduce -> sink; records cross subtasks in batches.
func BenchmarkKeyedReduce(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			env := benchEnv(p)
			nums := stream.FromSource(env, datagen.Sequence(0, int64(b.N)-1), eventtime.NoWatermarks[int64](), "numbers")
			pairs := stream.Map(nums, func(v int64) (kv, error) { return kv{K: v % 1024, V: v}, nil })
			sums := stream.Reduce(stream.KeyBy(pairs, func(p kv) int64 { return p.K }), func(a, b kv) (kv, error) {
				return kv{K: a.K, V: a.V + b.V}, nil
			})
			stream.SinkTo(sums, discard[kv]{})
			b.ResetTimer()
			runBench(b, env)
		})
	}
}

type kv struct{ K, V int64 }
