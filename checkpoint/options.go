package checkpoint

import (
	"errors"
	"fmt"
	"time"

	"github.com/weirstream/weir/config"
)

// Mode is the consistency a checkpoint guarantees on restore.
type Mode int

const (
	// ExactlyOnce aligns barriers: every record is reflected in the state
	// exactly once after a restore.
	ExactlyOnce Mode = iota
	// AtLeastOnce does not block channels whose barrier arrived, so records
	// after the barrier may be in the state and be replayed after a restore.
	AtLeastOnce
)

func (m Mode) String() string {
	if m == AtLeastOnce {
		return "AT_LEAST_ONCE"
	}
	return "EXACTLY_ONCE"
}

// Retention says what happens to retained checkpoints when the job ends
// (Flink's ExternalizedCheckpointRetention).
type Retention int

const (
	// NoExternalizedCheckpoints deletes the retained checkpoints when the
	// job reaches any terminal state (finished, cancelled, failed). A
	// process that is killed leaves them behind, so recovery still works.
	NoExternalizedCheckpoints Retention = iota
	// RetainOnCancellation keeps them whatever the end.
	RetainOnCancellation
	// DeleteOnCancellation deletes them when the job is cancelled or
	// finishes, and keeps them when it fails.
	DeleteOnCancellation
)

var retentionNames = [...]string{"NO_EXTERNALIZED_CHECKPOINTS", "RETAIN_ON_CANCELLATION", "DELETE_ON_CANCELLATION"}

func (r Retention) String() string {
	if int(r) < len(retentionNames) {
		return retentionNames[r]
	}
	return fmt.Sprintf("Retention(%d)", int(r))
}

// ClaimMode says who owns the snapshot a job was restored from.
type ClaimMode int

const (
	// NoClaim leaves the snapshot to the user: weir never deletes it, so
	// several jobs may start from the same one.
	NoClaim ClaimMode = iota
	// Claim hands the snapshot to the job, which deletes it once newer
	// checkpoints subsume it, like any checkpoint it took itself.
	Claim
)

func (c ClaimMode) String() string {
	if c == Claim {
		return "CLAIM"
	}
	return "NO_CLAIM"
}

// minTime is Flink's lower bound for the interval and the timeout: below
// it the coordinator would do little but trigger and expire checkpoints.
const minTime = 10 * time.Millisecond

