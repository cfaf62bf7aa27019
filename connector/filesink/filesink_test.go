package filesink

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/sink"
)

// fakeInit is a sink.InitContext with a clock the test moves.
type fakeInit struct {
	subtask, parallelism int
	now                  int64
}

func (f *fakeInit) SubtaskIndex() int             { return f.subtask }
func (f *fakeInit) Parallelism() int              { return f.parallelism }
func (f *fakeInit) AttemptNumber() int            { return 0 }
func (f *fakeInit) Config() *config.Configuration { return config.New() }
func (f *fakeInit) Now() int64                    { return f.now }

func newWriter[T any](t testing.TB, s *Sink[T], init *fakeInit) *Writer[T] {
	t.Helper()
	w, err := s.CreateWriter(init)
	if err != nil {
		t.Fatalf("CreateWriter: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w.(*Writer[T])
}

func writeAll[T any](t testing.TB, w *Writer[T], vs ...T) {
	t.Helper()
	for _, v := range vs {
		if err := w.Write(v, sink.Context{}); err != nil {
			t.Fatalf("Write(%v): %v", v, err)
		}
	}
}

func prepare[T any](t testing.TB, w *Writer[T]) []Committable {
	t.Helper()
	cs, err := w.PrepareCommit()
	if err != nil {
		t.Fatalf("PrepareCommit: %v", err)
	}
	return cs
}

func commit(t testing.TB, cs []Committable) {
	t.Helper()
	if err := (&Committer{}).Commit(cs); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func names(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

const uuidRE = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

func TestFileNamingAndHiding(t *testing.T) {
	tests := []struct {
		name           string
		opts           []Option[string]
		prefix, suffix string
	}{
		{name: "defaults", prefix: "part", suffix: ""},
		{name: "prefix and suffix", opts: []Option[string]{WithPartPrefix[string]("events"), WithPartSuffix[string](".txt")}, prefix: "events", suffix: ".txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out", "nested")
			w := newWriter(t, New(dir, StringLines(), tc.opts...), &fakeInit{parallelism: 1})
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				t.Fatalf("CreateWriter did not create %s: %v", dir, err)
			}
			writeAll(t, w, "a", "b", "c")
			if err := w.Flush(false); err != nil {
				t.Fatal(err)
			}
			inProgressRE := regexp.MustCompile(`^\.` + regexp.QuoteMeta(tc.prefix) + `-(` + uuidRE + `)-0` + regexp.QuoteMeta(tc.suffix) + `\.inprogress\.` + uuidRE + `$`)
			got := names(t, dir)
			if len(got) != 1 || !inProgressRE.MatchString(got[0]) {
				t.Fatalf("while writing, dir holds %q; want one hidden in-progress file", got)
			}
			writerID := inProgressRE.FindStringSubmatch(got[0])[1]
			if lines, err := ReadDir(dir); err != nil || len(lines) != 0 {
				t.Fatalf("ReadDir before commit = %q, %v; want nothing visible", lines, err)
			}
			if got := readLines(t, filepath.Join(dir, got[0])); !slices.Equal(got, []string{"a", "b", "c"}) {
				t.Fatalf("Flush(false) left %q in the in-progress file; want the three lines", got)
			}

			if err := w.Flush(true); err != nil {
				t.Fatal(err)
			}
			cs := prepare(t, w)
			if len(cs) != 1 {
				t.Fatalf("PrepareCommit = %d committables, want 1", len(cs))
			}
			final := tc.prefix + "-" + writerID + "-0" + tc.suffix
			if cs[0].FinalPath != filepath.Join(dir, final) || cs[0].InProgressPath != filepath.Join(dir, got[0]) || cs[0].Bucket != "" {
				t.Fatalf("committable = %+v; want final %s from %s", cs[0], final, got[0])
			}
			commit(t, cs)
			if got := names(t, dir); !slices.Equal(got, []string{final}) {
				t.Fatalf("after commit dir holds %q; want [%s]", got, final)
			}
			if lines, err := ReadDir(dir); err != nil || !slices.Equal(lines, []string{"a", "b", "c"}) {
				t.Fatalf("ReadDir after commit = %q, %v", lines, err)
			}
		})
	}
}

func TestPartCounterAndWriterIDs(t *testing.T) {
	dir := t.TempDir()
	policy := WithRollingPolicy[string](RollingPolicy{MaxPartSize: 1, KeepPartsOpenOnCheckpoint: true})
	s := New(dir, StringLines(), policy)
	w0 := newWriter(t, s, &fakeInit{subtask: 0, parallelism: 2})
	w1 := newWriter(t, s, &fakeInit{subtask: 1, parallelism: 2})
	writeAll(t, w0, "x", "y", "z") // every record exceeds 1 byte: one part each
	writeAll(t, w1, "q")
	cs := append(prepare(t, w0), prepare(t, w1)...)
	if len(cs) != 4 {
		t.Fatalf("got %d committables, want 4", len(cs))
	}
	finalRE := regexp.MustCompile(`^part-(` + uuidRE + `)-(\d+)$`)
	var ids []string
	var counters []string
	for _, c := range cs {
		m := finalRE.FindStringSubmatch(filepath.Base(c.FinalPath))
		if m == nil {
			t.Fatalf("final name %s does not match part-<uuid>-<n>", c.FinalPath)
		}
		ids = append(ids, m[1])
		counters = append(counters, m[2])
	}
	if ids[0] != ids[1] || ids[1] != ids[2] || ids[2] == ids[3] {
		t.Fatalf("writer ids %q: want one id per writer, distinct across writers", ids)
	}
	if !slices.Equal(counters, []string{"0", "1", "2", "0"}) {
		t.Fatalf("part counters %q, want 0 1 2 for the first writer and 0 for the second", counters)
	}
}

// step is one action of a rolling transcript: advance the clock to at, then
// write value, or flush when value is empty.
type step struct {
	at    int64
	value string
}

func TestRolling(t *testing.T) {
	tests := []struct {
		name   string
		policy RollingPolicy
		steps  []step
		// rolled are the parts PrepareCommit returns (policy keeps parts
		// open), then open is what Flush(true) finishes.
		rolled [][]string
		open   []string
	}{
		{
			name:   "size: rolls after the record that exceeds the limit",
			policy: RollingPolicy{MaxPartSize: 10},
			steps:  []step{{0, "abc"}, {0, "abc"}, {0, "abc"}, {0, "def"}, {0, "def"}, {0, "def"}, {0, "ghi"}},
			rolled: [][]string{{"abc", "abc", "abc"}, {"def", "def", "def"}},
			open:   []string{"ghi"},
		},
		{
			name:   "size: exactly at the limit stays open",
			policy: RollingPolicy{MaxPartSize: 8},
			steps:  []step{{0, "abc"}, {0, "abc"}},
			open:   []string{"abc", "abc"},
		},
		{
			name:   "rollover interval: age checked on write",
			policy: RollingPolicy{RolloverInterval: time.Second, InactivityInterval: time.Hour},
			steps:  []step{{0, "a"}, {500, "b"}, {999, "c"}, {1000, "d"}, {1500, "e"}},
			rolled: [][]string{{"a", "b", "c"}},
			open:   []string{"d", "e"},
		},
		{
			name:   "inactivity interval: idle time checked on write",
			policy: RollingPolicy{RolloverInterval: time.Hour, InactivityInterval: time.Second},
			steps:  []step{{0, "a"}, {900, "b"}, {1800, "c"}, {2799, "d"}, {3799, "e"}},
			rolled: [][]string{{"a", "b", "c", "d"}},
			open:   []string{"e"},
		},
		{
			name:   "time checked on flush",
			policy: RollingPolicy{RolloverInterval: time.Hour, InactivityInterval: time.Second},
			steps:  []step{{0, "a"}, {999, ""}, {1000, ""}, {1000, "b"}, {1500, ""}},
			rolled: [][]string{{"a"}},
			open:   []string{"b"},
		},
		{
			name:   "defaults: 60 s",
			policy: RollingPolicy{},
			steps:  []step{{0, "a"}, {59_999, "b"}, {119_998, "c"}, {119_999, "d"}},
			rolled: [][]string{{"a", "b"}},
			open:   []string{"c", "d"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.policy.KeepPartsOpenOnCheckpoint = true
			init := &fakeInit{parallelism: 1}
			w := newWriter(t, New(dir, StringLines(), WithRollingPolicy[string](tc.policy)), init)
			for _, s := range tc.steps {
				init.now = s.at
				var err error
				if s.value == "" {
					err = w.Flush(false)
				} else {
					err = w.Write(s.value, sink.Context{})
				}
				if err != nil {
					t.Fatalf("step %+v: %v", s, err)
				}
			}
			rolled := prepare(t, w)
			if err := w.Flush(true); err != nil {
				t.Fatal(err)
			}
			rest := prepare(t, w)
			if len(rest) != 1 {
				t.Fatalf("Flush(true) finished %d parts, want the 1 open part", len(rest))
			}
			commit(t, append(rolled, rest...))
			var got [][]string
			for _, c := range rolled {
				got = append(got, readLines(t, c.FinalPath))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.rolled) {
				t.Errorf("rolled parts = %q, want %q", got, tc.rolled)
			}
			if open := readLines(t, rest[0].FinalPath); !slices.Equal(open, tc.open) {
				t.Errorf("open part = %q, want %q", open, tc.open)
			}
		})
	}
}

func TestPrepareCommitRollsOpenPartsByDefault(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, New(dir, StringLines()), &fakeInit{parallelism: 1})
	writeAll(t, w, "a", "b")
	cs := prepare(t, w)
	if len(cs) != 1 {
		t.Fatalf("PrepareCommit = %d committables, want the open part", len(cs))
	}
	if again := prepare(t, w); len(again) != 0 {
		t.Fatalf("second PrepareCommit = %+v, want nothing new", again)
	}
	writeAll(t, w, "c")
	cs = append(cs, prepare(t, w)...)
	commit(t, cs)
	if lines, err := ReadDir(dir); err != nil || !slices.Equal(lines, []string{"a", "b", "c"}) {
		t.Fatalf("ReadDir = %q, %v", lines, err)
	}
}

