package restart

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
)

// Strategy decides, failure by failure, whether a failed job restarts and
// after which delay. Implementations are pure: they read no clock (the
// caller passes the time of each failure) and do no I/O. A Strategy is not
// safe for concurrent use; one goroutine (the one driving the job) owns it.
type Strategy interface {
	// OnFailure records a failure at now and reports whether to restart and
	// how long to wait before restarting. The first call is the job's first
	// failure. Once it returns false the job has failed for good and
	// GiveUpReason explains why.
	OnFailure(now time.Time, err error) (restart bool, delay time.Duration)
	// Describe names the strategy and its settings, for logs and the UI.
	Describe() string
	// GiveUpReason says which strategy and which limit stopped restarts,
	// and which option to change, after OnFailure returned false; it is
	// empty before that.
	GiveUpReason() string
}

// Type is a restart strategy's name in its canonical spelling, the value
// weir writes for restart-strategy.type.
type Type string

// The restart strategy types.
const (
	None             Type = "none"
	FixedDelay       Type = "fixed-delay"
	FailureRate      Type = "failure-rate"
	ExponentialDelay Type = "exponential-delay"
)

// typeNames maps every spelling Flink accepts to its type.
var typeNames = map[string]Type{
	"none": None, "off": None, "disable": None,
	"fixed-delay": FixedDelay, "fixeddelay": FixedDelay,
	"failure-rate": FailureRate, "failurerate": FailureRate,
	"exponential-delay": ExponentialDelay, "exponentialdelay": ExponentialDelay,
}

// ParseType parses a restart-strategy.type value, accepting Flink's aliases
// (off, disable, fixeddelay, failurerate, exponentialdelay) in any case.
func ParseType(s string) (Type, error) {
	if t, ok := typeNames[strings.ToLower(strings.TrimSpace(s))]; ok {
		return t, nil
	}
	return "", fmt.Errorf("restart: unknown restart strategy %q; use none, fixed-delay, failure-rate or exponential-delay", s)
}

// TypeFor returns the strategy type in effect: restart-strategy.type if
// set, else Flink's default, exponential-delay when checkpointing is
// enabled and none when it is not (restarting without a checkpoint would
// replay the job from scratch).
func TypeFor(cfg *config.Configuration, checkpointingEnabled bool) Type {
	if s := strings.TrimSpace(config.Get(cfg, StrategyType)); s != "" {
		if t, err := ParseType(s); err == nil { // Set validated it
			return t
		}
	}
	if checkpointingEnabled {
		return ExponentialDelay
	}
	return None
}

// Rand is the source of jitter for exponential-delay: Int64N returns a
// value in [0, n). *rand.Rand from math/rand/v2 implements it; tests pass a
// seeded or scripted one.
type Rand interface {
	Int64N(n int64) int64
}

// globalRand draws from math/rand/v2's process-wide, randomly seeded source.
type globalRand struct{}

func (globalRand) Int64N(n int64) int64 { return rand.Int64N(n) }

// Option adjusts FromConfig.
type Option func(*options)

type options struct {
	rand Rand
}

// WithRand makes exponential-delay draw its jitter from r instead of a
// randomly seeded source, so tests get reproducible delays.
func WithRand(r Rand) Option {
	return func(o *options) { o.rand = r }
}

// FromConfig builds the strategy configured in cfg (see [TypeFor] for the
// default). It fails when settings that are valid alone contradict each
// other, naming the keys to fix.
func FromConfig(cfg *config.Configuration, checkpointingEnabled bool, opts ...Option) (Strategy, error) {
	o := options{rand: globalRand{}}
	for _, opt := range opts {
		opt(&o)
	}
	switch t := TypeFor(cfg, checkpointingEnabled); t {
	case FixedDelay:
		return NewFixedDelay(config.Get(cfg, FixedDelayAttempts), config.Get(cfg, FixedDelayDelay))
	case FailureRate:
		return NewFailureRate(config.Get(cfg, FailureRateMaxFailuresPerInterval),
			config.Get(cfg, FailureRateInterval), config.Get(cfg, FailureRateDelay))
	case ExponentialDelay:
		return NewExponentialDelay(ExponentialDelayConfig{
			InitialBackoff:      config.Get(cfg, ExponentialDelayInitialBackoff),
			MaxBackoff:          config.Get(cfg, ExponentialDelayMaxBackoff),
			BackoffMultiplier:   getFloat(cfg, ExponentialDelayBackoffMultiplier),
			ResetThreshold:      config.Get(cfg, ExponentialDelayResetBackoffThreshold),
			JitterFactor:        getFloat(cfg, ExponentialDelayJitterFactor),
			AttemptsBeforeReset: config.Get(cfg, ExponentialDelayAttemptsBeforeResetBackoff),
			Rand:                o.rand,
		})
	default:
		return &noRestart{defaulted: strings.TrimSpace(config.Get(cfg, StrategyType)) == ""}, nil
	}
}

// ErrGaveUp is wrapped by the errors of [GiveUp]: the job failed and its
// restart strategy allows no further restart.
var ErrGaveUp = errors.New("restart: job not restarted")

// GiveUp returns the error a job ends with when s refused to restart it
// after cause: it says which strategy and limit stopped restarts and what to
// change, and wraps both [ErrGaveUp] and cause.
func GiveUp(s Strategy, cause error) error {
	return &GiveUpError{Reason: s.GiveUpReason(), Cause: cause}
}

// GiveUpError is the error [GiveUp] returns.
type GiveUpError struct {
	Reason string // the strategy's GiveUpReason
	Cause  error  // the failure that was not restarted
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("%v: %s; last failure: %v", ErrGaveUp, e.Reason, e.Cause)
}

// Unwrap lets errors.Is match both ErrGaveUp and the cause.
func (e *GiveUpError) Unwrap() []error { return []error{ErrGaveUp, e.Cause} }

// ErrUnrecoverable marks failures no restart can fix (a job that cannot be
// built, a state that cannot be restored): every strategy gives up on them
// at once, as Flink's SuppressRestartsException does.
var ErrUnrecoverable = errors.New("restart: unrecoverable failure")

// Unrecoverable marks err so that no strategy restarts the job after it.
func Unrecoverable(err error) error {
	return fmt.Errorf("%w: %w", ErrUnrecoverable, err)
}

const unrecoverableReason = "the failure is unrecoverable, so the job is not restarted whatever restart-strategy.type says"
