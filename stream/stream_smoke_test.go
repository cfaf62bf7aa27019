package stream_test

import (
	"context"
	"testing"

	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

func TestSmokeKeyedReduce(t *testing.T) {
	for _, p := range []int{1, 4} {
		env := stream.NewEnvironment(nil).SetParallelism(p)
		nums := stream.FromSource(env, datagen.Sequence(0, 9999), eventtime.NoWatermarks[int64](), "numbers")
		mod := stream.Map(nums, func(v int64) ([2]int64, error) { return [2]int64{v % 10, v}, nil })
		sums := stream.Reduce(stream.KeyBy(mod, func(v [2]int64) int64 { return v[0] }), func(a, b [2]int64) ([2]int64, error) {
			return [2]int64{a[0], a[1] + b[1]}, nil
		})
		out := collect.New[[2]int64]()
		stream.SinkTo(sums, out)
		if err := env.Execute(context.Background(), "smoke"); err != nil {
			t.Fatal(err)
		}
		final := map[int64]int64{}
		for _, v := range out.Values() {
			if v[1] > final[v[0]] {
				final[v[0]] = v[1]
			}
		}
		if out.Len() != 10000 {
			t.Fatalf("p=%d: %d outputs, want 10000", p, out.Len())
		}
		for k := int64(0); k < 10; k++ {
			want := int64(0)
			for v := k; v < 10000; v += 10 {
				want += v
			}
			if final[k] != want {
				t.Fatalf("p=%d key %d: sum %d want %d", p, k, final[k], want)
			}
		}
	}
}
