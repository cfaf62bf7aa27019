package cli

import (
	"testing"

	"github.com/weirstream/weir/stream"
)

// The CLI reads the configuration directory jobs read.
func TestConfDirEnvMatchesJobs(t *testing.T) {
	if ConfDirEnv != stream.ConfigFileEnv {
		t.Fatalf("ConfDirEnv = %q, jobs read %q", ConfDirEnv, stream.ConfigFileEnv)
	}
}
