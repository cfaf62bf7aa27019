package state

import "time"

// Why TTL runs on processing time (as Flink's does): TTL bounds how long state
// occupies memory, which is a wall-clock concern. Event time only advances
// with watermarks, so state of an idle or stalled stream would never expire,
// and replaying old data would expire state at a speed unrelated to its cost.
// Expiry driven by event time is what event-time timers are for.
//
// Each value, list element and map entry carries an expiry timestamp
// (lastUpdate + TTL, in ms). An entry is expired when its expiry is <= now.
// As in Flink, a read that meets expired data purges it; with
// ReturnExpiredIfNotCleanedUp that read still returns it, later ones do not.
// Writes (Add of Reducing and Aggregating state, merges) never build on
// expired data, whatever the visibility. Expired data is also purged by
// ForEachKey and by incremental cleanup, which walks each state's entries
// round-robin over the key groups with a persistent cursor.

// ttlPolicy is a TTLConfig resolved for the hot path. It is comparable so two
// registrations of the same state can be checked for the same TTL.
type ttlPolicy struct {
	enabled       bool
	ttl           int64 // ms
	updateOnRead  bool
	returnExpired bool
	cleanupN      int
}

func newTTLPolicy(c *TTLConfig) ttlPolicy {
	if c == nil || c.TTL <= 0 {
		return ttlPolicy{}
	}
	// Round up so a sub-millisecond TTL does not expire entries at once.
	ms := int64((c.TTL + time.Millisecond - 1) / time.Millisecond)
	return ttlPolicy{
		enabled:       true,
		ttl:           ms,
		updateOnRead:  c.UpdateType == OnReadAndWrite,
		returnExpired: c.Visibility == ReturnExpiredIfNotCleanedUp,
		cleanupN:      max(c.CleanupIncrementally, 0),
	}
}