func TestCommitIdempotentAndLostFile(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, StringLines())
	w := newWriter(t, s, &fakeInit{parallelism: 1})
	writeAll(t, w, "one")
	cs := prepare(t, w)
	// Committables travel through checkpoints as bytes.
	enc, err := s.CommittableCodec().Encode(cs[0])
	if err != nil {
		t.Fatal(err)
	}
	restored, err := s.CommittableCodec().Decode(enc)
	if err != nil || restored != cs[0] {
		t.Fatalf("codec round trip = %+v, %v; want %+v", restored, err, cs[0])
	}
	c, err := s.CreateCommitter()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if err := c.Commit([]Committable{restored}); err != nil {
			t.Fatalf("commit #%d: %v", i+1, err)
		}
	}
	if lines, err := ReadDir(dir); err != nil || !slices.Equal(lines, []string{"one"}) {
		t.Fatalf("ReadDir = %q, %v", lines, err)
	}

	if err := os.Remove(restored.FinalPath); err != nil {
		t.Fatal(err)
	}
	err = c.Commit([]Committable{restored})
	if err == nil {
		t.Fatal("commit with both files gone succeeded; want an error")
	}
	for _, want := range []string{"filesink:", restored.FinalPath, restored.InProgressPath, "lost or already cleaned up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCommitContinuesPastFailures(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, New(dir, StringLines(), WithRollingPolicy[string](RollingPolicy{MaxPartSize: 1})), &fakeInit{parallelism: 1})
	writeAll(t, w, "a", "b")
	cs := prepare(t, w)
	if err := os.Remove(cs[0].InProgressPath); err != nil {
		t.Fatal(err)
	}
	err := (&Committer{}).Commit(cs)
	if err == nil || !strings.Contains(err.Error(), cs[0].FinalPath) {
		t.Fatalf("Commit = %v; want an error naming %s", err, cs[0].FinalPath)
	}
	if lines, err := ReadDir(dir); err != nil || !slices.Equal(lines, []string{"b"}) {
		t.Fatalf("ReadDir = %q, %v; want the second part committed", lines, err)
	}
	if err := (&Committer{}).Commit([]Committable{{Bucket: "x"}}); err == nil {
		t.Fatal("committing an empty committable succeeded")
	}
}

