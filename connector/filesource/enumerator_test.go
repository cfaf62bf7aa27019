package filesource

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

func TestListFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.txt", "a.txt", "sub/c.txt", "sub/deeper/d.txt", ".hidden", "_SUCCESS", "_tmp/e.txt", ".git/f.txt", "sub/.crc"} {
		writeFile(t, dir, name, []byte("x\n"))
	}
	if err := os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	single := writeFile(t, t.TempDir(), "_explicit.txt", []byte("given by name\n"))

	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"directory", []string{dir}, []string{"a.txt", "b.txt", "link.txt", "sub/c.txt", "sub/deeper/d.txt"}},
		{"explicit hidden-looking file", []string{single}, []string{single}},
		{"duplicates", []string{filepath.Join(dir, "b.txt"), dir}, []string{"b.txt", "a.txt", "link.txt", "sub/c.txt", "sub/deeper/d.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := listFiles(tt.paths)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				rel, err := filepath.Rel(dir, f.path)
				if err != nil || strings.HasPrefix(rel, "..") {
					rel = f.path
				}
				got = append(got, filepath.ToSlash(rel))
				if f.size <= 0 {
					t.Errorf("%s: size %d", f.path, f.size)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMissingPathIsAClearError(t *testing.T) {
	src := TextLines("/no/such/input")
	_, err := src.CreateEnumerator(sourcetest.NewEnumContext[FileSplit](1))
	want := `filesource: input path "/no/such/input" does not exist; check --input`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		src  *Source
		want string
	}{
		{"no paths", TextLines(), "no input paths"},
		{"block size", TextLines(dir).WithBlockSize(0), "block size 0"},
		{"interval", TextLines(dir).MonitorContinuously(-time.Second), "discovery interval"},
		{"max line", TextLines(dir).WithMaxLineLength(-1), "max line length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.CheckRejected(t, tt.src, tt.want)
		})
	}
}

func TestSplitsOf(t *testing.T) {
	tests := []struct {
		size, block int64
		want        [][2]int64 // offset, length
	}{
		{0, 10, nil},
		{5, 10, [][2]int64{{0, 5}}},
		{10, 10, [][2]int64{{0, 10}}},
		{25, 10, [][2]int64{{0, 10}, {10, 10}, {20, 5}}},
	}
	for _, tt := range tests {
		splits := splitsOf(fileEntry{path: "/f", size: tt.size}, tt.block)
		var got [][2]int64
		for _, sp := range splits {
			got = append(got, [2]int64{sp.Offset, sp.Length})
			if sp.Position != sp.Offset || sp.Path != "/f" {
				t.Errorf("split %+v", sp)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("size %d block %d: %v, want %v", tt.size, tt.block, got, tt.want)
		}
	}
}

func TestEnumeratorBounded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a", []byte(strings.Repeat("line\n", 5))) // 25 bytes: 3 blocks of 10
	writeFile(t, dir, "b", []byte("x\n"))
	writeFile(t, dir, "empty", nil)
	src := TextLines(dir).WithBlockSize(10)
	if src.Boundedness() != source.Bounded {
		t.Fatal("a static file list is bounded")
	}
	e, ctx := sourcetest.StartEnumerator(t, src, 2)
	e.HandleSplitRequest(1, "host")
	e.HandleSplitRequest(0, "host")
	e.HandleSplitRequest(1, "host")
	cp, err := e.SnapshotState(7)
	if err != nil {
		t.Fatal(err)
	}
	if len(cp.Remaining) != 1 || cp.Remaining[0].Path != filepath.Join(dir, "b") {
		t.Fatalf("remaining %+v", cp.Remaining)
	}
	// The empty file is seen too, though it has no split.
	if !slices.Equal(cp.SeenPaths, []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "empty")}) {
		t.Fatalf("seen %v", cp.SeenPaths)
	}
	e.HandleSplitRequest(0, "host")
	e.HandleSplitRequest(0, "host")
	e.HandleSplitRequest(1, "host")
	if len(ctx.Assigned[0]) != 2 || len(ctx.Assigned[1]) != 2 {
		t.Fatalf("assigned %+v", ctx.Assigned)
	}
	if ctx.NoMore[0] != 1 || ctx.NoMore[1] != 1 {
		t.Fatalf("no-more-splits %v", ctx.NoMore)
	}

	// Restore from the checkpoint: only the remaining split is handed out.
	e2, ctx2 := sourcetest.RestoreEnumerator(t, src, cp, 1)
	back := FileSplit{ID: "back", Path: "p", Length: 3, Position: 2}
	e2.AddSplitsBack([]FileSplit{back}, 0)
	e2.HandleSplitRequest(0, "")
	e2.HandleSplitRequest(0, "")
	e2.HandleSplitRequest(0, "")
	if !slices.Equal(ctx2.Assigned[0], []FileSplit{back, cp.Remaining[0]}) || ctx2.NoMore[0] != 1 {
		t.Fatalf("restored: assigned %+v, no-more %v", ctx2.Assigned[0], ctx2.NoMore)
	}
}

