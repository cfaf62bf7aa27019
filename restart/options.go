package restart

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
)

// Restart options. Keys, defaults and meaning follow Flink's
// RestartStrategyOptions (Flink 1.19 and later), so Flink configuration
// carries over unchanged.
var (
	StrategyType = config.String("restart-strategy.type", "",
		"Restart strategy used when a job fails. Accepted values: "+
			"none, off, disable (no restart); "+
			"fixed-delay, fixeddelay (a fixed number of attempts with a fixed delay); "+
			"failure-rate, failurerate (restart while failures per interval stay below a maximum); "+
			"exponential-delay, exponentialdelay (delays that grow after every failure and reset after a stable run). "+
			"If unset: none when checkpointing is disabled, exponential-delay with its own options' values when it is enabled.").
		WithValidator(func(s string) error {
			if strings.TrimSpace(s) == "" {
				return nil
			}
			_, err := ParseType(s)
			return err
		})

	FixedDelayAttempts = config.Int("restart-strategy.fixed-delay.attempts", 1,
		"Number of restarts before the job is declared failed, if restart-strategy.type is fixed-delay.").
		WithValidator(intAtLeast(0))

	FixedDelayDelay = config.Duration("restart-strategy.fixed-delay.delay", time.Second,
		"Delay between two consecutive restart attempts, if restart-strategy.type is fixed-delay. "+
			"A delay lets external systems time out connections or pending transactions of the failed attempt before the job runs again.")

	FailureRateMaxFailuresPerInterval = config.Int("restart-strategy.failure-rate.max-failures-per-interval", 1,
		"Maximum number of restarts within restart-strategy.failure-rate.failure-rate-interval before the job is declared failed, "+
			"if restart-strategy.type is failure-rate.").
		WithValidator(intAtLeast(1))

	FailureRateInterval = config.Duration("restart-strategy.failure-rate.failure-rate-interval", time.Minute,
		"Time window over which failures are counted, if restart-strategy.type is failure-rate.").
		WithValidator(durationAtLeast(time.Millisecond))

	FailureRateDelay = config.Duration("restart-strategy.failure-rate.delay", time.Second,
		"Delay between two consecutive restart attempts, if restart-strategy.type is failure-rate.")

	ExponentialDelayInitialBackoff = config.Duration("restart-strategy.exponential-delay.initial-backoff", time.Second,
		"Delay before the first restart, and again after the backoff was reset, if restart-strategy.type is exponential-delay.").
		WithValidator(durationAtLeast(time.Millisecond))

	ExponentialDelayMaxBackoff = config.Duration("restart-strategy.exponential-delay.max-backoff", time.Minute,
		"Longest delay between restarts, if restart-strategy.type is exponential-delay. "+
			"Must not be below restart-strategy.exponential-delay.initial-backoff.").
		WithValidator(durationAtLeast(time.Millisecond))

	ExponentialDelayBackoffMultiplier = config.String("restart-strategy.exponential-delay.backoff-multiplier", "1.5",
		"Factor the delay grows by after every failure, until restart-strategy.exponential-delay.max-backoff is reached, "+
			"if restart-strategy.type is exponential-delay. A number greater than 1.").
		WithValidator(floatIn("greater than 1", func(f float64) bool { return f > 1 }))

	ExponentialDelayResetBackoffThreshold = config.Duration("restart-strategy.exponential-delay.reset-backoff-threshold", time.Hour,
		"How long the job must run without failure for the delay to go back to restart-strategy.exponential-delay.initial-backoff "+
			"and the attempt count to 0, if restart-strategy.type is exponential-delay.").
		WithValidator(durationAtLeast(time.Millisecond))

	ExponentialDelayJitterFactor = config.String("restart-strategy.exponential-delay.jitter-factor", "0.1",
		"Random part of each delay, as a fraction of it: a delay d becomes a value drawn uniformly from [d - f*d, d + f*d] "+
			"(still within initial and max backoff), so many jobs failing together do not restart together. "+
			"A number from 0 to 1, if restart-strategy.type is exponential-delay.").
		WithValidator(floatIn("between 0 and 1", func(f float64) bool { return f >= 0 && f <= 1 }))

	ExponentialDelayAttemptsBeforeResetBackoff = config.Int("restart-strategy.exponential-delay.attempts-before-reset-backoff", math.MaxInt32,
		"Number of restarts before the job is declared failed, if restart-strategy.type is exponential-delay. "+
			"The count goes back to 0 when the backoff resets; the default, 2147483647, means no limit.").
		WithValidator(intAtLeast(1))
)

func intAtLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return fmt.Errorf("must be >= %d", n)
		}
		return nil
	}
}

func durationAtLeast(min time.Duration) func(time.Duration) error {
	return func(d time.Duration) error {
		if d < min {
			return fmt.Errorf("must be at least %s", config.FormatDuration(min))
		}
		return nil
	}
}

var errNotANumber = errors.New("expected a decimal number such as 1.5")

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errNotANumber
	}
	return f, nil
}

// floatIn validates a float written as a string option: the config
// registry has no float type yet, so the value is checked here and parsed
// again by getFloat.
func floatIn(want string, ok func(float64) bool) func(string) error {
	return func(s string) error {
		f, err := parseFloat(s)
		if err != nil {
			return err
		}
		if !ok(f) {
			return errors.New("must be " + want)
		}
		return nil
	}
}

// getFloat reads a float option. Set validated the value, so parsing
// cannot fail.
func getFloat(cfg *config.Configuration, o *config.Option[string]) float64 {
	f, err := parseFloat(config.Get(cfg, o))
	if err != nil {
		f, _ = parseFloat(o.Default())
	}
	return f
}
