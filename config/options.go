package config

import (
	"errors"
	"time"
)

// Core engine options. Keys and defaults follow Flink where Flink has the
// same setting, so existing Flink configuration carries over.
var (
	ParallelismDefault = Int("parallelism.default", 1,
		"Parallelism of operators that do not set their own: the number of parallel subtasks each runs as.").
		WithValidator(atLeast(1))

	MaxParallelism = Int("pipeline.max-parallelism", -1,
		"Number of key groups keyed state is split into, and so the upper bound for rescaling a keyed operator. "+
			"-1 derives it from the operator's parallelism p as Flink does: min(max(roundUpPow2(p + p/2), 128), 32768). "+
			"Changing it makes existing keyed state unrestorable.").
		WithValidator(func(v int) error {
			if v != -1 && (v < 1 || v > 1<<15) {
				return errors.New("must be -1 (derive) or between 1 and 32768")
			}
			return nil
		})

	BufferTimeout = Duration("execution.buffer-timeout", 100*time.Millisecond,
		"Longest a partially filled batch waits before it is sent downstream, bounding the latency added by batching. "+
			"0 flushes after every record batch (lowest latency, lowest throughput).")

	BufferTimeoutEnabled = Bool("execution.buffer-timeout.enabled", true,
		"Whether execution.buffer-timeout applies. If false, batches are sent only when full, "+
			"at end of input, or when an event such as a watermark or checkpoint barrier must pass (highest throughput, unbounded latency).")

	AutoWatermarkInterval = Duration("pipeline.auto-watermark-interval", 200*time.Millisecond,
		"How often periodic watermark generators are asked for a new watermark. 0 disables periodic watermarks.")

	OperatorChaining = Bool("pipeline.operator-chaining.enabled", true,
		"Whether forward-connected operators with equal parallelism run fused in one subtask, "+
			"passing records by function call instead of through a channel.")

	PipelineName = String("pipeline.name", "",
		"Job name used in logs and metrics; empty leaves naming to the code that submits the job.")

	BatchSize = Int("execution.batch-size", 1024,
		"Records per batch moved between subtasks (weir specific). A batch is sent when it is full "+
			"or when the buffer timeout expires.").
		WithValidator(atLeast(1))

	BuffersPerChannel = Int("taskmanager.network.memory.buffers-per-channel", 2,
		"Batches a channel queue holds before the sender blocks (backpressure). "+
			"Bounds in-flight data per channel to buffers-per-channel × execution.batch-size records.").
		WithValidator(atLeast(1))

	StateBackendType = Enum("state.backend.type", "hashmap", []string{"hashmap"},
		"Where keyed and operator state lives. hashmap keeps it as objects on the heap of the process.")
)

func atLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return errors.New("must be >= " + formatInt64(int64(n)))
		}
		return nil
	}
}
