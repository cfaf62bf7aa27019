package rest

import "time"

// SetClock makes s read the time from now, for tests of durations.
func SetClock(s *Server, now func() time.Time) { s.now = now }