func TestEnumeratorKeepsSplitForUnregisteredReader(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a", []byte("x\n"))
	ctx := sourcetest.NewEnumContext[FileSplit](2)
	e, err := TextLines(dir).CreateEnumerator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	delete(ctx.Registered, 1)
	e.HandleSplitRequest(1, "")
	e.HandleSplitRequest(0, "")
	if len(ctx.Assigned[0]) != 1 {
		t.Fatalf("the split was lost: %+v", ctx.Assigned)
	}
}

func TestEnumeratorContinuousDiscovery(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "1.txt", []byte("one\n"))
	src := TextLines(dir).MonitorContinuously(time.Minute)
	if src.Boundedness() != source.ContinuousUnbounded {
		t.Fatal("monitoring makes the source unbounded")
	}
	e, ctx := sourcetest.StartEnumerator(t, src, 2)
	if len(ctx.Async) != 1 || ctx.Async[0].Period != time.Minute {
		t.Fatalf("discovery not scheduled: %+v", ctx.Async)
	}
	e.HandleSplitRequest(0, "")
	e.HandleSplitRequest(1, "")
	e.HandleSplitRequest(1, "") // a repeated request waits once
	if len(ctx.Assigned[0]) != 1 || len(ctx.Assigned[1]) != 0 || len(ctx.NoMore) != 0 {
		t.Fatalf("assigned %+v, no-more %v", ctx.Assigned, ctx.NoMore)
	}
	// Discovery without new files changes nothing.
	if err := ctx.RunAsync(); err != nil {
		t.Fatal(err)
	}
	if len(ctx.Assigned[1]) != 0 {
		t.Fatal("a seen file was read again")
	}
	writeFile(t, dir, "2.txt", []byte("two\n"))
	writeFile(t, dir, "3.txt", []byte("three\n"))
	if err := ctx.RunAsync(); err != nil {
		t.Fatal(err)
	}
	if len(ctx.Assigned[1]) != 1 || ctx.Assigned[1][0].Path != filepath.Join(dir, "2.txt") {
		t.Fatalf("waiting reader got %+v", ctx.Assigned[1])
	}
	cp, _ := e.SnapshotState(1)
	if len(cp.Remaining) != 1 || len(cp.SeenPaths) != 3 {
		t.Fatalf("checkpoint %+v", cp)
	}

	// A restored enumerator does not read seen files again.
	e2, ctx2 := sourcetest.RestoreEnumerator(t, src, cp, 1)
	if err := e2.Start(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "4.txt", []byte("four\n"))
	if err := ctx2.RunAsync(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e2.HandleSplitRequest(0, "")
	}
	var got []string
	for _, sp := range ctx2.Assigned[0] {
		got = append(got, filepath.Base(sp.Path))
	}
	if !slices.Equal(got, []string{"3.txt", "4.txt"}) {
		t.Fatalf("restored enumerator assigned %v", got)
	}

	// A vanished input directory fails discovery with its name.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err := ctx2.RunAsync()
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("discovery error %v", err)
	}
}
