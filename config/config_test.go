package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test-only options covering the types the core options do not use.
var (
	testMemory = MemorySize("test.memory.size", 64<<20, "test memory size")
	testInt64  = Int64("test.int64", 7, "test int64")
	// test.list is only registered: the YAML tests set it by key and read
	// it back raw, to cover list values.
	_        = String("test.list", "", "test list")
	testMode = Enum("test.mode", "STREAMING", []string{"STREAMING", "BATCH", "AUTOMATIC"}, "test enum")
)

const noMatch = "; see docs/configuration.md for the list of keys"

func TestSetErrors(t *testing.T) {
	tests := []struct {
		key, value string
		want       string
		sentinel   error
	}{
		{"paralelism.default", "2", `config: unknown key "paralelism.default"; did you mean "parallelism.default"?`, ErrUnknownKey},
		{"Parallelism.Default", "2", `config: unknown key "Parallelism.Default"; did you mean "parallelism.default"?`, ErrUnknownKey},
		{"parallelism", "2", `config: unknown key "parallelism"; did you mean "parallelism.default"?`, ErrUnknownKey},
		{"pipeline", "2", `config: unknown key "pipeline"` + noMatch, ErrUnknownKey},
		{"max-parallelism", "2", `config: unknown key "max-parallelism"; did you mean "pipeline.max-parallelism"?`, ErrUnknownKey},
		{"execution.max-parallelism", "2", `config: unknown key "execution.max-parallelism"; did you mean "pipeline.max-parallelism"?`, ErrUnknownKey},
		{"buffer-timeout", "2", `config: unknown key "buffer-timeout"; did you mean "execution.buffer-timeout"?`, ErrUnknownKey},
		{"execution.buffer-timeout.enable", "true", `config: unknown key "execution.buffer-timeout.enable"; did you mean "execution.buffer-timeout.enabled"?`, ErrUnknownKey},
		{"state.backend", "hashmap", `config: unknown key "state.backend"; did you mean "state.backend.type"?`, ErrUnknownKey},
		{"foo.enabled", "true", `config: unknown key "foo.enabled"` + noMatch, ErrUnknownKey},
		{"totally.unrelated", "x", `config: unknown key "totally.unrelated"` + noMatch, ErrUnknownKey},
		{"parallelism.default", "two", `config: invalid value "two" for key "parallelism.default": expected an integer`, ErrBadValue},
		{"parallelism.default", "0", `config: invalid value "0" for key "parallelism.default": must be >= 1`, ErrBadValue},
		{"pipeline.max-parallelism", "0", `config: invalid value "0" for key "pipeline.max-parallelism": must be -1 (derive) or between 1 and 32768`, ErrBadValue},
		{"pipeline.max-parallelism", "32769", `config: invalid value "32769" for key "pipeline.max-parallelism": must be -1 (derive) or between 1 and 32768`, ErrBadValue},
		{"execution.batch-size", "0", `config: invalid value "0" for key "execution.batch-size": must be >= 1`, ErrBadValue},
		{"taskmanager.network.memory.buffers-per-channel", "-1", `config: invalid value "-1" for key "taskmanager.network.memory.buffers-per-channel": must be >= 1`, ErrBadValue},
		{"test.mode", "stream", `config: invalid value "stream" for key "test.mode": expected one of STREAMING, BATCH, AUTOMATIC`, ErrBadValue},
		{"pipeline.operator-chaining.enabled", "yes", `config: invalid value "yes" for key "pipeline.operator-chaining.enabled": expected true or false`, ErrBadValue},
		{"execution.buffer-timeout", "soon", `config: invalid value "soon" for key "execution.buffer-timeout": ` + errDuration.Error(), ErrBadValue},
		{"test.memory.size", "1.5g", `config: invalid value "1.5g" for key "test.memory.size": ` + errMemory.Error(), ErrBadValue},
		{"test.int64", "x", `config: invalid value "x" for key "test.int64": expected a 64-bit integer`, ErrBadValue},
	}
	for _, tt := range tests {
		c := New()
		err := c.Set(tt.key, tt.value)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Set(%q, %q) error:\n got  %v\n want %s", tt.key, tt.value, err, tt.want)
		}
		if !errors.Is(err, tt.sentinel) {
			t.Errorf("Set(%q, %q) error %v does not wrap %v", tt.key, tt.value, err, tt.sentinel)
		}
		if len(c.Keys()) != 0 {
			t.Errorf("Set(%q, %q) stored a rejected value", tt.key, tt.value)
		}
	}
}

