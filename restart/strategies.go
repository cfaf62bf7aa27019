package restart

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/weirstream/weir/config"
)

// gaveUp records a refusal. Strategies keep refusing after the first one:
// the job has failed for good, and a later failure must not revive it.
type gaveUp struct{ reason string }

func (g *gaveUp) GiveUpReason() string { return g.reason }

// check handles what is common to all strategies before their own rule:
// an earlier refusal, and failures marked unrecoverable.
func (g *gaveUp) check(err error) (stop bool) {
	if g.reason == "" && errors.Is(err, ErrUnrecoverable) {
		g.reason = unrecoverableReason
	}
	return g.reason != ""
}

// noRestart is the none strategy.
type noRestart struct {
	gaveUp
	defaulted bool // restart-strategy.type unset and checkpointing disabled
}

// NewNone returns the strategy that never restarts.
func NewNone() Strategy { return &noRestart{} }

func (s *noRestart) OnFailure(_ time.Time, err error) (bool, time.Duration) {
	if !s.check(err) {
		if s.defaulted {
			s.reason = "restart-strategy none (the default while checkpointing is disabled): the job is not restarted; " +
				"enable checkpointing with execution.checkpointing.interval or set restart-strategy.type to restart failed jobs"
		} else {
			s.reason = "restart-strategy none: restarts are disabled; set restart-strategy.type to fixed-delay, " +
				"failure-rate or exponential-delay to restart failed jobs"
		}
	}
	return false, 0
}

func (s *noRestart) Describe() string {
	if s.defaulted {
		return "none (default while checkpointing is disabled)"
	}
	return "none"
}

// fixedDelay restarts up to attempts times, waiting delay each time.
type fixedDelay struct {
	gaveUp
	attempts int
	delay    time.Duration
	failures int
}

// NewFixedDelay returns Flink's fixed-delay strategy: the first attempts
// failures restart the job after delay each; the next one fails it.
func NewFixedDelay(attempts int, delay time.Duration) (Strategy, error) {
	if attempts < 0 {
		return nil, fmt.Errorf("restart: %s must be >= 0, got %d", FixedDelayAttempts.Key(), attempts)
	}
	if delay < 0 {
		return nil, fmt.Errorf("restart: %s must not be negative, got %s", FixedDelayDelay.Key(), delay)
	}
	return &fixedDelay{attempts: attempts, delay: delay}, nil
}

func (s *fixedDelay) OnFailure(_ time.Time, err error) (bool, time.Duration) {
	if s.check(err) {
		return false, 0
	}
	s.failures++
	if s.failures > s.attempts {
		s.reason = fmt.Sprintf("restart-strategy fixed-delay: %s exhausted; raise %s",
			plural(s.attempts, "attempt"), FixedDelayAttempts.Key())
		return false, 0
	}
	return true, s.delay
}

func (s *fixedDelay) Describe() string {
	return fmt.Sprintf("fixed-delay (attempts %d, delay %s)", s.attempts, config.FormatDuration(s.delay))
}

// failureRate restarts while no more than maxFailures failures fall within any
// interval.
type failureRate struct {
	gaveUp
	maxFailures int
	interval    time.Duration
	delay       time.Duration
	// recent holds the times of the last maxFailures+1 failures, oldest first:
	// enough to tell whether the newest failure is one too many.
	recent []time.Time
}

// NewFailureRate returns Flink's failure-rate strategy: a failure restarts
// the job after delay unless it is the (maxFailures+1)-th failure within interval,
// which fails the job.
func NewFailureRate(maxFailures int, interval, delay time.Duration) (Strategy, error) {
	switch {
	case maxFailures < 1:
		return nil, fmt.Errorf("restart: %s must be >= 1, got %d", FailureRateMaxFailuresPerInterval.Key(), maxFailures)
	case interval <= 0:
		return nil, fmt.Errorf("restart: %s must be positive, got %s", FailureRateInterval.Key(), interval)
	case delay < 0:
		return nil, fmt.Errorf("restart: %s must not be negative, got %s", FailureRateDelay.Key(), delay)
	}
	return &failureRate{maxFailures: maxFailures, interval: interval, delay: delay}, nil
}

func (s *failureRate) OnFailure(now time.Time, err error) (bool, time.Duration) {
	if s.check(err) {
		return false, 0
	}
	if len(s.recent) == s.maxFailures+1 {
		copy(s.recent, s.recent[1:])
		s.recent = s.recent[:s.maxFailures]
	}
	s.recent = append(s.recent, now)
	// Flink's rule: with maxFailures+1 failures on record, restart only if the
	// oldest lies more than an interval back.
	if len(s.recent) > s.maxFailures {
		if span := now.Sub(s.recent[0]); span <= s.interval {
			s.reason = fmt.Sprintf("restart-strategy failure-rate: %d failures within %s, more than %s (%d) per %s (%s); "+
				"raise the maximum or shorten the interval",
				len(s.recent), config.FormatDuration(span), FailureRateMaxFailuresPerInterval.Key(), s.maxFailures,
				FailureRateInterval.Key(), config.FormatDuration(s.interval))
			return false, 0
		}
	}
	return true, s.delay
}

func (s *failureRate) Describe() string {
	return fmt.Sprintf("failure-rate (max %s per %s, delay %s)", plural(s.maxFailures, "failure"),
		config.FormatDuration(s.interval), config.FormatDuration(s.delay))
}

