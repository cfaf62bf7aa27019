package stream_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

// Job configuration: stream.ParseArgs and the environment's settings.

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAPIParseArgs(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "job.yaml", "parallelism.default: 2\npipeline:\n  name: from-file\n")
	confDir := t.TempDir()
	writeFile(t, confDir, "config.yaml", "parallelism.default: 7\nexecution.batch-size: 64\n")
	badKeyFile := writeFile(t, dir, "bad.yaml", "paralelism.default: 2\n")

	type tc struct {
		name     string
		args     []string
		confDir  string
		wantPar  int
		wantName string
		wantRest []string
		wantErr  []string
		batch    int
	}
	cases := []tc{
		{name: "-D key=value", args: []string{"-D", "parallelism.default=3", "--input", "x"}, wantPar: 3, wantRest: []string{"--input", "x"}},
		{name: "-Dkey=value", args: []string{"-Dparallelism.default=3"}, wantPar: 3},
		{name: "--config FILE", args: []string{"--config", file, "job"}, wantPar: 2, wantName: "from-file", wantRest: []string{"job"}},
		{name: "--config=FILE with -D winning", args: []string{"--config=" + file, "-Dparallelism.default=5"}, wantPar: 5, wantName: "from-file"},
		{name: "-D wins over a later --config", args: []string{"-Dparallelism.default=5", "--config", file}, wantPar: 5, wantName: "from-file"},
		{name: "-D values may contain =", args: []string{"-Dpipeline.name=a=b"}, wantPar: 1, wantName: "a=b"},
		{name: "WEIR_CONF_DIR", confDir: confDir, wantPar: 7, batch: 64},
		{name: "--config over WEIR_CONF_DIR", confDir: confDir, args: []string{"--config", file}, wantPar: 2, wantName: "from-file", batch: 64},
		{name: "unknown -D key", args: []string{"-Dparalelism.default=2"},
			wantErr: []string{`unknown key "paralelism.default"`, `did you mean "parallelism.default"`}},
		{name: "unknown key in the file", args: []string{"--config", badKeyFile},
			wantErr: []string{`unknown key "paralelism.default"`, badKeyFile}},
		{name: "bad value", args: []string{"-Dparallelism.default=zero"},
			wantErr: []string{"invalid value", `"zero"`, `"parallelism.default"`}},
		{name: "--config without a path", args: []string{"--config"}, wantErr: []string{"--config needs a file path"}},
		{name: "missing file", args: []string{"--config", filepath.Join(dir, "nope.yaml")}, wantErr: []string{"nope.yaml"}},
		{name: "-D without a value", args: []string{"-D"}, wantErr: []string{"-D needs a key=value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(stream.ConfigFileEnv, c.confDir)
			cfg, rest, err := stream.ParseArgs(c.args)
			if c.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseArgs(%q) succeeded, want an error", c.args)
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseArgs(%q): %v", c.args, err)
			}
			if got := config.Get(cfg, config.ParallelismDefault); got != c.wantPar {
				t.Fatalf("parallelism.default = %d, want %d", got, c.wantPar)
			}
			if got := config.Get(cfg, config.PipelineName); got != c.wantName {
				t.Fatalf("pipeline.name = %q, want %q", got, c.wantName)
			}
			if c.batch != 0 {
				if got := config.Get(cfg, config.BatchSize); got != c.batch {
					t.Fatalf("execution.batch-size = %d, want %d", got, c.batch)
				}
			}
			if (len(rest) > 0 || len(c.wantRest) > 0) && !slices.Equal(rest, c.wantRest) {
				t.Fatalf("remaining args %q, want %q", rest, c.wantRest)
			}
		})
	}
	t.Run("unknown key error is config.ErrUnknownKey", func(t *testing.T) {
		t.Setenv(stream.ConfigFileEnv, "")
		_, _, err := stream.ParseArgs([]string{"-Dno.such.key=1"})
		if !errors.Is(err, config.ErrUnknownKey) {
			t.Fatalf("error %v does not wrap config.ErrUnknownKey", err)
		}
	})
}

// Arguments after "--" belong to the job: ParseDynamicArgs stops there, so
// ParseArgs must not read a --config that follows it either.
func TestAPIParseArgsStopsAtDoubleDash(t *testing.T) {
	t.Setenv(stream.ConfigFileEnv, "")
	args := []string{"-Dparallelism.default=2", "--", "--config", "job-own-file.txt"}
	cfg, rest, err := stream.ParseArgs(args)
	if err != nil {
		t.Fatalf("ParseArgs read --config after \"--\" (job arguments) as a configuration file: %v", err)
	}
	if config.Get(cfg, config.ParallelismDefault) != 2 {
		t.Fatalf("parallelism.default = %d, want 2", config.Get(cfg, config.ParallelismDefault))
	}
	if want := []string{"--", "--config", "job-own-file.txt"}; !slices.Equal(rest, want) {
		t.Fatalf("remaining args %q, want %q", rest, want)
	}
}