// TestBadValueWrapsCause checks that a rejected value's error wraps the
// parser's error as well as ErrBadValue, so callers can tell causes apart.
func TestBadValueWrapsCause(t *testing.T) {
	tests := []struct {
		key, value string
		cause      error
	}{
		{"execution.buffer-timeout", "soon", errDuration},
		{"test.memory.size", "1.5g", errMemory},
	}
	for _, tt := range tests {
		err := New().Set(tt.key, tt.value)
		if !errors.Is(err, ErrBadValue) || !errors.Is(err, tt.cause) {
			t.Errorf("Set(%q, %q) error %v does not wrap both ErrBadValue and %v", tt.key, tt.value, err, tt.cause)
		}
	}
}

func TestGetAndSet(t *testing.T) {
	c := New()
	sets := map[string]string{
		"parallelism.default":                "4",
		"pipeline.max-parallelism":           "256",
		"execution.buffer-timeout":           "5 ms",
		"execution.buffer-timeout.enabled":   "FALSE",
		"pipeline.auto-watermark-interval":   "1s",
		"pipeline.operator-chaining.enabled": "true",
		"pipeline.name":                      "  my job ",
		"execution.batch-size":               "64",
		"state.backend.type":                 "HashMap",
		"test.mode":                          "batch",
		"test.memory.size":                   "1728 mb",
		"test.int64":                         "-9",
	}
	for k, v := range sets {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("parallelism", Get(c, ParallelismDefault), 4)
	check("max-parallelism", Get(c, MaxParallelism), 256)
	check("buffer-timeout", Get(c, BufferTimeout), 5*time.Millisecond)
	check("buffer-timeout.enabled", Get(c, BufferTimeoutEnabled), false)
	check("watermark interval", Get(c, AutoWatermarkInterval), time.Second)
	check("chaining", Get(c, OperatorChaining), true)
	check("name", Get(c, PipelineName), "  my job ")
	check("batch size", Get(c, BatchSize), 64)
	check("buffers", Get(c, BuffersPerChannel), 2)
	check("backend", Get(c, StateBackendType), "hashmap")
	check("mode", Get(c, testMode), "BATCH")
	check("memory", Get(c, testMemory), int64(1728<<20))
	check("int64", Get(c, testInt64), int64(-9))
	check("raw mode", must(c.Raw("test.mode")), "batch")

	var nilConf *Configuration
	check("nil conf", Get(nilConf, BufferTimeout), 100*time.Millisecond)
	check("default", Get(New(), testMode), "STREAMING")
	check("default max", Get(New(), MaxParallelism), -1)
}

func must(s string, ok bool) string {
	if !ok {
		return "<unset>"
	}
	return s
}

func TestSetValue(t *testing.T) {
	c := New()
	SetValue(c, BufferTimeout, 3*time.Second)
	SetValue(c, ParallelismDefault, 8)
	SetValue(c, testMemory, 1<<30)
	SetValue(c, testMode, "AUTOMATIC")
	if got := Get(c, BufferTimeout); got != 3*time.Second {
		t.Errorf("BufferTimeout = %v", got)
	}
	if raw, _ := c.Raw(BufferTimeout.Key()); raw != "3 s" {
		t.Errorf("raw BufferTimeout = %q", raw)
	}
	if raw, _ := c.Raw(testMemory.Key()); raw != "1 gb" {
		t.Errorf("raw memory = %q", raw)
	}
	if got := Get(c, ParallelismDefault); got != 8 {
		t.Errorf("parallelism = %v", got)
	}
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), `"parallelism.default"`) {
			t.Errorf("SetValue with invalid value: recovered %v, want ErrBadValue naming the key", r)
		}
	}()
	SetValue(c, ParallelismDefault, 0)
}

