package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"100 ms", 100 * time.Millisecond},
		{"100ms", 100 * time.Millisecond},
		{"10s", 10 * time.Second},
		{"10 s", 10 * time.Second},
		{" 10 S ", 10 * time.Second},
		{"1 min", time.Minute},
		{"1m", time.Minute},
		{"3 minutes", 3 * time.Minute},
		{"2 h", 2 * time.Hour},
		{"2 hours", 2 * time.Hour},
		{"1d", 24 * time.Hour},
		{"2 days", 48 * time.Hour},
		{"5 secs", 5 * time.Second},
		{"7 us", 7 * time.Microsecond},
		{"7µs", 7 * time.Microsecond},
		{"9 nanos", 9 * time.Nanosecond},
		{"100", 100 * time.Millisecond},
		{"0", 0},
		{"1m30s", 90 * time.Second},
		{"1.5h", 90 * time.Minute},
		{"250ms", 250 * time.Millisecond},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", " ", "ms", "10 parsecs", "-1s", "-5", "1.5 min", "abc", "10 s s", "9999999999999999999", "106752 d"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want error", bad, got)
		} else if !strings.Contains(err.Error(), `"100 ms"`) {
			t.Errorf("ParseDuration(%q) error %q does not show the expected format", bad, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0 ms"},
		{100 * time.Millisecond, "100 ms"},
		{200 * time.Millisecond, "200 ms"},
		{time.Second, "1 s"},
		{90 * time.Second, "90 s"},
		{time.Minute, "1 min"},
		{2 * time.Hour, "2 h"},
		{48 * time.Hour, "2 d"},
		{1500 * time.Microsecond, "1500 us"},
		{time.Nanosecond, "1 ns"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseDuration(tt.want); err != nil || back != tt.in {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
		}
	}
}

func TestParseMemorySize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1600m", 1600 << 20},
		{"1728 mb", 1728 << 20},
		{"1728 MB", 1728 << 20},
		{"1g", 1 << 30},
		{"2 gb", 2 << 30},
		{"512kb", 512 << 10},
		{"512 k", 512 << 10},
		{"100", 100},
		{"100 b", 100},
		{"100 bytes", 100},
		{"3 mebibytes", 3 << 20},
		{"1t", 1 << 40},
		{"0", 0},
		{" 64 KB ", 64 << 10},
	}
	for _, tt := range tests {
		got, err := ParseMemorySize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMemorySize(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "mb", "1.5g", "-1", "-1m", "10 pb", "1 g b", "9223372036854775808", "8388608 tb"} {
		if got, err := ParseMemorySize(bad); err == nil {
			t.Errorf("ParseMemorySize(%q) = %v, want error", bad, got)
		} else if !strings.Contains(err.Error(), `"1600m"`) {
			t.Errorf("ParseMemorySize(%q) error %q does not show the expected format", bad, err)
		}
	}
}

func TestFormatMemorySize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 bytes"},
		{100, "100 bytes"},
		{1 << 10, "1 kb"},
		{1600 << 20, "1600 mb"},
		{1 << 30, "1 gb"},
		{3 << 40, "3 tb"},
		{1<<30 + 1, "1073741825 bytes"},
	}
	for _, tt := range tests {
		if got := FormatMemorySize(tt.in); got != tt.want {
			t.Errorf("FormatMemorySize(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseMemorySize(tt.want); err != nil || back != tt.in {
			t.Errorf("ParseMemorySize(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
		}
	}
}

func TestParseScalars(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, " False ": false, "false": false} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "yes", "1", "t"} {
		if _, err := parseBool(bad); err == nil || err.Error() != "expected true or false" {
			t.Errorf("parseBool(%q) error = %v", bad, err)
		}
	}
	if got, err := parseInt(" -4 "); err != nil || got != -4 {
		t.Errorf("parseInt = %v, %v", got, err)
	}
	for _, bad := range []string{"", "4.0", "four", "99999999999999999999"} {
		if _, err := parseInt(bad); err == nil || err.Error() != "expected an integer" {
			t.Errorf("parseInt(%q) error = %v", bad, err)
		}
	}
	if got, err := parseInt64("9223372036854775807"); err != nil || got != 1<<63-1 {
		t.Errorf("parseInt64 = %v, %v", got, err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"100 ms", "10s", "1 min", "2 h", "1d", "100", "1m30s", "-1s", "1.5h", "7µs", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}

func FuzzParseMemorySize(f *testing.F) {
	for _, s := range []string{"1600m", "1728 mb", "1g", "512kb", "100", "1t", "-1", "1.5g", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMemorySize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseMemorySize(%q) = %d, negative", s, n)
		}
		back, err := ParseMemorySize(FormatMemorySize(n))
		if err != nil || back != n {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", s, n, FormatMemorySize(n), back, err)
		}
	})
}
