package stream_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/filesink"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/stream"
)

// restoreProbe is a two-phase file sink that records what each writer's
// InitContext says about the restored checkpoint.
type restoreProbe struct {
	*filesink.Sink[string]
	mu   sync.Mutex
	seen []restoredAt
}

type restoredAt struct {
	id int64
	ok bool
}

func (p *restoreProbe) CreateWriter(ctx sink.InitContext) (sink.Writer[string], error) {
	id, ok := sink.RestoredCheckpointID(ctx)
	p.mu.Lock()
	p.seen = append(p.seen, restoredAt{id, ok})
	p.mu.Unlock()
	return p.Sink.CreateWriter(ctx)
}

// A writer learns the checkpoint its subtask was restored from (writers
// number external resources after it), and that a first start restored
// nothing.
func TestSinkWriterSeesRestoredCheckpoint(t *testing.T) {
	const n = 2000
	env := checkpointedEnv(t, 1, map[string]string{
		"restart-strategy.type":                 "fixed-delay",
		"restart-strategy.fixed-delay.attempts": "2",
		"restart-strategy.fixed-delay.delay":    "10ms",
	})
	nums := stream.FromSource(env, datagen.New(n, func(i int64) (int64, error) { return i, nil }, datagen.WithRateLimit(n)),
		eventtime.NoWatermarks[int64](), "nums")
	var failed atomic.Bool
	lines := stream.Map(nums, func(v int64) (string, error) {
		if v == n/2 && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return strconv.FormatInt(v, 10), nil
	})
	probe := &restoreProbe{Sink: filesink.New(t.TempDir(), filesink.StringLines())}
	stream.SinkTo(lines, probe)
	execute(t, env)
	if !failed.Load() {
		t.Fatal("the injected failure never happened")
	}
	probe.mu.Lock()
	defer probe.mu.Unlock()
	if len(probe.seen) != 2 || probe.seen[0].ok || !probe.seen[1].ok || probe.seen[1].id < 1 {
		t.Fatalf("writers saw restored checkpoints %+v; want none, then the checkpoint restored after the failure", probe.seen)
	}
}
