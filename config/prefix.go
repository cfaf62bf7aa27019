package config

import (
	"fmt"
	"sort"
	"strings"
)

// PrefixInfo describes a registered key prefix for help output and docs.
type PrefixInfo struct {
	Prefix      string
	Description string
}

// prefix is a namespace of keys passed through to a component with its own
// key set (Kafka client properties under "properties."): any key under it is
// accepted if the component's check accepts it.
type prefix struct {
	info  PrefixInfo
	check func(key, value string) error
}

var prefixes = map[string]prefix{}

// RegisterPrefix accepts every key that starts with p (which must end in
// '.') and whose remainder check accepts (check may be nil). The component
// reads them with [Configuration.WithPrefix]. It panics if p is registered
// twice or overlaps a registered option's key, like option definitions.
func RegisterPrefix(p, description string, check func(key, value string) error) {
	if !strings.HasSuffix(p, ".") || len(p) < 2 {
		panic(fmt.Sprintf("config: prefix %q must end in '.'", p))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := prefixes[p]; dup {
		panic(fmt.Sprintf("config: prefix %q registered twice", p))
	}
	for k := range registry.m {
		if strings.HasPrefix(k, p) {
			panic(fmt.Sprintf("config: prefix %q covers the option %q", p, k))
		}
	}
	prefixes[p] = prefix{info: PrefixInfo{Prefix: p, Description: description}, check: check}
}

// lookupPrefix returns the registered prefix key falls under.
func lookupPrefix(key string) (prefix, bool) {
	registry.RLock()
	defer registry.RUnlock()
	for p, r := range prefixes {
		if strings.HasPrefix(key, p) && len(key) > len(p) {
			return r, true
		}
	}
	return prefix{}, false
}

// KnownPrefixes lists the registered prefixes sorted.
func KnownPrefixes() []PrefixInfo {
	registry.RLock()
	out := make([]PrefixInfo, 0, len(prefixes))
	for _, r := range prefixes {
		out = append(out, r.info)
	}
	registry.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out
}

// WithPrefix returns the values set under p, keyed by the rest of the key.
func (c *Configuration) WithPrefix(p string) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string]string{}
	for k, v := range c.values {
		if rest, ok := strings.CutPrefix(k, p); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}
