package config

import (
	"fmt"
	"strings"
)

// ParseDynamicArgs extracts Flink-style dynamic properties ("-D key=value" or
// "-Dkey=value") from args and returns the other args in order. The value is
// everything after the first '=', so values may contain '='. A later -D for
// the same key wins. Scanning stops at "--", which is kept in rest, so a job
// can receive literal "-D..." arguments of its own. Keys are not checked
// here; pass props to [Configuration.SetAll] for that.
func ParseDynamicArgs(args []string) (props map[string]string, rest []string, err error) {
	props = map[string]string{}
	rest = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-D") {
			rest = append(rest, a)
			continue
		}
		kv := a[2:]
		if kv == "" {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("config: -D needs a key=value argument")
			}
			i++
			kv = args[i]
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("config: dynamic property %q is not of the form -D key=value", kv)
		}
		props[k] = strings.TrimSpace(v)
	}
	return props, rest, nil
}