func TestAPIParallelismDefaultTakesEffect(t *testing.T) {
	t.Setenv(stream.ConfigFileEnv, "")
	for _, p := range []int{1, 3} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			cfg, _, err := stream.ParseArgs([]string{fmt.Sprintf("-Dparallelism.default=%d", p)})
			if err != nil {
				t.Fatal(err)
			}
			env := stream.NewEnvironment(cfg).SetLogger(slog.New(slog.DiscardHandler))
			if env.Config() != cfg {
				t.Fatal("Config() is not the configuration the environment was built with")
			}
			nums := stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "nums")
			out := collect.New[int64]()
			opened := newAcks()
			stream.SinkTo(stream.Process[int64, int64](nums, &openCount[int64]{acks: opened}), out)
			plan, err := env.Plan()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range plan.Vertices {
				if v.Parallelism != p {
					t.Fatalf("vertex %s has parallelism %d, want parallelism.default %d", v.Name, v.Parallelism, p)
				}
			}
			execute(t, env)
			checkOpened(t, opened, p)
			if out.Len() != 1000 {
				t.Fatalf("%d records, want 1000", out.Len())
			}
		})
	}
}

// pipeline.name names the job when Execute gets none: in the logs and in
// the error of a failed job.
func TestAPIPipelineNameAndLogger(t *testing.T) {
	var logs bytes.Buffer
	cfg := config.New()
	config.SetValue(cfg, config.PipelineName, "from-config")
	env := stream.NewEnvironment(cfg).SetParallelism(2).SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	nums := stream.FromSource(env, datagen.Sequence(0, 99), eventtime.NoWatermarks[int64](), "nums")
	failing := stream.Map(nums, func(v int64) (int64, error) {
		if v == 42 {
			return 0, errors.New("no 42s")
		}
		return v, nil
	})
	stream.SinkTo(failing, collect.New[int64]())
	err := env.Execute(t.Context(), "")
	if err == nil || !strings.Contains(err.Error(), `job "from-config" failed`) || !strings.Contains(err.Error(), "no 42s") {
		t.Fatalf("Execute = %v, want the failure of job \"from-config\"", err)
	}
	for _, want := range []string{"job starting", "job=from-config", "job failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// Tiny batches and queues push records through every exchange path
// (flush on full batch, backpressure) without changing results.
func TestAPIBatchAndBufferSettings(t *testing.T) {
	cfg, _, err := stream.ParseArgs([]string{"-Dexecution.batch-size=1", "-Dtaskmanager.network.memory.buffers-per-channel=1", "-Dexecution.buffer-timeout=1ms"})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(cfg).SetParallelism(4).SetBufferTimeout(0).SetLogger(slog.New(slog.DiscardHandler))
	recs := stream.FromSource(env, datagen.New(5000, genKV), eventtime.NoWatermarks[skv](), "kv")
	sums := stream.Reduce(stream.KeyBy(recs, keyOf), func(a, b skv) (skv, error) { return skv{K: a.K, V: a.V + b.V}, nil })
	out := collect.New[skv]()
	stream.SinkTo(sums.Rebalance(), out).SetParallelism(2)
	execute(t, env)
	want := map[string]int64{}
	for i := int64(0); i < 5000; i++ {
		r, _ := genKV(i)
		want[r.K] += r.V
	}
	final := map[string]int64{}
	for _, r := range out.Values() {
		final[r.K] = max(final[r.K], r.V)
	}
	if out.Len() != 5000 || len(final) != len(want) {
		t.Fatalf("%d results for %d keys, want 5000 for %d", out.Len(), len(final), len(want))
	}
	for k, v := range want {
		if final[k] != v {
			t.Fatalf("key %s: %d, want %d", k, final[k], v)
		}
	}
}

// Jobs take Flink's restore flags: -s/--fromSavepoint, -n/
// --allowNonRestoredState and --restoreMode, in either flag form.
func TestAPIParseArgsRestoreFlags(t *testing.T) {
	t.Setenv(stream.ConfigFileEnv, "")
	for _, args := range [][]string{
		{"-s", "/tmp/chk-7", "-n", "--restoreMode", "CLAIM", "--input", "x"},
		{"--fromSavepoint=/tmp/chk-7", "--allowNonRestoredState", "--restoreMode=CLAIM", "--input", "x"},
	} {
		cfg, rest, err := stream.ParseArgs(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for key, want := range map[string]string{
			"execution.savepoint.path":                   "/tmp/chk-7",
			"execution.savepoint.ignore-unclaimed-state": "true",
			"execution.savepoint-restore-mode":           "CLAIM",
		} {
			if got, _ := cfg.Raw(key); got != want {
				t.Errorf("%q: %s = %q, want %q", args, key, got, want)
			}
		}
		if want := []string{"--input", "x"}; !slices.Equal(rest, want) {
			t.Errorf("%q: remaining %q, want %q", args, rest, want)
		}
	}
	if _, _, err := stream.ParseArgs([]string{"-s"}); err == nil {
		t.Error("-s without a path was accepted")
	}
}