func TestSetAllIsAtomic(t *testing.T) {
	c := New()
	err := c.SetAll(map[string]string{
		"parallelism.default":      "2",
		"pipeline.max-parallelism": "0",
		"paralelism.default":       "3",
	})
	want := `config: unknown key "paralelism.default"; did you mean "parallelism.default"?` + "\n" +
		`config: invalid value "0" for key "pipeline.max-parallelism": must be -1 (derive) or between 1 and 32768`
	if err == nil || err.Error() != want {
		t.Fatalf("SetAll error:\n got  %v\n want %s", err, want)
	}
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrBadValue) {
		t.Errorf("SetAll error does not wrap both sentinels")
	}
	if len(c.Keys()) != 0 {
		t.Errorf("SetAll applied entries despite errors: %v", c.Keys())
	}
	if err := c.SetAll(map[string]string{"parallelism.default": "2", "pipeline.name": "x"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Keys(); !reflect.DeepEqual(got, []string{"parallelism.default", "pipeline.name"}) {
		t.Errorf("Keys = %v", got)
	}
}

func TestCloneMerge(t *testing.T) {
	base := New()
	_ = base.Set("parallelism.default", "2")
	_ = base.Set("pipeline.name", "base")
	clone := base.Clone()
	_ = clone.Set("pipeline.name", "clone")
	if got := Get(base, PipelineName); got != "base" {
		t.Errorf("clone shares storage: base name = %q", got)
	}
	over := New()
	_ = over.Set("pipeline.name", "over")
	_ = over.Set("execution.batch-size", "8")
	base.Merge(over)
	base.Merge(nil)
	base.Merge(base)
	if got := base.Keys(); !reflect.DeepEqual(got, []string{"execution.batch-size", "parallelism.default", "pipeline.name"}) {
		t.Errorf("Keys after merge = %v", got)
	}
	if Get(base, PipelineName) != "over" || Get(base, BatchSize) != 8 || Get(base, ParallelismDefault) != 2 {
		t.Errorf("merge: other's values must win and base's others stay")
	}
}

func TestKnownAndLookup(t *testing.T) {
	known := Known()
	for i := 1; i < len(known); i++ {
		if known[i-1].Key >= known[i].Key {
			t.Fatalf("Known not sorted: %q before %q", known[i-1].Key, known[i].Key)
		}
	}
	want := map[string]OptionInfo{
		"parallelism.default":              {Key: "parallelism.default", Default: "1", Type: "int"},
		"pipeline.max-parallelism":         {Key: "pipeline.max-parallelism", Default: "-1", Type: "int"},
		"execution.buffer-timeout":         {Key: "execution.buffer-timeout", Default: "100 ms", Type: "duration"},
		"execution.buffer-timeout.enabled": {Key: "execution.buffer-timeout.enabled", Default: "true", Type: "bool"},
		"pipeline.auto-watermark-interval": {Key: "pipeline.auto-watermark-interval", Default: "200 ms", Type: "duration"},
		"pipeline.name":                    {Key: "pipeline.name", Default: "", Type: "string"},
		"test.mode":                        {Key: "test.mode", Default: "STREAMING", Type: "enum", Allowed: []string{"STREAMING", "BATCH", "AUTOMATIC"}},
		"test.memory.size":                 {Key: "test.memory.size", Default: "64 mb", Type: "memory-size"},
	}
	for key, w := range want {
		got, ok := Lookup(key)
		if !ok {
			t.Errorf("Lookup(%q) not found", key)
			continue
		}
		if got.Description == "" {
			t.Errorf("%q has no description", key)
		}
		got.Description = ""
		if !reflect.DeepEqual(got, w) {
			t.Errorf("Lookup(%q) = %+v, want %+v", key, got, w)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found")
	}
}

func TestDefinitionPanics(t *testing.T) {
	for name, define := range map[string]func(){
		"duplicate key":   func() { Int("parallelism.default", 1, "dup") },
		"enum default":    func() { Enum("test.bad-enum", "x", []string{"a"}, "") },
		"invalid default": func() { Int("test.bad-default", 0, "").WithValidator(atLeast(1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			define()
		}()
	}
}

func TestParseDynamicArgs(t *testing.T) {
	tests := []struct {
		args  []string
		props map[string]string
		rest  []string
		err   string
	}{
		{args: nil, props: map[string]string{}, rest: []string{}},
		{
			args:  []string{"run", "-D", "parallelism.default=4", "-Dpipeline.name=a=b", "--input", "x", "-Dparallelism.default=5"},
			props: map[string]string{"parallelism.default": "5", "pipeline.name": "a=b"},
			rest:  []string{"run", "--input", "x"},
		},
		{
			args:  []string{"-D", "k = v ", "--", "-Dnot=prop"},
			props: map[string]string{"k": "v"},
			rest:  []string{"--", "-Dnot=prop"},
		},
		{args: []string{"-Dempty="}, props: map[string]string{"empty": ""}, rest: []string{}},
		{args: []string{"x", "-D"}, err: "config: -D needs a key=value argument"},
		{args: []string{"-Dfoo"}, err: `config: dynamic property "foo" is not of the form -D key=value`},
		{args: []string{"-D", "foo"}, err: `config: dynamic property "foo" is not of the form -D key=value`},
		{args: []string{"-D=v"}, err: `config: dynamic property "=v" is not of the form -D key=value`},
	}
	for _, tt := range tests {
		props, rest, err := ParseDynamicArgs(tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseDynamicArgs(%q) error = %v, want %s", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(props, tt.props) || !reflect.DeepEqual(rest, tt.rest) {
			t.Errorf("ParseDynamicArgs(%q) = %v, %q, %v; want %v, %q", tt.args, props, rest, err, tt.props, tt.rest)
		}
	}
}

func TestParseYAML(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       map[string]string
		err        string
	}{
		{name: "flat", yaml: "parallelism.default: 2\n", want: map[string]string{"parallelism.default": "2"}},
		{name: "nested", yaml: "parallelism:\n  default: 2\n", want: map[string]string{"parallelism.default": "2"}},
		{
			name: "mixed",
			yaml: "execution:\n  buffer-timeout: 10 ms\n  buffer-timeout.enabled: false\n" +
				"test:\n  mode: batch\npipeline.name: \"job: 1\"\ntaskmanager.network:\n  memory:\n    buffers-per-channel: 4\n",
			want: map[string]string{
				"execution.buffer-timeout": "10 ms", "execution.buffer-timeout.enabled": "false",
				"test.mode": "batch", "pipeline.name": "job: 1",
				"taskmanager.network.memory.buffers-per-channel": "4",
			},
		},
		{name: "list", yaml: "test.list: [a, 1, true]\n", want: map[string]string{"test.list": "a;1;true"}},
		{name: "list of maps", yaml: "test.list:\n  - {b: 2, a: x}\n  - c: 3\n", want: map[string]string{"test.list": "a:x,b:2;c:3"}},
		{name: "null", yaml: "pipeline.name:\n", want: map[string]string{"pipeline.name": ""}},
		{name: "float", yaml: "test.list: 0.5\n", want: map[string]string{"test.list": "0.5"}},
		{name: "big int", yaml: "test.int64: 9223372036854775807\n", want: map[string]string{"test.int64": "9223372036854775807"}},
		{name: "empty", yaml: "", want: map[string]string{}},
		{name: "comments only", yaml: "# nothing\n", want: map[string]string{}},
		{
			name: "unknown key",
			yaml: "paralelism.default: 2\n",
			err:  `config: unknown key "paralelism.default" in conf.yaml; did you mean "parallelism.default"?`,
		},
		{
			name: "unknown nested key",
			yaml: "parallelism:\n  defualt: 2\n",
			err:  `config: unknown key "parallelism.defualt" in conf.yaml; did you mean "parallelism.default"?`,
		},
		{
			name: "unknown far key",
			yaml: "jobmanager.rpc.address: localhost\n",
			err:  `config: unknown key "jobmanager.rpc.address" in conf.yaml` + noMatch,
		},
		{
			name: "bad value",
			yaml: "parallelism.default: 0\n",
			err:  `config: invalid value "0" for key "parallelism.default" in conf.yaml: must be >= 1`,
		},
		{
			name: "set twice",
			yaml: "parallelism.default: 2\nparallelism:\n  default: 3\n",
			err:  `config: conf.yaml: key "parallelism.default" is set more than once`,
		},
		{
			name: "nested list",
			yaml: "test.list: [[a]]\n",
			err:  `config: conf.yaml: key "test.list": unsupported nesting: expected a scalar, list of scalars or list of maps`,
		},
		{name: "not a map", yaml: "- a\n- b\n", err: "config: parsing conf.yaml: top level must be a mapping of keys to values"},
		{name: "scalar", yaml: "2\n", err: "config: parsing conf.yaml: top level must be a mapping of keys to values"},
		{name: "repeated key", yaml: "pipeline.name: a\npipeline.name: b\n", err: "config: parsing conf.yaml: "},
		{name: "syntax", yaml: "a: [\n", err: "config: parsing conf.yaml: "},
	}
	for _, tt := range tests {
		c, err := ParseYAML([]byte(tt.yaml), "conf.yaml")
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) || !strings.HasSuffix(tt.err, " ") && err.Error() != tt.err {
				t.Errorf("%s: error:\n got  %v\n want %s", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := map[string]string{}
		for _, k := range c.Keys() {
			got[k], _ = c.Raw(k)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestYAMLNestedEqualsFlat(t *testing.T) {
	flat, err1 := ParseYAML([]byte("parallelism.default: 2"), "a")
	nested, err2 := ParseYAML([]byte("parallelism:\n  default: 2"), "b")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if Get(flat, ParallelismDefault) != 2 || Get(nested, ParallelismDefault) != 2 {
		t.Error("flat and nested forms differ")
	}
}

func TestLoadYAML(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("pipeline:\n  auto-watermark-interval: 1 s\n  max-parallelism: 128\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadYAML(path)
	if err != nil {
		t.Fatal(err)
	}
	if Get(c, AutoWatermarkInterval) != time.Second || Get(c, MaxParallelism) != 128 {
		t.Errorf("LoadYAML values: %v", c.Keys())
	}
	if err := os.WriteFile(path, []byte("pipeline.naem: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadYAML(path)
	if want := fmt.Sprintf(`config: unknown key "pipeline.naem" in %s; did you mean "pipeline.name"?`, path); err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	if _, err := LoadYAML(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file error = %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	file, err := ParseYAML([]byte("parallelism.default: 2\npipeline.name: file\nexecution.batch-size: 10\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	props, _, err := ParseDynamicArgs([]string{"-Dparallelism.default=3", "-Dpipeline.name=dyn"})
	if err != nil {
		t.Fatal(err)
	}
	dyn := New()
	if err := dyn.SetAll(props); err != nil {
		t.Fatal(err)
	}
	file.Merge(dyn)
	SetValue(file, ParallelismDefault, 4)
	if Get(file, ParallelismDefault) != 4 || Get(file, PipelineName) != "dyn" || Get(file, BatchSize) != 10 || Get(file, BuffersPerChannel) != 2 {
		t.Error("precedence must be code > -D > file > default")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				_ = c.Set("execution.batch-size", fmt.Sprint(1+i+j))
				_ = Get(c, BatchSize)
				_ = c.Clone().Keys()
			}
		})
	}
	wg.Wait()
}

func FuzzParseYAML(f *testing.F) {
	for _, s := range []string{
		"parallelism.default: 2\n",
		"parallelism:\n  default: 2\n",
		"test.list: [a, b]\n",
		"test.list:\n  - {a: 1}\n",
		"a: &x [*x]\n",
		"execution:\n  buffer-timeout: 10 ms\n",
		"- 1\n",
		"? [a]\n: b\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseYAML(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, k := range c.Keys() {
			if _, ok := Lookup(k); !ok {
				t.Fatalf("accepted unknown key %q", k)
			}
		}
	})
}
