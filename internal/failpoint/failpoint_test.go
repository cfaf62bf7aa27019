package failpoint

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	got := parse(" a , b@3,c@x,,d@0")
	want := map[string]int{"a": 1, "b": 3, "c": 1, "d": 1}
	if len(got) != len(want) {
		t.Fatalf("parse = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("parse[%q] = %d, want %d", k, got[k], v)
		}
	}
}

func TestCrashFiresOnTheArmedHit(t *testing.T) {
	saved, savedExit := armed, exit
	t.Cleanup(func() { armed, exit = saved, savedExit })
	var fired []string
	exit = func(name string) { fired = append(fired, name) }
	armed = parse(strings.TrimPrefix(Arm(2, "p"), Env+"="))
	Crash("other")
	Crash("p")
	if len(fired) != 0 {
		t.Fatalf("fired %v before the second hit", fired)
	}
	Crash("p")
	Crash("p")
	if len(fired) != 1 || fired[0] != "p" {
		t.Fatalf("fired %v, want exactly one firing of p", fired)
	}
}
