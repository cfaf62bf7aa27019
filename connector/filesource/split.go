package filesource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileSplit is a file or a block of one. It owns the lines that start in
// [Offset, Offset+Length).
type FileSplit struct {
	ID     string `json:"id"`
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	// Position is the byte offset of the next line to read: Offset for a
	// split not yet started (its first line starts at or after Offset),
	// else the exact start of a line.
	Position int64 `json:"position"`
}

// SplitID implements source.Split.
func (s FileSplit) SplitID() string { return s.ID }

// End is the exclusive end of the byte range whose lines the split owns.
func (s FileSplit) End() int64 { return s.Offset + s.Length }

// EnumeratorState is the enumerator's checkpoint.
type EnumeratorState struct {
	// Remaining are the splits not assigned to a reader yet.
	Remaining []FileSplit `json:"remaining"`
	// SeenPaths are the files already turned into splits; continuous
	// discovery skips them.
	SeenPaths []string `json:"seenPaths"`
}

// fileEntry is a discovered file.
type fileEntry struct {
	path string
	size int64
}

// splitsOf cuts a file into block splits of blockSize bytes; an empty file
// has no lines and so no splits.
func splitsOf(f fileEntry, blockSize int64) []FileSplit {
	var splits []FileSplit
	for off := int64(0); off < f.size; off += blockSize {
		length := min(blockSize, f.size-off)
		splits = append(splits, FileSplit{
			ID:       f.path + ":" + strconv.FormatInt(off, 10),
			Path:     f.path,
			Offset:   off,
			Length:   length,
			Position: off,
		})
	}
	return splits
}

// hidden reports whether a file or directory name is skipped inside an
// input directory.
func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// listFiles expands the input paths into files, in argument order, each
// directory's files in lexical order, without duplicates.
func listFiles(paths []string) ([]fileEntry, error) {
	var files []fileEntry
	seen := map[string]bool{}
	add := func(path string, size int64) {
		if !seen[path] {
			seen[path] = true
			files = append(files, fileEntry{path: path, size: size})
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("filesource: input path %q does not exist; check --input", root)
		}
		if err != nil {
			return nil, fmt.Errorf("filesource: input path %q: %w", root, err)
		}
		if info.Mode().IsRegular() {
			add(root, info.Size())
			continue
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("filesource: input path %q is neither a regular file nor a directory", root)
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("filesource: list %q: %w", path, err)
			}
			if path == root {
				return nil
			}
			if hidden(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			// Stat follows symbolic links, so a link to a file counts as
			// the file; links to anything else are skipped.
			fi, err := os.Stat(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while listing, or a dangling link
			}
			if err != nil {
				return fmt.Errorf("filesource: stat %q: %w", path, err)
			}
			if fi.Mode().IsRegular() {
				add(path, fi.Size())
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
