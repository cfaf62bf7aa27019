package filesink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadDir checks that ReadDir gives back exactly the lines of a file:
// joined with "\n" they are the content without its final newline.
func FuzzReadDir(f *testing.F) {
	for _, seed := range []string{"", "\n", "a", "a\n", "a\n\nb", "a\r\nb\n\n", "\x00\xff\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "part-0"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		lines, err := ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if content == "" {
			if len(lines) != 0 {
				t.Fatalf("empty file gave %q", lines)
			}
			return
		}
		if got := strings.Join(lines, "\n"); got != strings.TrimSuffix(content, "\n") {
			t.Fatalf("lines %q do not rebuild %q", lines, content)
		}
	})
}
