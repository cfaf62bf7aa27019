package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/weirstream/weir/internal/editdist"
)

var (
	// ErrUnknownKey is wrapped by errors for keys no option is registered for.
	ErrUnknownKey = errors.New("config: unknown key")
	// ErrBadValue is wrapped by errors for values an option cannot parse or
	// whose validator rejects them.
	ErrBadValue = errors.New("config: invalid value")
)

// Configuration holds raw string values by key. Every value is validated
// against its option when set, so [Get] never fails. It is safe for
// concurrent use. Create one with [New].
type Configuration struct {
	mu     sync.RWMutex
	values map[string]string
}

// New returns an empty configuration: every option has its default.
func New() *Configuration { return &Configuration{values: map[string]string{}} }

// Set validates value against the option registered for key and stores it.
func (c *Configuration) Set(key, value string) error {
	if err := validate(key, value, ""); err != nil {
		return err
	}
	c.mu.Lock()
	c.values[key] = value
	c.mu.Unlock()
	return nil
}

// SetAll sets every entry of m, or none of them if any is invalid; the error
// then reports every invalid entry, in key order.
func (c *Configuration) SetAll(m map[string]string) error {
	return c.setAll(m, "")
}

func (c *Configuration) setAll(m map[string]string, source string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := validate(k, m[k], source); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.mu.Lock()
	maps.Copy(c.values, m)
	c.mu.Unlock()
	return nil
}

// Clone returns an independent copy.
func (c *Configuration) Clone() *Configuration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return &Configuration{values: maps.Clone(c.values)}
}

// Keys returns the explicitly set keys, sorted.
func (c *Configuration) Keys() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.values))
}

// Raw returns the value stored for key as it was set.
func (c *Configuration) Raw(key string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.values[key]
	return v, ok
}

// Merge copies other's values into c, overwriting c's: other is the layer
// with higher precedence.
func (c *Configuration) Merge(other *Configuration) {
	if other == nil || other == c {
		return
	}
	other.mu.RLock()
	m := maps.Clone(other.values)
	other.mu.RUnlock()
	c.mu.Lock()
	maps.Copy(c.values, m)
	c.mu.Unlock()
}

// Get returns o's value in c, or o's default if it is not set or c is nil.
func Get[T any](c *Configuration, o *Option[T]) T {
	if c == nil {
		return o.def
	}
	raw, ok := c.Raw(o.key)
	if !ok {
		return o.def
	}
	v, err := o.check(raw)
	if err != nil { // unreachable: Set validated raw against this option
		return o.def
	}
	return v
}

// SetValue sets o to v from code. Values from code are not user input, so an
// invalid one (failing o's validator) is a programmer error and panics.
func SetValue[T any](c *Configuration, o *Option[T], v T) {
	if o.validate != nil {
		if err := o.validate(v); err != nil {
			panic(badValue(o.key, o.format(v), "", err))
		}
	}
	c.mu.Lock()
	c.values[o.key] = o.format(v)
	c.mu.Unlock()
}

func validate(key, value, source string) error {
	r, ok := lookup(key)
	if !ok {
		if p, ok := lookupPrefix(key); ok {
			if p.check == nil {
				return nil
			}
			if err := p.check(key[len(p.info.Prefix):], value); err != nil {
				return fmt.Errorf("%w %q%s: %w", ErrBadValue, key, in(source), err)
			}
			return nil
		}
		return unknownKey(key, source)
	}
	if err := r.checkRaw(value); err != nil {
		return badValue(key, value, source, err)
	}
	return nil
}

func in(source string) string {
	if source == "" {
		return ""
	}
	return " in " + source
}

func badValue(key, value, source string, err error) error {
	return fmt.Errorf("%w %q for key %q%s: %w", ErrBadValue, value, key, in(source), err)
}

func unknownKey(key, source string) error {
	if s, ok := suggest(key); ok {
		return fmt.Errorf("%w %q%s; did you mean %q?", ErrUnknownKey, key, in(source), s)
	}
	return fmt.Errorf("%w %q%s; see docs/configuration.md for the list of keys",
		ErrUnknownKey, key, in(source))
}

// minSuffix is the shortest shared dotted suffix that counts as a hint, so a
// generic last segment such as "enabled" or "type" alone suggests nothing.
const minSuffix = 8

// suggest returns the registered key the user most likely meant: the closest
// by edit distance if within 3 (case-insensitive), else the key sharing the
// longest dotted suffix ("max-parallelism" -> "pipeline.max-parallelism"),
// else the only key below it ("state.backend" -> "state.backend.type", and
// "parallelism: 2" in YAML -> "parallelism.default").
func suggest(key string) (string, bool) {
	lk := strings.ToLower(key)
	best, bestDist := "", 4
	bestSfx, bestSfxLen, bestSfxDist := "", minSuffix-1, 0
	var children []string
	for _, info := range Known() {
		k := strings.ToLower(info.Key)
		d := editdist.Levenshtein(lk, k)
		if d < bestDist {
			best, bestDist = info.Key, d
		}
		if n := sharedSuffix(lk, k); n > bestSfxLen || n == bestSfxLen && bestSfx != "" && d < bestSfxDist {
			bestSfx, bestSfxLen, bestSfxDist = info.Key, n, d
		}
		if strings.HasPrefix(k, lk+".") {
			children = append(children, info.Key)
		}
	}
	switch {
	case best != "":
		return best, true
	case bestSfx != "":
		return bestSfx, true
	case len(children) == 1:
		return children[0], true
	}
	return "", false
}

// sharedSuffix returns the length of the longest common suffix of a and b
// that starts at a key-segment boundary in both (start of string or after '.').
func sharedSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	for ; n > 0; n-- {
		if atBoundary(a, len(a)-n) && atBoundary(b, len(b)-n) {
			return n
		}
	}
	return 0
}

func atBoundary(s string, i int) bool { return i == 0 || s[i-1] == '.' }