type parityAssigner struct{}

func (parityAssigner) BucketID(v int, _ sink.Context) string {
	if v%2 == 0 {
		return "even"
	}
	return "odd/nested"
}

type fixedAssigner string

func (a fixedAssigner) BucketID(int, sink.Context) string { return string(a) }

func TestBucketAssigners(t *testing.T) {
	at := time.Date(2024, 3, 5, 13, 59, 0, 0, time.UTC).UnixMilli()
	hour := time.Hour.Milliseconds()
	tests := []struct {
		name     string
		assigner BucketAssigner[int]
		// times of the writes of values 1, 2, 3, 4
		times []int64
		want  map[string][]string // bucket dir -> lines
	}{
		{
			name:     "base path",
			assigner: BasePathBucketAssigner[int]{},
			times:    []int64{at, at, at, at},
			want:     map[string][]string{"": {"1", "2", "3", "4"}},
		},
		{
			name:     "date time default format by injected processing time",
			assigner: DateTimeBucketAssigner[int]{Location: time.UTC},
			times:    []int64{at, at, at + hour, at + hour},
			want:     map[string][]string{"2024-03-05--13": {"1", "2"}, "2024-03-05--14": {"3", "4"}},
		},
		{
			name:     "date time nested format and zone",
			assigner: DateTimeBucketAssigner[int]{Format: "2006/01/02", Location: time.FixedZone("X", 11*3600)},
			times:    []int64{at, at, at, at},
			want:     map[string][]string{"2024/03/06": {"1", "2", "3", "4"}},
		},
		{
			name:     "custom by value",
			assigner: parityAssigner{},
			times:    []int64{at, at, at, at},
			want:     map[string][]string{"even": {"2", "4"}, "odd/nested": {"1", "3"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			init := &fakeInit{parallelism: 1}
			s := New(dir, LineEncoder(func(v int) string { return fmt.Sprint(v) }),
				WithBucketAssigner[int](tc.assigner),
				WithRollingPolicy[int](RollingPolicy{RolloverInterval: 24 * time.Hour, InactivityInterval: 24 * time.Hour}))
			w := newWriter(t, s, init)
			for i, ts := range tc.times {
				init.now = ts
				writeAll(t, w, i+1)
			}
			cs := prepare(t, w)
			commit(t, cs)
			for _, c := range cs {
				if got := filepath.Join(dir, filepath.FromSlash(c.Bucket)); got != filepath.Dir(c.FinalPath) {
					t.Errorf("committable bucket %q but file in %s", c.Bucket, filepath.Dir(c.FinalPath))
				}
			}
			for bucket, want := range tc.want {
				bdir := filepath.Join(dir, filepath.FromSlash(bucket))
				fi, err := os.Stat(bdir)
				if err != nil {
					t.Fatalf("bucket %q: %v", bucket, err)
				}
				if fi.Mode().Perm() != 0o755 {
					t.Errorf("bucket dir mode %v, want 0755", fi.Mode().Perm())
				}
				if got, err := ReadDir(bdir); err != nil || !slices.Equal(got, want) {
					t.Errorf("bucket %q holds %q, %v; want %q", bucket, got, err, want)
				}
			}
		})
	}

	t.Run("escaping bucket IDs are refused", func(t *testing.T) {
		for _, id := range []string{"../out", "/abs", "a/../../b"} {
			w := newWriter(t, New(t.TempDir(), LineEncoder(func(v int) string { return "" }), WithBucketAssigner[int](fixedAssigner(id))), &fakeInit{parallelism: 1})
			err := w.Write(1, sink.Context{})
			if err == nil || !strings.Contains(err.Error(), "bucket ID") || !strings.Contains(err.Error(), id) {
				t.Errorf("bucket %q: Write = %v; want an error naming the bucket ID", id, err)
			}
		}
	})

	t.Run("wall clock BucketID", func(t *testing.T) {
		a := DateTimeBucketAssigner[int]{}
		before := time.Now().Format(DefaultDateTimeFormat)
		got := a.BucketID(0, sink.Context{})
		after := time.Now().Format(DefaultDateTimeFormat)
		if got != before && got != after {
			t.Fatalf("BucketID = %q, want the current hour %q", got, before)
		}
	})
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"b-part":                 "b1\nb2\n",
		"a-part":                 "a1\n\na3", // empty line kept, no final newline
		"c-empty":                "",
		".part-x-0.inprogress.y": "hidden\n",
		"_SUCCESS":               "marker\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "deep"), []byte("deep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "b-part"), filepath.Join(dir, "d-link")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a1", "", "a3", "b1", "b2"}; !slices.Equal(got, want) {
		t.Fatalf("ReadDir = %q, want %q", got, want)
	}
	if _, err := ReadDir(filepath.Join(dir, "missing")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadDir(missing) = %v, want a not-exist error", err)
	}
}

