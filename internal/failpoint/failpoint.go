package failpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Env is the environment variable that arms failpoints.
const Env = "WEIR_FAILPOINTS"

// ExitCode is the status an armed failpoint exits with (128 + SIGKILL).
const ExitCode = 137

// armed maps a failpoint name to the hit that fires it (1 = first).
var armed = parse(os.Getenv(Env))

var (
	mu   sync.Mutex
	hits = map[string]int{}
)

// exit is replaced in tests.
var exit = func(name string) {
	fmt.Fprintf(os.Stderr, "failpoint %s: exiting with status %d\n", name, ExitCode)
	os.Exit(ExitCode)
}

// Crash ends the process if the failpoint name is armed and this is the hit
// it waits for.
func Crash(name string) {
	at, ok := armed[name]
	if !ok {
		return
	}
	mu.Lock()
	hits[name]++
	n := hits[name]
	mu.Unlock()
	if n == at {
		exit(name)
	}
}

// Arm returns the environment entry that arms name on its n-th hit, for a
// test to add to a child process's environment.
func Arm(n int, names ...string) string {
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "@" + strconv.Itoa(n)
	}
	return Env + "=" + strings.Join(parts, ",")
}

func parse(spec string) map[string]int {
	out := map[string]int{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, nth, found := strings.Cut(item, "@")
		n := 1
		if found {
			v, err := strconv.Atoi(nth)
			if err != nil || v < 1 {
				fmt.Fprintf(os.Stderr, "%s: %q: the hit count after @ must be a positive integer; arming the first hit\n", Env, item)
			} else {
				n = v
			}
		}
		out[name] = n
	}
	return out
}
