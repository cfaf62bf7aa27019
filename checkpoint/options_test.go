package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
)

func TestOptionsDefaults(t *testing.T) {
	got, err := OptionsFrom(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		Mode: ExactlyOnce, Timeout: 10 * time.Minute, MaxConcurrent: 1, NumRetained: 1,
		Retention: NoExternalizedCheckpoints, AfterTasksFinish: true, ClaimMode: NoClaim,
		CheckpointsDir: "file://" + filepath.ToSlash(filepath.Join(os.TempDir(), "weir-checkpoints")),
	}
	if got != want {
		t.Errorf("defaults:\n got  %+v\n want %+v", got, want)
	}
	if DefaultOptions() != want {
		t.Errorf("DefaultOptions() = %+v", DefaultOptions())
	}
	if got.Enabled() {
		t.Error("checkpoints enabled by default; Flink leaves them off")
	}
}

func TestOptionsFrom(t *testing.T) {
	wd, _ := os.Getwd()
	tests := []struct {
		name  string
		set   map[string]string
		check func(Options) bool
		err   string // substring of the error; empty: no error
	}{
		{"interval", map[string]string{"execution.checkpointing.interval": "200 ms"},
			func(o Options) bool { return o.Interval == 200*time.Millisecond && o.Enabled() }, ""},
		{"at least once", map[string]string{"execution.checkpointing.mode": "at_least_once"},
			func(o Options) bool { return o.Mode == AtLeastOnce }, ""},
		{"unaligned with timeout", map[string]string{
			"execution.checkpointing.unaligned": "true", "execution.checkpointing.aligned-checkpoint-timeout": "30s"},
			func(o Options) bool { return o.Unaligned && o.AlignedTimeout == 30*time.Second }, ""},
		{"retention", map[string]string{"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION"},
			func(o Options) bool { return o.Retention == RetainOnCancellation }, ""},
		{"claim", map[string]string{"execution.savepoint-restore-mode": "CLAIM", "execution.savepoint.path": "/sp/x"},
			func(o Options) bool { return o.ClaimMode == Claim && o.RestorePath == "/sp/x" }, ""},
		{"relative dirs", map[string]string{"state.checkpoints.dir": "chk", "state.savepoints.dir": "/data/sp/"},
			func(o Options) bool {
				return o.CheckpointsDir == "file://"+filepath.ToSlash(filepath.Join(wd, "chk")) && o.SavepointsDir == "file:///data/sp"
			}, ""},
		{"s3 dir", map[string]string{"state.checkpoints.dir": "s3://bucket/weir/?region=eu-west-1"},
			func(o Options) bool { return o.CheckpointsDir == "s3://bucket/weir?region=eu-west-1" }, ""},
		{"unaligned at least once", map[string]string{"execution.checkpointing.unaligned": "true", "execution.checkpointing.mode": "AT_LEAST_ONCE"},
			nil, "unaligned checkpoints exist only for EXACTLY_ONCE"},
		{"unaligned concurrent", map[string]string{"execution.checkpointing.unaligned": "true", "execution.checkpointing.max-concurrent-checkpoints": "2"},
			nil, "concurrent unaligned checkpoints are not supported: set it to 1"},
		{"alignment timeout without unaligned", map[string]string{"execution.checkpointing.aligned-checkpoint-timeout": "1s"},
			nil, "enable unaligned checkpoints or remove the timeout"},
		{"min pause concurrent", map[string]string{"execution.checkpointing.min-pause": "1s", "execution.checkpointing.max-concurrent-checkpoints": "3"},
			nil, "set max-concurrent-checkpoints to 1 or min-pause to 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.New()
			if err := cfg.SetAll(tt.set); err != nil {
				t.Fatal(err)
			}
			o, err := OptionsFrom(cfg)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrBadOptions) {
					t.Fatalf("error %v, want one containing %q wrapping ErrBadOptions", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Errorf("unexpected options %+v", o)
			}
		})
	}
}