func TestCloseLeavesInProgressAndRemoveInProgress(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, StringLines(), WithBucketAssigner[string](DateTimeBucketAssigner[string]{Location: time.UTC}))
	init := &fakeInit{parallelism: 1}
	w := newWriter(t, s, init)
	writeAll(t, w, "committed")
	keep := prepare(t, w) // pre-committed in a checkpoint, not yet committed
	writeAll(t, w, "after checkpoint")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("late", sink.Context{}); !errors.Is(err, errClosed) {
		t.Fatalf("Write after Close = %v, want errClosed", err)
	}
	bucket := filepath.Join(dir, "1970-01-01--00")
	if n := len(names(t, bucket)); n != 2 {
		t.Fatalf("after Close bucket holds %q; want both in-progress files", names(t, bucket))
	}
	if err := os.WriteFile(filepath.Join(bucket, ".other-x.inprogress.y"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	// Restore: re-commit the checkpoint's committables, then clean up.
	commit(t, keep)
	removed, err := s.RemoveInProgress(keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || !strings.HasPrefix(filepath.Base(removed[0]), ".part-") {
		t.Fatalf("RemoveInProgress removed %q; want the one orphaned part", removed)
	}
	got := names(t, bucket)
	if len(got) != 2 || got[0] != ".other-x.inprogress.y" || got[1] != filepath.Base(keep[0].FinalPath) {
		t.Fatalf("bucket holds %q; want the committed part and the other sink's file", got)
	}
	if removed, err := New(filepath.Join(dir, "missing"), StringLines()).RemoveInProgress(nil); err != nil || len(removed) != 0 {
		t.Fatalf("RemoveInProgress on a missing dir = %q, %v", removed, err)
	}
}

func TestConfigurationErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sink *Sink[string]
		want string
	}{
		{"no dir", New("", StringLines()), "no directory"},
		{"no encoder", New[string](t.TempDir(), nil), "no encoder"},
		{"nil assigner", New(t.TempDir(), StringLines(), WithBucketAssigner[string](nil)), "WithBucketAssigner(nil)"},
		{"empty prefix", New(t.TempDir(), StringLines(), WithPartPrefix[string]("")), "part prefix"},
		{"hidden prefix", New(t.TempDir(), StringLines(), WithPartPrefix[string]("_x")), "part prefix"},
		{"prefix with separator", New(t.TempDir(), StringLines(), WithPartPrefix[string]("a/b")), "part prefix"},
		{"suffix with separator", New(t.TempDir(), StringLines(), WithPartSuffix[string]("/x")), "part suffix"},
		{"dir below a file", New(filepath.Join(file, "out"), StringLines()), file},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.sink.CreateWriter(&fakeInit{parallelism: 1})
			if err == nil || !strings.HasPrefix(err.Error(), "filesink: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CreateWriter = %v; want a filesink error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestAdvice(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "write", Path: "/d/f", Err: syscall.ENOSPC}, "disk is full"},
		{&fs.PathError{Op: "write", Path: "/d/f", Err: syscall.EDQUOT}, "quota"},
		{&fs.PathError{Op: "open", Path: "/d/f", Err: syscall.EACCES}, "permission denied"},
		{&fs.PathError{Op: "open", Path: "/d/f", Err: syscall.EPERM}, "permission denied"},
		{&fs.PathError{Op: "open", Path: "/d/f", Err: syscall.EROFS}, "read-only"},
		{errors.New("boom"), "is writable"},
	}
	for _, tc := range tests {
		if got := advice(tc.err, "/d"); !strings.Contains(got, tc.want) || !strings.Contains(got, "/d") {
			t.Errorf("advice(%v) = %q, want it to mention %q and the directory", tc.err, got, tc.want)
		}
	}
}

func TestEncodeErrorNamesFile(t *testing.T) {
	boom := errors.New("boom")
	enc := func(w io.Writer, v int) error {
		if v < 0 {
			return boom
		}
		_, err := fmt.Fprintln(w, v)
		return err
	}
	w := newWriter(t, New(t.TempDir(), Encoder[int](enc)), &fakeInit{parallelism: 1})
	writeAll(t, w, 1)
	err := w.Write(-1, sink.Context{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), ".inprogress.") {
		t.Fatalf("Write = %v; want the encoder error wrapped with the part file", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, StringLines(), WithRollingPolicy[string](RollingPolicy{MaxPartSize: 256}))
	const writers, perWriter = 4, 500
	var (
		mu  sync.Mutex
		all []Committable
		wg  sync.WaitGroup
	)
	for i := range writers {
		wg.Go(func() {
			w, err := s.CreateWriter(&fakeInit{subtask: i, parallelism: writers})
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			cw := w.(sink.CommittingWriter[string, Committable])
			for j := range perWriter {
				if err := cw.Write(fmt.Sprintf("%d-%04d", i, j), sink.Context{}); err != nil {
					t.Error(err)
					return
				}
			}
			if err := cw.Flush(true); err != nil {
				t.Error(err)
			}
			cs, err := cw.PrepareCommit()
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			all = append(all, cs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	commit(t, all)
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	var want []string
	for i := range writers {
		for j := range perWriter {
			want = append(want, fmt.Sprintf("%d-%04d", i, j))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read %d lines, want %d distinct lines from %d writers", len(got), len(want), writers)
	}
}
