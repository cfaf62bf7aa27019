// Package docs checks that generated documentation matches the code.
package docs

import (
	"flag"
	"os"
	"testing"

	"github.com/weirstream/weir/config"
	_ "github.com/weirstream/weir/connector/kafka" // registers the properties.* prefix
	_ "github.com/weirstream/weir/restart"         // registers the restart options
	_ "github.com/weirstream/weir/stream"          // registers every engine option
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md")

// The reference page must list exactly the registered options.
func TestConfigurationDoc(t *testing.T) {
	const path = "configuration.md"
	want := config.Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./docs -run TestConfigurationDoc -update", err)
	}
	if string(got) != want {
		t.Fatalf("docs/configuration.md is stale; run go test ./docs -run TestConfigurationDoc -update")
	}
}