// ExponentialDelayConfig holds the settings of the exponential-delay
// strategy; the fields match the restart-strategy.exponential-delay.*
// options.
type ExponentialDelayConfig struct {
	InitialBackoff      time.Duration
	MaxBackoff          time.Duration
	BackoffMultiplier   float64
	ResetThreshold      time.Duration
	JitterFactor        float64
	AttemptsBeforeReset int
	Rand                Rand // jitter source; nil draws from a randomly seeded one
}

// exponentialDelay is Flink's exponential-delay strategy as of Flink 1.19.
type exponentialDelay struct {
	gaveUp
	c       ExponentialDelayConfig
	attempt int // restarts since the last reset
	// next is when the restart scheduled by the last counted failure
	// happens; zero before the first failure.
	next time.Time
}

// NewExponentialDelay returns Flink's exponential-delay strategy. The n-th
// restart since the last reset (n from 0) waits
// InitialBackoff * BackoffMultiplier^n, with ±JitterFactor of it added at
// random, kept within [InitialBackoff, MaxBackoff]. A failure that arrives
// while a restart is still pending joins that restart instead of counting
// as another attempt (so a failure of many tasks at once counts once). A
// failure after the job ran ResetThreshold since its last restart starts
// over at InitialBackoff and attempt 0. More than AttemptsBeforeReset
// restarts without a reset fail the job.
func NewExponentialDelay(c ExponentialDelayConfig) (Strategy, error) {
	switch {
	case c.InitialBackoff <= 0:
		return nil, fmt.Errorf("restart: %s must be positive, got %s", ExponentialDelayInitialBackoff.Key(), c.InitialBackoff)
	case c.MaxBackoff < c.InitialBackoff:
		return nil, fmt.Errorf("restart: %s (%s) is below %s (%s); raise the maximum or lower the initial backoff",
			ExponentialDelayMaxBackoff.Key(), config.FormatDuration(c.MaxBackoff),
			ExponentialDelayInitialBackoff.Key(), config.FormatDuration(c.InitialBackoff))
	case !(c.BackoffMultiplier > 1) || math.IsInf(c.BackoffMultiplier, 0):
		return nil, fmt.Errorf("restart: %s must be a number greater than 1, got %v", ExponentialDelayBackoffMultiplier.Key(), c.BackoffMultiplier)
	case c.ResetThreshold <= 0:
		return nil, fmt.Errorf("restart: %s must be positive, got %s", ExponentialDelayResetBackoffThreshold.Key(), c.ResetThreshold)
	case !(c.JitterFactor >= 0 && c.JitterFactor <= 1):
		return nil, fmt.Errorf("restart: %s must be between 0 and 1, got %v", ExponentialDelayJitterFactor.Key(), c.JitterFactor)
	case c.AttemptsBeforeReset < 1:
		return nil, fmt.Errorf("restart: %s must be >= 1, got %d", ExponentialDelayAttemptsBeforeResetBackoff.Key(), c.AttemptsBeforeReset)
	}
	if c.Rand == nil {
		c.Rand = globalRand{}
	}
	return &exponentialDelay{c: c}, nil
}

func (s *exponentialDelay) OnFailure(now time.Time, err error) (bool, time.Duration) {
	if s.check(err) {
		return false, 0
	}
	if !s.next.IsZero() && !now.After(s.next) {
		return true, s.next.Sub(now)
	}
	if s.next.IsZero() || now.Sub(s.next) >= s.c.ResetThreshold {
		s.attempt = 0
	}
	d := s.backoff()
	s.next = now.Add(d)
	s.attempt++
	if s.attempt > s.c.AttemptsBeforeReset {
		s.reason = fmt.Sprintf("restart-strategy exponential-delay: %s exhausted without a failure-free run of %s (%s); raise %s",
			plural(s.c.AttemptsBeforeReset, "attempt"), config.FormatDuration(s.c.ResetThreshold),
			ExponentialDelayResetBackoffThreshold.Key(), ExponentialDelayAttemptsBeforeResetBackoff.Key())
		return false, 0
	}
	return true, d
}

// maxUnclamped bounds the computed backoff before jitter so the arithmetic
// below cannot overflow; it is far above any sensible MaxBackoff.
const maxUnclamped = float64(1 << 61)

// backoff computes the delay for the current attempt as Flink does: the
// jitter is drawn around the unclamped exponential value, then the result
// is clamped to [InitialBackoff, MaxBackoff].
func (s *exponentialDelay) backoff() time.Duration {
	b := math.Min(float64(s.c.InitialBackoff)*math.Pow(s.c.BackoffMultiplier, float64(s.attempt)), maxUnclamped)
	d := int64(b)
	if off := int64(b * s.c.JitterFactor); off > 0 {
		d += s.c.Rand.Int64N(2*off+1) - off
	}
	return min(max(time.Duration(d), s.c.InitialBackoff), s.c.MaxBackoff)
}

func (s *exponentialDelay) Describe() string {
	attempts := "unlimited"
	if s.c.AttemptsBeforeReset < math.MaxInt32 {
		attempts = fmt.Sprint(s.c.AttemptsBeforeReset)
	}
	return fmt.Sprintf("exponential-delay (initial backoff %s, max backoff %s, multiplier %v, reset after %s, jitter %v, attempts before reset %s)",
		config.FormatDuration(s.c.InitialBackoff), config.FormatDuration(s.c.MaxBackoff), s.c.BackoffMultiplier,
		config.FormatDuration(s.c.ResetThreshold), s.c.JitterFactor, attempts)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
