package restart

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// step is one failure in a transcript: when it happens (offset from t0)
// and what the strategy must answer.
type step struct {
	at      time.Duration
	err     error
	restart bool
	delay   time.Duration
}

var errTask = errors.New("task failed")

func run(t *testing.T, s Strategy, steps []step) {
	t.Helper()
	for i, st := range steps {
		err := st.err
		if err == nil {
			err = errTask
		}
		restart, delay := s.OnFailure(t0.Add(st.at), err)
		if restart != st.restart || delay != st.delay {
			t.Fatalf("failure %d at +%v: got (%v, %v), want (%v, %v)", i+1, st.at, restart, delay, st.restart, st.delay)
		}
		if got := s.GiveUpReason(); (got == "") != restart {
			t.Fatalf("failure %d at +%v: restart %v but GiveUpReason %q", i+1, st.at, restart, got)
		}
	}
}

func mustConfig(t *testing.T, kv map[string]string) *config.Configuration {
	t.Helper()
	c := config.New()
	if err := c.SetAll(kv); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want Type
	}{
		{"none", None}, {"off", None}, {"disable", None}, {"NONE", None},
		{"fixed-delay", FixedDelay}, {"fixeddelay", FixedDelay}, {" Fixed-Delay ", FixedDelay},
		{"failure-rate", FailureRate}, {"failurerate", FailureRate},
		{"exponential-delay", ExponentialDelay}, {"exponentialdelay", ExponentialDelay},
	}
	for _, tt := range tests {
		got, err := ParseType(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "fixed", "exponential", "fixed_delay", "never"} {
		if _, err := ParseType(bad); err == nil || !strings.Contains(err.Error(), "use none, fixed-delay, failure-rate or exponential-delay") {
			t.Errorf("ParseType(%q) error = %v, want a list of valid types", bad, err)
		}
	}
}

func TestTypeFor(t *testing.T) {
	tests := []struct {
		set           string // "" leaves restart-strategy.type unset
		checkpointing bool
		want          Type
	}{
		{"", false, None},
		{"", true, ExponentialDelay},
		{"fixeddelay", false, FixedDelay},
		{"failure-rate", true, FailureRate},
		{"off", true, None},
		{"exponentialdelay", false, ExponentialDelay},
	}
	for _, tt := range tests {
		c := config.New()
		if tt.set != "" {
			if err := c.Set(StrategyType.Key(), tt.set); err != nil {
				t.Fatal(err)
			}
		}
		if got := TypeFor(c, tt.checkpointing); got != tt.want {
			t.Errorf("TypeFor(type=%q, checkpointing=%v) = %q, want %q", tt.set, tt.checkpointing, got, tt.want)
		}
	}
	if got := TypeFor(nil, true); got != ExponentialDelay {
		t.Errorf("TypeFor(nil, true) = %q, want exponential-delay", got)
	}
}

// Invalid values are refused when set, with the reason.
func TestOptionValidation(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"restart-strategy.type", "sometimes", "unknown restart strategy"},
		{"restart-strategy.fixed-delay.attempts", "-1", "must be >= 0"},
		{"restart-strategy.failure-rate.max-failures-per-interval", "0", "must be >= 1"},
		{"restart-strategy.failure-rate.failure-rate-interval", "0", "must be at least 1 ms"},
		{"restart-strategy.exponential-delay.initial-backoff", "0 ms", "must be at least 1 ms"},
		{"restart-strategy.exponential-delay.backoff-multiplier", "1", "must be greater than 1"},
		{"restart-strategy.exponential-delay.backoff-multiplier", "fast", "expected a decimal number"},
		{"restart-strategy.exponential-delay.backoff-multiplier", "NaN", "expected a decimal number"},
		{"restart-strategy.exponential-delay.jitter-factor", "1.5", "must be between 0 and 1"},
		{"restart-strategy.exponential-delay.jitter-factor", "-0.1", "must be between 0 and 1"},
		{"restart-strategy.exponential-delay.attempts-before-reset-backoff", "0", "must be >= 1"},
	}
	for _, tt := range tests {
		err := config.New().Set(tt.key, tt.value)
		if !errors.Is(err, config.ErrBadValue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Set(%q, %q) = %v, want invalid value: %s", tt.key, tt.value, err, tt.want)
		}
	}
	for _, ok := range [][2]string{
		{"restart-strategy.type", ""},
		{"restart-strategy.fixed-delay.attempts", "0"},
		{"restart-strategy.exponential-delay.backoff-multiplier", "2"},
		{"restart-strategy.exponential-delay.jitter-factor", "0"},
		{"restart-strategy.exponential-delay.jitter-factor", "1"},
	} {
		if err := config.New().Set(ok[0], ok[1]); err != nil {
			t.Errorf("Set(%q, %q) = %v, want nil", ok[0], ok[1], err)
		}
	}
}

