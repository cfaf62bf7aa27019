package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Option is a typed, documented config key. Options are created by the
// constructors below, which register them globally, and are read with [Get].
type Option[T any] struct {
	key      string
	def      T
	desc     string
	typ      string
	allowed  []string
	parse    func(string) (T, error)
	format   func(T) string
	validate func(T) error
}

// Key returns the option's configuration key, e.g. "parallelism.default".
func (o *Option[T]) Key() string { return o.key }

// Default returns the value used when the key is not set.
func (o *Option[T]) Default() T { return o.def }

// Description returns the option's documentation.
func (o *Option[T]) Description() string { return o.desc }

// WithValidator adds a range/consistency check applied to every value set for
// the option. It is meant for use at definition time and panics if the default
// itself is invalid, since that is a programmer error.
func (o *Option[T]) WithValidator(v func(T) error) *Option[T] {
	if err := v(o.def); err != nil {
		panic(fmt.Sprintf("config: default of %q is invalid: %v", o.key, err))
	}
	o.validate = v
	return o
}

// check parses and validates s, returning the typed value.
func (o *Option[T]) check(s string) (T, error) {
	v, err := o.parse(s)
	if err == nil && o.validate != nil {
		err = o.validate(v)
	}
	return v, err
}

func (o *Option[T]) checkRaw(s string) error {
	_, err := o.check(s)
	return err
}

func (o *Option[T]) info() OptionInfo {
	return OptionInfo{
		Key:         o.key,
		Default:     o.format(o.def),
		Description: o.desc,
		Type:        o.typ,
		Allowed:     append([]string(nil), o.allowed...),
	}
}

// OptionInfo describes a registered option for help output and docs.
type OptionInfo struct {
	Key         string
	Default     string // formatted as it would be written in a config file
	Description string
	Type        string   // int, int64, bool, string, duration, enum or memory-size
	Allowed     []string // the accepted values of an enum option, else nil
}

// registered is the type-erased view of an *Option[T] the registry needs.
type registered interface {
	info() OptionInfo
	checkRaw(string) error
}

var registry = struct {
	sync.RWMutex
	m map[string]registered
}{m: map[string]registered{}}

func register[T any](o *Option[T]) *Option[T] {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[o.key]; dup {
		panic(fmt.Sprintf("config: option %q registered twice", o.key))
	}
	for p := range prefixes {
		if strings.HasPrefix(o.key, p) {
			panic(fmt.Sprintf("config: option %q is under the registered prefix %q", o.key, p))
		}
	}
	registry.m[o.key] = o
	return o
}

func lookup(key string) (registered, bool) {
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.m[key]
	return r, ok
}

// Known lists all registered options sorted by key.
func Known() []OptionInfo {
	registry.RLock()
	out := make([]OptionInfo, 0, len(registry.m))
	for _, r := range registry.m {
		out = append(out, r.info())
	}
	registry.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Lookup returns the description of a registered key.
func Lookup(key string) (OptionInfo, bool) {
	r, ok := lookup(key)
	if !ok {
		return OptionInfo{}, false
	}
	return r.info(), true
}

func newOption[T any](key string, def T, desc, typ string, parse func(string) (T, error), format func(T) string) *Option[T] {
	return register(&Option[T]{key: key, def: def, desc: desc, typ: typ, parse: parse, format: format})
}

// Int defines an integer option.
func Int(key string, def int, desc string) *Option[int] {
	return newOption(key, def, desc, "int", parseInt, strconv.Itoa)
}

// Int64 defines a 64-bit integer option.
func Int64(key string, def int64, desc string) *Option[int64] {
	return newOption(key, def, desc, "int64", parseInt64, formatInt64)
}

// Bool defines a boolean option; "true" and "false" are accepted in any case.
func Bool(key string, def bool, desc string) *Option[bool] {
	return newOption(key, def, desc, "bool", parseBool, strconv.FormatBool)
}

// String defines a free-form string option.
func String(key string, def string, desc string) *Option[string] {
	return newOption(key, def, desc, "string", parseString, func(s string) string { return s })
}

// Duration defines a duration option in Flink's format ("100 ms", "10s",
// "1 min"; a bare number is milliseconds) or Go's ("1m30s").
func Duration(key string, def time.Duration, desc string) *Option[time.Duration] {
	return newOption(key, def, desc, "duration", ParseDuration, FormatDuration)
}

// MemorySize defines a size in bytes in Flink's format ("1600m", "1728 mb",
// "1g", "512kb"; a bare number is bytes). Units are powers of 1024.
func MemorySize(key string, def int64, desc string) *Option[int64] {
	return newOption(key, def, desc, "memory-size", ParseMemorySize, FormatMemorySize)
}

// Enum defines an option restricted to allowed. Values match case-insensitively
// and are returned in their canonical spelling from allowed, so code can
// compare against constants.
func Enum(key string, def string, allowed []string, desc string) *Option[string] {
	allowed = append([]string(nil), allowed...)
	canon := func(s string) (string, bool) {
		s = strings.TrimSpace(s)
		for _, a := range allowed {
			if strings.EqualFold(s, a) {
				return a, true
			}
		}
		return "", false
	}
	c, ok := canon(def)
	if !ok {
		panic(fmt.Sprintf("config: default %q of %q is not one of %v", def, key, allowed))
	}
	parse := func(s string) (string, error) {
		if v, ok := canon(s); ok {
			return v, nil
		}
		return "", fmt.Errorf("expected one of %s", strings.Join(allowed, ", "))
	}
	o := &Option[string]{key: key, def: c, desc: desc, typ: "enum", allowed: allowed, parse: parse,
		format: func(s string) string { return s }}
	return register(o)
}