// Checkpointing options. Keys, defaults and semantics are Flink's.
var (
	Interval = config.Duration("execution.checkpointing.interval", 0,
		"How often a checkpoint is triggered. 0 (the default) disables periodic checkpoints; "+
			"savepoints can still be taken. Must be at least 10 ms when set.").
		WithValidator(func(d time.Duration) error {
			if d != 0 && d < minTime {
				return errors.New("must be 0 (disabled) or at least 10 ms")
			}
			return nil
		})

	CheckpointingMode = config.Enum("execution.checkpointing.mode", "EXACTLY_ONCE",
		[]string{"EXACTLY_ONCE", "AT_LEAST_ONCE"},
		"EXACTLY_ONCE aligns checkpoint barriers, so after a restore every record is reflected in state exactly once. "+
			"AT_LEAST_ONCE never blocks an input for alignment (lower latency under skew); records may be replayed after a restore.")

	Timeout = config.Duration("execution.checkpointing.timeout", 10*time.Minute,
		"Longest a checkpoint or savepoint may take, from its trigger until its metadata is written; "+
			"after that it is aborted and counts as a failed checkpoint.").
		WithValidator(func(d time.Duration) error {
			if d < minTime {
				return errors.New("must be at least 10 ms")
			}
			return nil
		})

	MinPause = config.Duration("execution.checkpointing.min-pause", 0,
		"Least time between the end of one checkpoint and the trigger of the next, so a job that checkpoints slowly "+
			"still makes progress in between. Savepoints are not delayed by it. Requires max-concurrent-checkpoints 1.")

	MaxConcurrent = config.Int("execution.checkpointing.max-concurrent-checkpoints", 1,
		"How many periodic checkpoints may be in progress at once. A due checkpoint waits until one completes. "+
			"Savepoints are not limited by it.").
		WithValidator(atLeast(1))

	TolerableFailures = config.Int("execution.checkpointing.tolerable-failed-checkpoints", 0,
		"How many checkpoints in a row may fail (decline, time out, fail to persist) before the job fails over. "+
			"0 fails the job on the first failed checkpoint. Savepoint failures do not count.").
		WithValidator(atLeast(0))

	Unaligned = config.Bool("execution.checkpointing.unaligned", false,
		"Unaligned checkpoints: a subtask snapshots on the first barrier, barriers overtake queued records, and the "+
			"overtaken in-flight records are stored in the checkpoint and replayed on restore. Checkpoint time then "+
			"stays short under backpressure. Requires EXACTLY_ONCE and max-concurrent-checkpoints 1. Savepoints are always aligned.")

	AlignedTimeout = config.Duration("execution.checkpointing.aligned-checkpoint-timeout", 0,
		"With unaligned checkpoints: a checkpoint starts aligned and switches to unaligned for a subtask "+
			"whose alignment takes longer than this. 0 starts unaligned at once.")

	ExternalizedRetention = config.Enum("execution.checkpointing.externalized-checkpoint-retention",
		"NO_EXTERNALIZED_CHECKPOINTS", retentionNames[:],
		"What becomes of the retained checkpoints when the job ends. NO_EXTERNALIZED_CHECKPOINTS deletes them "+
			"when the job finishes, is cancelled or fails for good (a killed process leaves them, so recovery works); "+
			"RETAIN_ON_CANCELLATION keeps them always (delete them yourself); DELETE_ON_CANCELLATION keeps them only when the job fails.")

	NumRetained = config.Int("state.checkpoints.num-retained", 1,
		"How many completed checkpoints are kept; older ones are deleted when a newer one completes. "+
			"Recovery falls back to an older retained checkpoint when the newest is unreadable.").
		WithValidator(atLeast(1))

	CheckpointsDir = config.String("state.checkpoints.dir", "",
		"Where checkpoints are written: <dir>/<job-id>/chk-<n>/ holds the state files and _metadata. "+
			"A path or a URL: file:///path, mem://name (process memory, lost on exit), s3://bucket/prefix. "+
			"Empty means file://<temp dir>/weir-checkpoints (file:///tmp/weir-checkpoints on Linux).").
		WithValidator(func(s string) error { _, err := NormalizeDir(s); return err })

	SavepointsDir = config.String("state.savepoints.dir", "",
		"Default target directory of savepoints (a path or a URL as for state.checkpoints.dir); "+
			"each savepoint gets its own savepoint-<job>-<random> directory below it. "+
			"Empty means a savepoint must be given a directory explicitly.").
		WithValidator(func(s string) error { _, err := NormalizeDir(s); return err })

	AfterTasksFinish = config.Bool("execution.checkpointing.checkpoints-after-tasks-finish", true,
		"Keep checkpointing when some tasks have finished (bounded input), and take a final checkpoint once all "+
			"input has ended, so two-phase-commit sinks commit all their output. If false, checkpoints stop as soon as a task finishes.")

	RestorePath = config.String("execution.savepoint.path", "",
		"Savepoint or retained checkpoint to start the job from: its directory or its _metadata file, "+
			"as a path or a URL (what -s PATH sets).")

	IgnoreUnclaimedState = config.Bool("execution.savepoint.ignore-unclaimed-state", false,
		"Allow restoring from a snapshot that holds state of operators the job no longer has "+
			"(--allowNonRestoredState); that state is dropped. If false such a restore fails.")

	RestoreMode = config.Enum("execution.savepoint-restore-mode", "NO_CLAIM", []string{"CLAIM", "NO_CLAIM"},
		"Who owns the snapshot the job starts from. NO_CLAIM: the user; weir never deletes it. "+
			"CLAIM: the job; it is deleted once newer checkpoints subsume it.")
)

func atLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return fmt.Errorf("must be >= %d", n)
		}
		return nil
	}
}

// Options are the checkpointing settings of one job, read from a
// configuration by [OptionsFrom].
type Options struct {
	// Interval between periodic checkpoints; 0 disables them.
	Interval          time.Duration
	Mode              Mode
	Timeout           time.Duration
	MinPause          time.Duration
	MaxConcurrent     int
	TolerableFailures int
	Unaligned         bool
	// AlignedTimeout, with Unaligned, is how long a subtask aligns before
	// it switches to unaligned; 0 is unaligned from the start.
	AlignedTimeout   time.Duration
	Retention        Retention
	NumRetained      int
	AfterTasksFinish bool

	// CheckpointsDir is a normalized URL (see [NormalizeDir]).
	CheckpointsDir string
	// SavepointsDir is a normalized URL, or empty.
	SavepointsDir string

	// RestorePath is the snapshot to start from as given, or empty.
	RestorePath          string
	IgnoreUnclaimedState bool
	ClaimMode            ClaimMode
}

