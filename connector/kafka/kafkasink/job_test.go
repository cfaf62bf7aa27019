package kafkasink_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/kafka/kafkasink"
	"github.com/weirstream/weir/connector/kafka/kafkatest"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

// A checkpointed job writes 0..n-1 through the sink at parallelism 2 and
// fails once half-way; it restarts from its latest checkpoint (the restore
// commits what that checkpoint pre-committed and aborts the failed
// attempt's transactions). read_committed readers then see every number
// exactly once with exactly-once, at least once with at-least-once, and no
// open transaction is left behind.
func TestJobWithFailure(t *testing.T) {
	const n = 2000
	c := kafkatest.NewCluster(t, 3)
	for _, g := range []kafkasink.DeliveryGuarantee{kafkasink.AtLeastOnce, kafkasink.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			topic := "job-" + g.String()
			c.CreateTopic(t, topic, 3)
			env := stream.NewEnvironment(nil).SetParallelism(2).SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
			for k, v := range map[string]string{
				"execution.checkpointing.interval":      "100ms",
				"state.checkpoints.dir":                 t.TempDir(),
				"rest.port":                             "0",
				"restart-strategy.type":                 "fixed-delay",
				"restart-strategy.fixed-delay.attempts": "2",
				"restart-strategy.fixed-delay.delay":    "10ms",
			} {
				if err := env.Config().Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			nums := stream.FromSource(env, datagen.New(n, func(i int64) (int64, error) { return i, nil }, datagen.WithRateLimit(n)),
				eventtime.NoWatermarks[int64](), "nums")
			var failed atomic.Bool
			strs := stream.Map(nums, func(v int64) (string, error) {
				if v == n/2 && failed.CompareAndSwap(false, true) {
					panic("injected failure")
				}
				return strconv.FormatInt(v, 10), nil
			})
			stream.SinkTo(strs, kafkasink.New(c.Properties(), kafkasink.StringValues(topic),
				kafkasink.WithDeliveryGuarantee(g), kafkasink.WithTransactionalIDPrefix("job"))).Name("Kafka").UID("kafka")
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if err := env.Execute(ctx, "kafka-sink-test"); err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if !failed.Load() {
				t.Fatal("the injected failure never happened")
			}
			counts := map[string]int{}
			for _, r := range c.ReadCommitted(t, topic) {
				counts[string(r.Value)]++
			}
			dups := 0
			for _, v := range numbered(0, n) {
				switch k := counts[v]; {
				case k == 0:
					t.Fatalf("%s is missing", v)
				case k > 1 && g == kafkasink.ExactlyOnce:
					t.Fatalf("%s is there %d times", v, k)
				case k > 1:
					dups++
				}
				delete(counts, v)
			}
			if len(counts) > 0 {
				t.Fatalf("unexpected records %v", counts)
			}
			t.Logf("%d numbers written more than once", dups)
			unblocked(t, c, topic)
			if open := openTransactions(t, c); len(open) > 0 {
				t.Fatalf("transactions left open: %v", open)
			}
		})
	}
}
