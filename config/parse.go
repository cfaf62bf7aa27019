package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

func parseInt(s string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("expected an integer")
	}
	return v, nil
}

func parseInt64(s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errors.New("expected a 64-bit integer")
	}
	return v, nil
}

func formatInt64(v int64) string { return strconv.FormatInt(v, 10) }

func parseBool(s string) (bool, error) {
	switch s = strings.TrimSpace(s); {
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, errors.New("expected true or false")
}

func parseString(s string) (string, error) { return s, nil }

// splitNumber splits "  100 ms " into "100" and "ms" (unit lower-cased).
func splitNumber(s string) (num, unit string) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
}

// mulUnit returns num*unit, refusing overflow rather than wrapping.
func mulUnit(num string, unit int64) (int64, bool) {
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, false
	}
	return n * unit, true
}

// durationUnits are Flink's TimeUtils labels; plurals are added in init.
var durationUnits = map[string]time.Duration{
	"d": 24 * time.Hour, "day": 24 * time.Hour,
	"h": time.Hour, "hour": time.Hour,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute,
	"s": time.Second, "sec": time.Second, "second": time.Second,
	"ms": time.Millisecond, "milli": time.Millisecond, "millisecond": time.Millisecond,
	"µs": time.Microsecond, "μs": time.Microsecond, "us": time.Microsecond,
	"micro": time.Microsecond, "microsecond": time.Microsecond,
	"ns": time.Nanosecond, "nano": time.Nanosecond, "nanosecond": time.Nanosecond,
}

func init() {
	for _, u := range []string{"day", "hour", "minute", "sec", "second", "milli", "millisecond", "micro", "microsecond", "nano", "nanosecond"} {
		durationUnits[u+"s"] = durationUnits[u]
	}
}

var errDuration = errors.New(`expected a non-negative duration such as "100 ms", "10s", "1 min", "2 h", "1d", "1m30s" or a number of milliseconds`)

// ParseDuration parses a duration the way Flink does ("100 ms", "10s",
// "1 min", "1d"; a bare number is milliseconds) and also accepts Go's
// time.ParseDuration syntax ("1m30s", "1.5h"). Negative durations are
// rejected: no engine setting gives them a meaning.
func ParseDuration(s string) (time.Duration, error) {
	num, unit := splitNumber(s)
	if num != "" {
		mult, ok := time.Millisecond, unit == ""
		if !ok {
			mult, ok = durationUnits[unit]
		}
		if ok {
			if d, ok := mulUnit(num, int64(mult)); ok {
				return time.Duration(d), nil
			}
			return 0, errDuration
		}
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return 0, errDuration
	}
	return d, nil
}

var durationFormats = []struct {
	unit  time.Duration
	label string
}{
	{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"},
	{time.Millisecond, "ms"}, {time.Microsecond, "us"}, {time.Nanosecond, "ns"},
}

// FormatDuration formats d in the largest unit that represents it exactly
// ("100 ms", "1 min"), as Flink does; the result is accepted by ParseDuration.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0 ms"
	}
	if d < 0 { // not produced by ParseDuration; keep it lossless anyway
		return d.String()
	}
	for _, f := range durationFormats {
		if d%f.unit == 0 {
			return strconv.FormatInt(int64(d/f.unit), 10) + " " + f.label
		}
	}
	panic("unreachable")
}

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
	tib = 1 << 40
)

// memoryUnits are Flink's MemorySize labels; all units are binary.
var memoryUnits = map[string]int64{
	"b": 1, "bytes": 1,
	"k": kib, "kb": kib, "kibibytes": kib,
	"m": mib, "mb": mib, "mebibytes": mib,
	"g": gib, "gb": gib, "gibibytes": gib,
	"t": tib, "tb": tib, "tebibytes": tib,
}

var errMemory = errors.New(`expected a non-negative memory size such as "512kb", "1600m", "1728 mb", "1g" or a number of bytes`)

// ParseMemorySize parses a byte count in Flink's format: a whole number with
// an optional unit b, k/kb, m/mb, g/gb or t/tb (case-insensitive, 1k = 1024).
func ParseMemorySize(s string) (int64, error) {
	num, unit := splitNumber(s)
	if num == "" {
		return 0, errMemory
	}
	mult := int64(1)
	if unit != "" {
		var ok bool
		if mult, ok = memoryUnits[unit]; !ok {
			return 0, errMemory
		}
	}
	n, ok := mulUnit(num, mult)
	if !ok {
		return 0, errMemory
	}
	return n, nil
}

var memoryFormats = []struct {
	unit  int64
	label string
}{{tib, "tb"}, {gib, "gb"}, {mib, "mb"}, {kib, "kb"}, {1, "bytes"}}

// FormatMemorySize formats n in the largest unit that represents it exactly
// ("1600 mb", "1 gb", "100 bytes"); the result is accepted by ParseMemorySize.
func FormatMemorySize(n int64) string {
	if n == 0 {
		return "0 bytes"
	}
	if n < 0 {
		return strconv.FormatInt(n, 10)
	}
	for _, f := range memoryFormats {
		if n%f.unit == 0 {
			return strconv.FormatInt(n/f.unit, 10) + " " + f.label
		}
	}
	panic("unreachable")
}
