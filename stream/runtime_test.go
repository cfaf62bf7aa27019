package stream_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/stream"
)

// slowSink blocks every write until the test lets it through.
type slowSink struct {
	written *atomic.Int64
	delay   time.Duration
}

type slowWriter struct{ s slowSink }

func (s slowSink) CreateWriter(sink.InitContext) (sink.Writer[int64], error) {
	return &slowWriter{s}, nil
}
func (w *slowWriter) Write(int64, sink.Context) error {
	time.Sleep(w.s.delay)
	w.s.written.Add(1)
	return nil
}
func (w *slowWriter) Flush(bool) error { return nil }
func (w *slowWriter) Close() error     { return nil }

// A fast unbounded source feeding a slow sink through a network exchange
// must be throttled: the records in flight stay within what the bounded
// queues and per-channel batches can hold.
func TestBackpressureBoundsInFlightRecords(t *testing.T) {
	defer goleak.VerifyNone(t)
	const batch, buffers, p = 16, 2, 2
	cfg := config.New()
	config.SetValue(cfg, config.BatchSize, batch)
	config.SetValue(cfg, config.BuffersPerChannel, buffers)
	env := stream.NewEnvironment(cfg).SetParallelism(p)

	var emitted, written atomic.Int64
	nums := stream.FromSource(env, datagen.New(-1, func(i int64) (int64, error) { return i, nil }), eventtime.NoWatermarks[int64](), "fast")
	counted := stream.Map(nums, func(v int64) (int64, error) { emitted.Add(1); return v, nil })
	stream.SinkTo(counted.Rebalance(), slowSink{written: &written, delay: time.Millisecond})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx, "backpressure") }()

	// Per producer subtask: a pending batch per channel, a full queue per
	// channel, and one batch the consumer is working on; plus one source
	// poll (datagen emits up to 1024 records per poll) per producer.
	limit := int64(p * (p*(buffers+1)*batch + batch + 1024))
	deadline := time.Now().Add(1500 * time.Millisecond)
	var maxInFlight int64
	for time.Now().Before(deadline) {
		inFlight := emitted.Load() - written.Load()
		maxInFlight = max(maxInFlight, inFlight)
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute after cancel = %v, want context.Canceled", err)
	}
	if written.Load() == 0 {
		t.Fatal("sink wrote nothing")
	}
	if maxInFlight > limit {
		t.Fatalf("%d records in flight, more than the queues can hold (%d): backpressure does not throttle the source", maxInFlight, limit)
	}
	t.Logf("emitted %d, written %d, max in flight %d (limit %d)", emitted.Load(), written.Load(), maxInFlight, limit)
}

// With a buffer timeout, a slow trickle of records still reaches the sink
// without waiting for batches to fill; with the timeout disabled the same
// trickle stays in its partly filled batch.
func TestBufferTimeoutFlushesPartialBatches(t *testing.T) {
	defer goleak.VerifyNone(t)
	trickle := func(enabled bool, wait time.Duration) int64 {
		cfg := config.New()
		config.SetValue(cfg, config.BufferTimeout, 20*time.Millisecond)
		config.SetValue(cfg, config.BufferTimeoutEnabled, enabled)
		env := stream.NewEnvironment(cfg).SetParallelism(1)
		var written atomic.Int64
		nums := stream.FromSource(env, datagen.New(-1, func(i int64) (int64, error) { return i, nil }, datagen.WithRateLimit(200)), eventtime.NoWatermarks[int64](), "trickle")
		stream.SinkTo(nums.Rebalance(), slowSink{written: &written}).DisableChaining()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- env.Execute(ctx, "trickle") }()
		deadline := time.Now().Add(wait)
		for written.Load() < 5 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		return written.Load()
	}
	if n := trickle(true, 5*time.Second); n < 5 {
		t.Fatalf("only %d records crossed the exchange in 5s at 200/s: partial batches are not flushed", n)
	}
	if n := trickle(false, 300*time.Millisecond); n != 0 {
		t.Fatalf("%d records crossed with the buffer timeout disabled; batches of 1024 cannot fill in 300ms at 200/s", n)
	}
}