// DefaultOptions are the options of an empty configuration.
func DefaultOptions() Options {
	o, err := OptionsFrom(nil)
	if err != nil { // the defaults are consistent; TestOptionsDefaults checks it
		panic(err)
	}
	return o
}

// Enabled reports whether periodic checkpoints are on.
func (o Options) Enabled() bool { return o.Interval > 0 }

// ErrBadOptions is wrapped by errors for combinations of options that do
// not work together.
var ErrBadOptions = errors.New("checkpoint: conflicting options")

// OptionsFrom reads the checkpointing options of cfg (nil means all
// defaults) and checks that they work together.
func OptionsFrom(cfg *config.Configuration) (Options, error) {
	o := Options{
		Interval:             config.Get(cfg, Interval),
		Timeout:              config.Get(cfg, Timeout),
		MinPause:             config.Get(cfg, MinPause),
		MaxConcurrent:        config.Get(cfg, MaxConcurrent),
		TolerableFailures:    config.Get(cfg, TolerableFailures),
		Unaligned:            config.Get(cfg, Unaligned),
		AlignedTimeout:       config.Get(cfg, AlignedTimeout),
		NumRetained:          config.Get(cfg, NumRetained),
		AfterTasksFinish:     config.Get(cfg, AfterTasksFinish),
		RestorePath:          config.Get(cfg, RestorePath),
		IgnoreUnclaimedState: config.Get(cfg, IgnoreUnclaimedState),
	}
	if config.Get(cfg, CheckpointingMode) == "AT_LEAST_ONCE" {
		o.Mode = AtLeastOnce
	}
	for i, n := range retentionNames {
		if config.Get(cfg, ExternalizedRetention) == n {
			o.Retention = Retention(i)
		}
	}
	if config.Get(cfg, RestoreMode) == "CLAIM" {
		o.ClaimMode = Claim
	}
	var err error
	if o.CheckpointsDir, err = NormalizeDir(config.Get(cfg, CheckpointsDir)); err != nil {
		return Options{}, fmt.Errorf("checkpoint: %s: %w", CheckpointsDir.Key(), err)
	}
	if o.CheckpointsDir == "" {
		o.CheckpointsDir = DefaultCheckpointsDir()
	}
	if o.SavepointsDir, err = NormalizeDir(config.Get(cfg, SavepointsDir)); err != nil {
		return Options{}, fmt.Errorf("checkpoint: %s: %w", SavepointsDir.Key(), err)
	}
	return o, o.Validate()
}

// Validate reports combinations of options that cannot work together,
// saying which keys to change.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrBadOptions}, args...)...))
	}
	if o.Unaligned && o.Mode != ExactlyOnce {
		bad("%s is true but %s is AT_LEAST_ONCE; unaligned checkpoints exist only for EXACTLY_ONCE: set the mode to EXACTLY_ONCE or turn unaligned off",
			Unaligned.Key(), CheckpointingMode.Key())
	}
	if o.Unaligned && o.MaxConcurrent > 1 {
		bad("%s is true but %s is %d; concurrent unaligned checkpoints are not supported: set it to 1",
			Unaligned.Key(), MaxConcurrent.Key(), o.MaxConcurrent)
	}
	if o.AlignedTimeout > 0 && !o.Unaligned {
		bad("%s is set but %s is false; the timeout switches aligned checkpoints to unaligned, so enable unaligned checkpoints or remove the timeout",
			AlignedTimeout.Key(), Unaligned.Key())
	}
	if o.MinPause > 0 && o.MaxConcurrent > 1 {
		bad("%s is set but %s is %d; a pause between checkpoints implies one at a time: set max-concurrent-checkpoints to 1 or min-pause to 0",
			MinPause.Key(), MaxConcurrent.Key(), o.MaxConcurrent)
	}
	if o.Timeout < minTime {
		bad("%s must be at least 10 ms", Timeout.Key())
	}
	if o.MaxConcurrent < 1 {
		bad("%s must be at least 1", MaxConcurrent.Key())
	}
	if o.NumRetained < 1 {
		bad("%s must be at least 1", NumRetained.Key())
	}
	if o.TolerableFailures < 0 {
		bad("%s must not be negative", TolerableFailures.Key())
	}
	return errors.Join(errs...)
}
