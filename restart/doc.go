// Package restart holds weir's restart strategies: the rules that decide
// whether a failed job runs again from its latest checkpoint, and after
// which delay. They are Flink's, with Flink's option keys and defaults
// (restart-strategy.type and restart-strategy.<type>.*), so a Flink
// configuration restarts a weir job the same way:
//
//   - none: a failure fails the job.
//   - fixed-delay: up to attempts restarts, each after the same delay.
//   - failure-rate: restarts while at most max-failures-per-interval
//     failures fall within failure-rate-interval.
//   - exponential-delay: delays grow by backoff-multiplier from
//     initial-backoff to max-backoff, with random jitter, and go back to
//     the start after the job ran reset-backoff-threshold without failing;
//     failures that arrive while a restart is pending count once.
//
// Without restart-strategy.type the strategy depends on checkpointing, as
// in Flink: exponential-delay when it is enabled, none when it is not
// ([TypeFor]).
//
// Strategies are pure state machines: the caller passes the time of each
// failure ([Strategy.OnFailure]) and sleeps the returned delay itself, and
// jitter comes from an injectable [Rand], so behaviour is reproducible in
// tests. When a strategy refuses to restart, [Strategy.GiveUpReason] (and
// [GiveUp], which builds the job's final error) names the strategy, the
// limit that was reached and the option to change. Failures wrapped with
// [Unrecoverable] are never restarted.
package restart