// FromConfig picks the strategy and reads its options; Describe shows
// Flink's defaults.
func TestFromConfig(t *testing.T) {
	tests := []struct {
		name          string
		kv            map[string]string
		checkpointing bool
		want          string
	}{
		{"default without checkpointing", nil, false, "none (default while checkpointing is disabled)"},
		{"explicit none", map[string]string{"restart-strategy.type": "disable"}, true, "none"},
		{"default with checkpointing", nil, true,
			"exponential-delay (initial backoff 1 s, max backoff 1 min, multiplier 1.5, reset after 1 h, jitter 0.1, attempts before reset unlimited)"},
		{"exponential-delay options apply to the default", map[string]string{
			"restart-strategy.exponential-delay.initial-backoff":               "2 s",
			"restart-strategy.exponential-delay.max-backoff":                   "30 s",
			"restart-strategy.exponential-delay.backoff-multiplier":            "3",
			"restart-strategy.exponential-delay.reset-backoff-threshold":       "10 min",
			"restart-strategy.exponential-delay.jitter-factor":                 "0",
			"restart-strategy.exponential-delay.attempts-before-reset-backoff": "5",
		}, true, "exponential-delay (initial backoff 2 s, max backoff 30 s, multiplier 3, reset after 10 min, jitter 0, attempts before reset 5)"},
		{"fixed-delay defaults", map[string]string{"restart-strategy.type": "fixed-delay"}, false,
			"fixed-delay (attempts 1, delay 1 s)"},
		{"fixed-delay", map[string]string{"restart-strategy.type": "fixeddelay",
			"restart-strategy.fixed-delay.attempts": "3", "restart-strategy.fixed-delay.delay": "10 s"}, false,
			"fixed-delay (attempts 3, delay 10 s)"},
		{"failure-rate defaults", map[string]string{"restart-strategy.type": "failure-rate"}, false,
			"failure-rate (max 1 failure per 1 min, delay 1 s)"},
		{"failure-rate", map[string]string{"restart-strategy.type": "failurerate",
			"restart-strategy.failure-rate.max-failures-per-interval": "3",
			"restart-strategy.failure-rate.failure-rate-interval":     "5 min",
			"restart-strategy.failure-rate.delay":                     "10 s"}, false,
			"failure-rate (max 3 failures per 5 min, delay 10 s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FromConfig(mustConfig(t, tt.kv), tt.checkpointing)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Describe(); got != tt.want {
				t.Errorf("Describe() = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestFromConfigContradiction(t *testing.T) {
	c := mustConfig(t, map[string]string{
		"restart-strategy.exponential-delay.initial-backoff": "2 min",
	})
	_, err := FromConfig(c, true)
	want := "restart: restart-strategy.exponential-delay.max-backoff (1 min) is below " +
		"restart-strategy.exponential-delay.initial-backoff (2 min); raise the maximum or lower the initial backoff"
	if err == nil || err.Error() != want {
		t.Fatalf("FromConfig error = %v\nwant %s", err, want)
	}
	// The contradiction only matters for the strategy in use.
	if err := c.Set(StrategyType.Key(), "fixed-delay"); err != nil {
		t.Fatal(err)
	}
	if _, err := FromConfig(c, true); err != nil {
		t.Fatalf("fixed-delay with a contradictory exponential-delay setting: %v", err)
	}
}

func TestNone(t *testing.T) {
	explicit, _ := FromConfig(mustConfig(t, map[string]string{"restart-strategy.type": "none"}), false)
	run(t, explicit, []step{{at: 0, restart: false}, {at: time.Hour, restart: false}})
	if got, want := explicit.GiveUpReason(), "restart-strategy none: restarts are disabled; set restart-strategy.type to "+
		"fixed-delay, failure-rate or exponential-delay to restart failed jobs"; got != want {
		t.Errorf("GiveUpReason() = %q\nwant %q", got, want)
	}
	defaulted, _ := FromConfig(config.New(), false)
	run(t, defaulted, []step{{at: 0, restart: false}})
	if got := defaulted.GiveUpReason(); !strings.Contains(got, "the default while checkpointing is disabled") ||
		!strings.Contains(got, "execution.checkpointing.interval") {
		t.Errorf("GiveUpReason() = %q, want it to point at checkpointing", got)
	}
	if got := NewNone().Describe(); got != "none" {
		t.Errorf("NewNone().Describe() = %q", got)
	}
}

func TestFixedDelay(t *testing.T) {
	tests := []struct {
		name     string
		attempts int
		delay    time.Duration
		steps    []step
		reason   string
	}{
		{"three attempts", 3, 10 * time.Second, []step{
			{at: 0, restart: true, delay: 10 * time.Second},
			{at: time.Minute, restart: true, delay: 10 * time.Second},
			// Attempts never come back, however long the job ran.
			{at: 48 * time.Hour, restart: true, delay: 10 * time.Second},
			{at: 49 * time.Hour, restart: false},
			{at: 50 * time.Hour, restart: false},
		}, "restart-strategy fixed-delay: 3 attempts exhausted; raise restart-strategy.fixed-delay.attempts"},
		{"one attempt (Flink's default)", 1, time.Second, []step{
			{at: 0, restart: true, delay: time.Second},
			{at: time.Second, restart: false},
		}, "restart-strategy fixed-delay: 1 attempt exhausted; raise restart-strategy.fixed-delay.attempts"},
		{"zero attempts", 0, 0, []step{
			{at: 0, restart: false},
		}, "restart-strategy fixed-delay: 0 attempts exhausted; raise restart-strategy.fixed-delay.attempts"},
		{"zero delay", 2, 0, []step{
			{at: 0, restart: true}, {at: 0, restart: true}, {at: 0, restart: false},
		}, "restart-strategy fixed-delay: 2 attempts exhausted; raise restart-strategy.fixed-delay.attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewFixedDelay(tt.attempts, tt.delay)
			if err != nil {
				t.Fatal(err)
			}
			run(t, s, tt.steps)
			if got := s.GiveUpReason(); got != tt.reason {
				t.Errorf("GiveUpReason() = %q\nwant %q", got, tt.reason)
			}
		})
	}
	if _, err := NewFixedDelay(-1, 0); err == nil {
		t.Error("NewFixedDelay(-1, 0) accepted a negative attempt count")
	}
}

func TestFailureRate(t *testing.T) {
	const d = 5 * time.Second
	restart := func(at time.Duration) step { return step{at: at, restart: true, delay: d} }
	stop := func(at time.Duration) step { return step{at: at, restart: false} }
	tests := []struct {
		name   string
		max    int
		steps  []step
		reason string
	}{
		{"third failure within the interval fails the job", 2, []step{
			restart(0), restart(10 * time.Second), stop(20 * time.Second),
		}, "restart-strategy failure-rate: 3 failures within 20 s, more than restart-strategy.failure-rate.max-failures-per-interval (2) " +
			"per restart-strategy.failure-rate.failure-rate-interval (1 min); raise the maximum or shorten the interval"},
		{"the window slides", 2, []step{
			restart(0), restart(30 * time.Second),
			restart(61 * time.Second), // the failure at 0 lies more than 1 min back
			restart(91 * time.Second), // 30 s lies 61 s back
			stop(100 * time.Second),   // 61 s, 91 s and 100 s lie within 39 s
		}, "restart-strategy failure-rate: 3 failures within 39 s, more than restart-strategy.failure-rate.max-failures-per-interval (2) " +
			"per restart-strategy.failure-rate.failure-rate-interval (1 min); raise the maximum or shorten the interval"},
		{"a span of exactly the interval still counts", 2, []step{
			restart(0), restart(30 * time.Second), stop(60 * time.Second),
		}, "restart-strategy failure-rate: 3 failures within 1 min, more than restart-strategy.failure-rate.max-failures-per-interval (2) " +
			"per restart-strategy.failure-rate.failure-rate-interval (1 min); raise the maximum or shorten the interval"},
		{"one per interval (Flink's default)", 1, []step{
			restart(0), restart(time.Minute + time.Millisecond), restart(3 * time.Minute), stop(3*time.Minute + time.Second),
		}, "restart-strategy failure-rate: 2 failures within 1 s, more than restart-strategy.failure-rate.max-failures-per-interval (1) " +
			"per restart-strategy.failure-rate.failure-rate-interval (1 min); raise the maximum or shorten the interval"},
		{"slow failures restart forever", 1, []step{
			restart(0), restart(2 * time.Minute), restart(4 * time.Minute), restart(6 * time.Minute), restart(8 * time.Minute),
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewFailureRate(tt.max, time.Minute, d)
			if err != nil {
				t.Fatal(err)
			}
			run(t, s, tt.steps)
			if got := s.GiveUpReason(); got != tt.reason {
				t.Errorf("GiveUpReason() = %q\nwant %q", got, tt.reason)
			}
		})
	}
	for _, bad := range []struct {
		max             int
		interval, delay time.Duration
	}{{0, time.Minute, 0}, {1, 0, 0}, {1, time.Minute, -1}} {
		if _, err := NewFailureRate(bad.max, bad.interval, bad.delay); err == nil {
			t.Errorf("NewFailureRate(%d, %v, %v) accepted invalid settings", bad.max, bad.interval, bad.delay)
		}
	}
}

// scripted returns a fixed position within every range it is asked for:
// 0 gives the largest negative jitter, 1 the largest positive one.
type scripted float64

func (f scripted) Int64N(n int64) int64 {
	if f >= 1 {
		return n - 1
	}
	return int64(float64(f) * float64(n))
}

func exponential(t *testing.T, c ExponentialDelayConfig) Strategy {
	t.Helper()
	if c.ResetThreshold == 0 {
		c.ResetThreshold = time.Hour
	}
	if c.AttemptsBeforeReset == 0 {
		c.AttemptsBeforeReset = 1 << 30
	}
	s, err := NewExponentialDelay(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// failAfterRestart returns steps for failures that each come run after
// the previous restart, given the delays the strategy is expected to
// answer.
func failAfterRestart(run time.Duration, delays ...time.Duration) []step {
	var steps []step
	at := time.Duration(0)
	for _, d := range delays {
		steps = append(steps, step{at: at, restart: true, delay: d})
		at += d + run
	}
	return steps
}

func TestExponentialDelaySequence(t *testing.T) {
	s := time.Second
	ms := time.Millisecond
	tests := []struct {
		name  string
		c     ExponentialDelayConfig
		steps []step
	}{
		{"Flink's documented example: 1 s doubling up to 10 s",
			ExponentialDelayConfig{InitialBackoff: s, MaxBackoff: 10 * s, BackoffMultiplier: 2},
			failAfterRestart(time.Minute, s, 2*s, 4*s, 8*s, 10*s, 10*s, 10*s)},
		{"Flink's defaults without jitter",
			ExponentialDelayConfig{InitialBackoff: s, MaxBackoff: time.Minute, BackoffMultiplier: 1.5},
			failAfterRestart(time.Second, s, 1500*ms, 2250*ms, 3375*ms, 5062500*time.Microsecond)},
		{"max backoff reached from below",
			ExponentialDelayConfig{InitialBackoff: 100 * ms, MaxBackoff: 250 * ms, BackoffMultiplier: 2},
			failAfterRestart(ms, 100*ms, 200*ms, 250*ms, 250*ms)},
		{"initial equals max",
			ExponentialDelayConfig{InitialBackoff: 5 * s, MaxBackoff: 5 * s, BackoffMultiplier: 10},
			failAfterRestart(ms, 5*s, 5*s, 5*s)},
		{"largest negative jitter stays at or above the initial backoff",
			ExponentialDelayConfig{InitialBackoff: 10 * s, MaxBackoff: time.Minute, BackoffMultiplier: 2, JitterFactor: 0.1, Rand: scripted(0)},
			failAfterRestart(ms, 10*s, 18*s, 36*s, 60*s)}, // 10-1 clamps up; 20-2; 40-4; 80-8 clamps down
		{"largest positive jitter stays at or below the max backoff",
			ExponentialDelayConfig{InitialBackoff: 10 * s, MaxBackoff: time.Minute, BackoffMultiplier: 2, JitterFactor: 0.1, Rand: scripted(1)},
			failAfterRestart(ms, 11*s, 22*s, 44*s, 60*s)},
		{"jitter is drawn around the unclamped value",
			// A draw a quarter into [-b, b] gives b/2: 40 s -> 20 s and
			// 60 s -> 30 s clamp up to 40 s; 90 s, above the max, -> 45 s.
			ExponentialDelayConfig{InitialBackoff: 40 * s, MaxBackoff: 50 * s, BackoffMultiplier: 1.5, JitterFactor: 1, Rand: scripted(0.25)},
			failAfterRestart(ms, 40*s, 40*s, 45*s)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, exponential(t, tt.c), tt.steps)
		})
	}
}

func TestExponentialDelayReset(t *testing.T) {
	s := time.Second
	c := ExponentialDelayConfig{InitialBackoff: s, MaxBackoff: time.Minute, BackoffMultiplier: 2, ResetThreshold: 10 * time.Minute}
	tests := []struct {
		name  string
		steps []step
	}{
		{"stable run of the threshold resets", []step{
			{at: 0, restart: true, delay: s},         // restarts at 1 s
			{at: 2 * s, restart: true, delay: 2 * s}, // restarts at 4 s
			{at: 4*s + 10*time.Minute, restart: true, delay: s},
			{at: 4*s + 10*time.Minute + 2*s, restart: true, delay: 2 * s},
		}},
		{"a run just short of the threshold does not", []step{
			{at: 0, restart: true, delay: s},
			{at: 2 * s, restart: true, delay: 2 * s},
			{at: 4*s + 10*time.Minute - time.Millisecond, restart: true, delay: 4 * s},
		}},
		{"the threshold counts from the restart, not the failure", []step{
			{at: 0, restart: true, delay: s},
			{at: 2 * s, restart: true, delay: 2 * s},
			// 10 min after the failure but only 10 min - 2 s after the restart.
			{at: 2*s + 10*time.Minute, restart: true, delay: 4 * s},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, exponential(t, c), tt.steps)
		})
	}
}

// Failures while a restart is pending join it: the delay is what remains
// and no attempt is used up.
func TestExponentialDelayMergesConcurrentFailures(t *testing.T) {
	s := time.Second
	ms := time.Millisecond
	st := exponential(t, ExponentialDelayConfig{InitialBackoff: s, MaxBackoff: time.Minute, BackoffMultiplier: 2, AttemptsBeforeReset: 2})
	run(t, st, []step{
		{at: 0, restart: true, delay: s},
		{at: 300 * ms, restart: true, delay: 700 * ms},
		{at: s, restart: true, delay: 0}, // exactly at the restart: still the same attempt
		{at: s + ms, restart: true, delay: 2 * s},
		{at: 2 * s, restart: true, delay: s + ms},
		{at: 4 * s, restart: false}, // third attempt
	})
	want := "restart-strategy exponential-delay: 2 attempts exhausted without a failure-free run of 1 h " +
		"(restart-strategy.exponential-delay.reset-backoff-threshold); raise restart-strategy.exponential-delay.attempts-before-reset-backoff"
	if got := st.GiveUpReason(); got != want {
		t.Errorf("GiveUpReason() = %q\nwant %q", got, want)
	}
}

func TestExponentialDelayAttemptsResetWithBackoff(t *testing.T) {
	s := time.Second
	st := exponential(t, ExponentialDelayConfig{InitialBackoff: s, MaxBackoff: time.Minute, BackoffMultiplier: 2,
		ResetThreshold: time.Minute, AttemptsBeforeReset: 2})
	run(t, st, []step{
		{at: 0, restart: true, delay: s},
		{at: 2 * s, restart: true, delay: 2 * s},
		{at: 4*s + time.Minute, restart: true, delay: s}, // reset: two more attempts
		{at: 6*s + time.Minute, restart: true, delay: 2 * s},
		{at: 9*s + time.Minute, restart: false},
		{at: time.Hour, restart: false}, // the job has failed for good
	})
}

// With random jitter every delay lies within ±jitter of the exponential
// value and within [initial, max].
func TestExponentialDelayJitterBounds(t *testing.T) {
	c := ExponentialDelayConfig{InitialBackoff: time.Second, MaxBackoff: 30 * time.Second, BackoffMultiplier: 1.5,
		ResetThreshold: time.Hour, JitterFactor: 0.3, AttemptsBeforeReset: 1 << 30, Rand: rand.New(rand.NewPCG(1, 2))}
	s := exponential(t, c)
	at := time.Duration(0)
	base := float64(c.InitialBackoff)
	distinct := map[time.Duration]bool{}
	for i := range 200 {
		restart, d := s.OnFailure(t0.Add(at), errTask)
		lo := min(max(time.Duration(base*(1-c.JitterFactor)), c.InitialBackoff), c.MaxBackoff)
		hi := min(time.Duration(base*(1+c.JitterFactor))+1, c.MaxBackoff)
		if !restart || d < lo || d > hi {
			t.Fatalf("attempt %d: got (%v, %v), want a restart after a delay in [%v, %v]", i, restart, d, lo, hi)
		}
		distinct[d] = true
		at += d + time.Millisecond
		base = min(base*c.BackoffMultiplier, 1e12) // far above MaxBackoff; keeps the bounds finite
	}
	if len(distinct) < 10 {
		t.Errorf("only %d distinct delays in 200 jittered attempts", len(distinct))
	}
}

// Huge attempt counts must not overflow into negative or tiny delays.
func TestExponentialDelayNoOverflow(t *testing.T) {
	s := exponential(t, ExponentialDelayConfig{InitialBackoff: time.Millisecond, MaxBackoff: 24 * time.Hour,
		BackoffMultiplier: 1000, JitterFactor: 1, Rand: rand.New(rand.NewPCG(3, 4))})
	at := time.Duration(0)
	for i := range 2000 {
		restart, d := s.OnFailure(t0.Add(at), errTask)
		if !restart || d < time.Millisecond || d > 24*time.Hour {
			t.Fatalf("attempt %d: got (%v, %v)", i, restart, d)
		}
		at += d + time.Millisecond
	}
}

func TestNewExponentialDelayRejects(t *testing.T) {
	ok := ExponentialDelayConfig{InitialBackoff: time.Second, MaxBackoff: time.Minute, BackoffMultiplier: 2,
		ResetThreshold: time.Hour, JitterFactor: 0.1, AttemptsBeforeReset: 1}
	tests := []struct {
		name   string
		mutate func(*ExponentialDelayConfig)
		want   string
	}{
		{"initial", func(c *ExponentialDelayConfig) { c.InitialBackoff = 0 }, "initial-backoff must be positive"},
		{"max below initial", func(c *ExponentialDelayConfig) { c.MaxBackoff = time.Millisecond }, "is below"},
		{"multiplier", func(c *ExponentialDelayConfig) { c.BackoffMultiplier = 1 }, "greater than 1"},
		{"reset", func(c *ExponentialDelayConfig) { c.ResetThreshold = 0 }, "reset-backoff-threshold must be positive"},
		{"jitter", func(c *ExponentialDelayConfig) { c.JitterFactor = 1.01 }, "between 0 and 1"},
		{"attempts", func(c *ExponentialDelayConfig) { c.AttemptsBeforeReset = 0 }, "must be >= 1"},
	}
	for _, tt := range tests {
		c := ok
		tt.mutate(&c)
		if _, err := NewExponentialDelay(c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := NewExponentialDelay(ok); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

// Unrecoverable failures stop every strategy at once, and GiveUp builds
// an error that keeps both the reason and the cause.
func TestUnrecoverable(t *testing.T) {
	fixed, _ := NewFixedDelay(10, 0)
	rate, _ := NewFailureRate(10, time.Minute, 0)
	for _, s := range []Strategy{
		fixed, rate, NewNone(),
		exponential(t, ExponentialDelayConfig{InitialBackoff: time.Second, MaxBackoff: time.Minute, BackoffMultiplier: 2}),
	} {
		cause := Unrecoverable(errors.New("state does not match the job"))
		if restart, _ := s.OnFailure(t0, cause); restart {
			t.Errorf("%s restarted after an unrecoverable failure", s.Describe())
		}
		err := GiveUp(s, cause)
		if !errors.Is(err, ErrGaveUp) || !errors.Is(err, ErrUnrecoverable) {
			t.Errorf("GiveUp error %v does not wrap ErrGaveUp and the cause", err)
		}
		want := "restart: job not restarted: the failure is unrecoverable, so the job is not restarted whatever " +
			"restart-strategy.type says; last failure: restart: unrecoverable failure: state does not match the job"
		if err.Error() != want {
			t.Errorf("GiveUp error:\n got  %v\n want %s", err, want)
		}
		if restart, _ := s.OnFailure(t0.Add(time.Hour), errTask); restart {
			t.Errorf("%s restarted a job that had failed for good", s.Describe())
		}
	}
}

func TestGiveUpError(t *testing.T) {
	s, _ := NewFixedDelay(0, 0)
	s.OnFailure(t0, errTask)
	err := GiveUp(s, errTask)
	want := "restart: job not restarted: restart-strategy fixed-delay: 0 attempts exhausted; " +
		"raise restart-strategy.fixed-delay.attempts; last failure: task failed"
	if err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	var ge *GiveUpError
	if !errors.As(err, &ge) || !errors.Is(err, errTask) {
		t.Errorf("GiveUp error does not expose GiveUpError and the cause: %v", err)
	}
}

func FuzzParseType(f *testing.F) {
	for _, s := range []string{"none", "off", "FixedDelay", " failure-rate ", "exponentialdelay", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseType(s)
		if err != nil {
			if typ != "" {
				t.Fatalf("ParseType(%q) returned %q with error %v", s, typ, err)
			}
			return
		}
		// The canonical spelling parses to itself, and the option accepts
		// every value ParseType does.
		if again, err := ParseType(string(typ)); err != nil || again != typ {
			t.Fatalf("ParseType(%q) = %q, but that parses to %q, %v", s, typ, again, err)
		}
		if err := config.New().Set(StrategyType.Key(), s); err != nil {
			t.Fatalf("option rejects %q that ParseType accepts: %v", s, err)
		}
	})
}
