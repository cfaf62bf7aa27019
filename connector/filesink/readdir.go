package filesink

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReadDir returns the lines of the finished files directly in dir, file by
// file in name order: regular files whose names start with neither '.' nor
// '_' (in-progress parts and marker files such as _SUCCESS are skipped).
// Subdirectories are not read. A final line without "\n" counts as a line.
func ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("filesink: read directory %s: %w", dir, err)
	}
	var lines []string
	for _, e := range entries { // os.ReadDir sorts by name
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("filesink: read part file %s: %w", path, err)
		}
		if len(b) == 0 {
			continue
		}
		b = bytes.TrimSuffix(b, newline)
		for line := range bytes.SplitSeq(b, newline) {
			lines = append(lines, string(line))
		}
	}
	return lines, nil
}