func TestOptionValidators(t *testing.T) {
	tests := []struct{ key, value, err string }{
		{"execution.checkpointing.interval", "5 ms", "must be 0 (disabled) or at least 10 ms"},
		{"execution.checkpointing.timeout", "0", "must be at least 10 ms"},
		{"execution.checkpointing.max-concurrent-checkpoints", "0", "must be >= 1"},
		{"execution.checkpointing.tolerable-failed-checkpoints", "-1", "must be >= 0"},
		{"state.checkpoints.num-retained", "0", "must be >= 1"},
		{"execution.checkpointing.mode", "EXACTLY", "expected one of EXACTLY_ONCE, AT_LEAST_ONCE"},
		{"execution.savepoint-restore-mode", "LEGACY", "expected one of CLAIM, NO_CLAIM"},
		{"state.checkpoints.dir", "hdfs://nn/chk", `unsupported storage scheme "hdfs"`},
		{"state.savepoints.dir", "file://host/sp", "three slashes"},
	}
	for _, tt := range tests {
		err := config.New().Set(tt.key, tt.value)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Set(%s, %q) = %v, want error containing %q", tt.key, tt.value, err, tt.err)
		}
	}
}

func TestNormalizeDir(t *testing.T) {
	wd, _ := os.Getwd()
	tests := []struct{ in, want, err string }{
		{"", "", ""},
		{"/tmp/x", "file:///tmp/x", ""},
		{"/tmp/x/../y/", "file:///tmp/y", ""},
		{"rel/dir", "file://" + filepath.ToSlash(filepath.Join(wd, "rel/dir")), ""},
		{"file:///tmp/x/", "file:///tmp/x", ""},
		{"file://localhost/tmp/x", "file:///tmp/x", ""},
		{"FILE:///tmp/x", "file:///tmp/x", ""},
		{"mem://jm", "mem://jm", ""},
		{"mem://jm/a/b/", "mem://jm/a/b", ""},
		{"s3://bkt", "s3://bkt", ""},
		{"s3://bkt/p?endpoint=http://127.0.0.1:9000&region=us-east-1", "s3://bkt/p?endpoint=http://127.0.0.1:9000&region=us-east-1", ""},
		{"s3:///p", "", "names no bucket"},
		{"file:///tmp/x?create_dir=1", "", "take none"},
		{"gopher://x/y", "", "unsupported storage scheme"},
	}
	for _, tt := range tests {
		got, err := NormalizeDir(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeDir(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeDir(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSnapshotDir(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/c/job/chk-3", "file:///c/job/chk-3"},
		{"/c/job/chk-3/_metadata", "file:///c/job/chk-3"},
		{"file:///sp/savepoint-abc-1/_metadata", "file:///sp/savepoint-abc-1"},
		{"s3://b/c/job/chk-9/_metadata?region=x", "s3://b/c/job/chk-9?region=x"},
		{"mem://jm/_metadata", "mem://jm"},
	}
	for _, tt := range tests {
		if got, err := SnapshotDir(tt.in); err != nil || got != tt.want {
			t.Errorf("SnapshotDir(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := SnapshotDir(" "); err == nil {
		t.Error("empty snapshot path accepted")
	}
}

func TestStateFileName(t *testing.T) {
	tests := []struct {
		uid     string
		subtask int
		suffix  string
		want    string
	}{
		{"3-map", 0, "keyed", "3-map-0-keyed"},
		{"src/kafka:1", 7, "", "src~2Fkafka~3A1-7"},
		{".hidden", 1, "x", "~2Ehidden-1-x"},
		{"a b", 2, "", "a~20b-2"},
	}
	for _, tt := range tests {
		got := StateFileName(tt.uid, tt.subtask, tt.suffix)
		if got != tt.want || !validName(got) {
			t.Errorf("StateFileName(%q, %d, %q) = %q, want %q", tt.uid, tt.subtask, tt.suffix, got, tt.want)
		}
	}
}
