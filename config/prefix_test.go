package config

import (
	"errors"
	"strings"
	"testing"
)

func init() {
	RegisterPrefix("test.pass.", "test pass-through keys", func(key, value string) error {
		if key == "bad" {
			return errors.New("no key named bad")
		}
		return nil
	})
}

func TestPrefixKeys(t *testing.T) {
	c := New()
	if err := c.SetAll(map[string]string{"test.pass.a.b": "1", "test.pass.c": "x", "test.int64": "3"}); err != nil {
		t.Fatal(err)
	}
	got := c.WithPrefix("test.pass.")
	if len(got) != 2 || got["a.b"] != "1" || got["c"] != "x" {
		t.Fatalf("WithPrefix = %v, want a.b=1 c=x", got)
	}
	err := c.Set("test.pass.bad", "1")
	if !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "no key named bad") || !strings.Contains(err.Error(), `"test.pass.bad"`) {
		t.Fatalf("Set(test.pass.bad) = %v, want a bad-value error naming the key and the check's reason", err)
	}
	if err := c.Set("test.pass.", "1"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Set of the bare prefix = %v, want unknown key", err)
	}
	if !strings.Contains(Markdown(), "| `test.pass.*` | test pass-through keys |") {
		t.Fatal("Markdown does not list the prefix")
	}
}

func TestPrefixRegistrationPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"no dot":           func() { RegisterPrefix("test", "", nil) },
		"twice":            func() { RegisterPrefix("test.pass.", "", nil) },
		"covers an option": func() { RegisterPrefix("test.", "", nil) },
		"option under it":  func() { String("test.pass.x", "", "") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
