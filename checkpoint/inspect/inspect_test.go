package inspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/snapshot"
	"github.com/weirstream/weir/state"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const (
	fxJob    = "0123456789abcdef0123456789abcdef"
	fxMaxPar = 128
	fxKeys   = 40
)

var fxTime = time.Date(2024, 7, 10, 12, 0, 0, 123e6, time.UTC)

// win is a window namespace.
type win struct{ Start, End int64 }

type nopPTS struct{}

func (nopPTS) Now() int64                                    { return 0 }
func (nopPTS) RegisterTimer(int64, func(int64) error) func() { return func() {} }

type nopTarget struct{}

func (nopTarget) OnEventTime(state.Timer) error      { return nil }
func (nopTarget) OnProcessingTime(state.Timer) error { return nil }

func newBackend(r keygroup.Range) *state.HeapBackend {
	return state.NewHeapBackend(state.HeapOptions{
		MaxParallelism: fxMaxPar, KeyGroups: r, Now: func() int64 { return 1000 },
		KeyCodec: codec.Any(codec.For[string]()), NamespaceCodec: codec.Any(codec.For[win]()),
	})
}

func key(i int) string { return fmt.Sprintf("k%02d", i) }

// writeKeyed writes a keyed state file as the runtime does: key group
// after key group, each followed by its CRC-32C.
func writeKeyed(t *testing.T, s *checkpoint.Storage, dir, name string, r keygroup.Range, write func(kg int, e *snapshot.Encoder)) *snapshot.KeyedHandle {
	t.Helper()
	f, err := s.CreateStateFile(t.Context(), dir, name)
	if err != nil {
		t.Fatal(err)
	}
	h := &snapshot.KeyedHandle{File: name, KeyGroups: r}
	var off int64
	for kg := r.Start; kg <= r.End; kg++ {
		h.Offsets = append(h.Offsets, off)
		var e snapshot.Encoder
		write(kg, &e)
		if e.Len() == 0 {
			continue
		}
		e.Raw(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(e.Data(), crcTable)))
		n, err := f.Write(e.Data())
		if err != nil {
			t.Fatal(err)
		}
		off += int64(n)
	}
	h.Offsets = append(h.Offsets, off)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return h
}

func snapshotOf(t *testing.T, b *state.HeapBackend) operator.KeyedSnapshot {
	t.Helper()
	s, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Release)
	return s
}

func writeGroup(t *testing.T, s operator.KeyedSnapshot, kg int, e *snapshot.Encoder) {
	if err := s.WriteKeyGroup(kg, e); err != nil {
		t.Fatal(err)
	}
}

// fixture writes checkpoint 3 of job fxJob below t.TempDir and returns its
// directory (a path), with three operators:
//
//   - count: parallelism 2, a ValueState "count" and a MapState "seen" with
//     TTL per key, an event-time timer per key and a processing-time timer
//     for every other key;
//   - window: parallelism 1, in the window operator's layout: a ListState
//     "window-contents" with two windows per key and an event-time timer
//     per window in the main backend, a per-window ValueState "fired" for
//     every fourth key;
//   - source: parallelism 2, coordinator state and operator list state.
func fixture(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	root := t.TempDir()
	s, err := checkpoint.OpenStorage(ctx, root, fxJob)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := s.CheckpointDir(3)
	m := &checkpoint.Metadata{JobID: fxJob, CheckpointID: 3, Kind: checkpoint.KindCheckpoint, Timestamp: fxTime}

	count := snapshot.OperatorState{UID: "count", Name: "Count", Parallelism: 2, MaxParallelism: fxMaxPar}
	for sub := range 2 {
		r := keygroup.RangeFor(fxMaxPar, 2, sub)
		b := newBackend(r)
		defer b.Close()
		v, _ := state.GetValueState(b, state.ValueDescriptor[int64]{Name: "count"})
		seen, _ := state.GetMapState(b, state.MapDescriptor[string, bool]{Name: "seen", TTL: &state.TTLConfig{TTL: time.Hour}})
		ts := state.NewTimerService(b, nopPTS{}, nopTarget{})
		for i := range fxKeys {
			if !r.Contains(keygroup.Of(key(i), fxMaxPar)) {
				continue
			}
			b.SetCurrentKey(key(i))
			_ = v.Update(int64(i))
			_ = seen.Put("a", true)
			_ = seen.Put("b", false)
			ts.RegisterEventTimeTimer(state.VoidNamespace{}, int64(i))
			if i%2 == 0 {
				ts.RegisterProcessingTimeTimer(state.VoidNamespace{}, int64(i))
			}
		}
		snap := snapshotOf(t, b)
		h := writeKeyed(t, s, dir, checkpoint.StateFileName("count", sub, "keyed"), r, func(kg int, e *snapshot.Encoder) {
			writeGroup(t, snap, kg, e)
		})
		count.Subtasks = append(count.Subtasks, snapshot.SubtaskState{Index: sub, Keyed: h})
	}

	all := keygroup.Range{Start: 0, End: fxMaxPar - 1}
	main, perWindow := newBackend(all), newBackend(all)
	defer main.Close()
	defer perWindow.Close()
	contents, _ := state.GetListState(main, state.ListDescriptor[int]{Name: "window-contents"})
	timers := state.NewNamedTimerService(main, "window-timers", nopPTS{}, nopTarget{})
	fired, _ := state.GetValueState(perWindow, state.ValueDescriptor[bool]{Name: "fired"})
	for i := range fxKeys {
		main.SetCurrentKey(key(i))
		for w := range int64(2) {
			contents.(state.Namespaced).SetNamespace(win{w, w + 10})
			_ = contents.AddAll([]int{i, i + 1, i + 2})
			timers.RegisterEventTimeTimer(win{w, w + 10}, w+9)
		}
		if i%4 == 0 {
			perWindow.SetCurrentKey(key(i))
			_ = fired.Update(true)
		}
	}
	mainSnap, windowSnap := snapshotOf(t, main), snapshotOf(t, perWindow)
	h := writeKeyed(t, s, dir, checkpoint.StateFileName("window", 0, "keyed"), all, func(kg int, e *snapshot.Encoder) {
		var part snapshot.Encoder
		writeGroup(t, mainSnap, kg, &part)
		e.Bytes(part.Data())
		part.Reset()
		writeGroup(t, windowSnap, kg, &part)
		e.Bytes(part.Data())
	})
	window := snapshot.OperatorState{UID: "window", Name: "Window", Parallelism: 1, MaxParallelism: fxMaxPar,
		Subtasks: []snapshot.SubtaskState{{Index: 0, Keyed: h}}}

	source := snapshot.OperatorState{UID: "source", Name: "Source", Parallelism: 2, MaxParallelism: fxMaxPar,
		Coordinator: []byte("enumerator state"),
		Subtasks: []snapshot.SubtaskState{
			{Index: 1, Lists: []snapshot.ListState{{Name: "splits", Mode: snapshot.Split, Elements: [][]byte{[]byte("split-1")}}}},
			{Index: 0, Lists: []snapshot.ListState{
				{Name: "splits", Mode: snapshot.Split, Elements: [][]byte{[]byte("split-0"), []byte("split-2")}},
				{Name: "offsets", Mode: snapshot.Union, Elements: [][]byte{[]byte("12345678")}},
			}},
		}}
	m.Operators = []snapshot.OperatorState{count, window, source}
	m.FinishedOperators = []string{"source"}
	if err := s.WriteMetadata(ctx, dir, m); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, fxJob, checkpoint.CheckpointDirName(3))
}

// keyGroupsOf is the number of distinct key groups of keys i with keep(i).
func keyGroupsOf(keep func(i int) bool) int {
	kgs := map[int]bool{}
	for i := range fxKeys {
		if keep(i) {
			kgs[keygroup.Of(key(i), fxMaxPar)] = true
		}
	}
	return len(kgs)
}

func TestInspect(t *testing.T) {
	dir := fixture(t)
	r, err := Inspect(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("an intact snapshot has problems: %v", err)
	}
	if r.Kind != "checkpoint" || r.ID != 3 || r.JobID != fxJob || !r.Timestamp.Equal(fxTime) || r.FormatVersion != 1 {
		t.Errorf("header = %s %d of %s at %v, version %d", r.Kind, r.ID, r.JobID, r.Timestamp, r.FormatVersion)
	}
	if want := "file://" + filepath.ToSlash(dir); r.Path != want {
		t.Errorf("path = %s, want %s", r.Path, want)
	}
	sn, err := checkpoint.OpenSnapshot(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	meta, err := os.ReadFile(filepath.Join(dir, checkpoint.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	if r.StateBytes != sn.Metadata.StateSize() || r.MetadataBytes != int64(len(meta)) || r.TotalBytes != r.StateBytes+r.MetadataBytes {
		t.Errorf("sizes: state %d, metadata %d, total %d; want state %d, metadata %d", r.StateBytes, r.MetadataBytes, r.TotalBytes,
			sn.Metadata.StateSize(), len(meta))
	}
	if len(r.Operators) != 3 {
		t.Fatalf("%d operators, want 3", len(r.Operators))
	}
	count, window, source := r.Operators[0], r.Operators[1], r.Operators[2]

	every := func(int) bool { return true }
	even := func(i int) bool { return i%2 == 0 }
	fourth := func(i int) bool { return i%4 == 0 }
	stripBytes := func(op Operator) []KeyedState {
		out := make([]KeyedState, len(op.KeyedStates))
		for i, s := range op.KeyedStates {
			if s.Bytes <= 0 {
				t.Errorf("operator %s, state %s: %d bytes", op.UID, s.Name, s.Bytes)
			}
			s.Bytes = 0
			out[i] = s
		}
		return out
	}
	if want := []KeyedState{
		{Name: "count", Kind: "ValueState", Entries: fxKeys, Elements: fxKeys, KeyGroups: keyGroupsOf(every)},
		{Name: "seen", Kind: "MapState", TTL: true, Entries: fxKeys, Elements: 2 * fxKeys, KeyGroups: keyGroupsOf(every)},
		{Name: state.DefaultTimerService, Kind: state.KindEventTimeTimers, Entries: fxKeys, Elements: fxKeys, KeyGroups: keyGroupsOf(every)},
		{Name: state.DefaultTimerService, Kind: state.KindProcessingTimeTimers, Entries: fxKeys / 2, Elements: fxKeys / 2, KeyGroups: keyGroupsOf(even)},
	}; !reflect.DeepEqual(stripBytes(count), want) {
		t.Errorf("count's keyed states:\n got %+v\nwant %+v", count.KeyedStates, want)
	}
	if want := []KeyedState{
		{Name: "window-contents", Kind: "ListState", Entries: 2 * fxKeys, Elements: 6 * fxKeys, KeyGroups: keyGroupsOf(every)},
		{Name: "window-timers", Kind: state.KindEventTimeTimers, Entries: 2 * fxKeys, Elements: 2 * fxKeys, KeyGroups: keyGroupsOf(every)},
		{Name: "fired", Kind: "ValueState", Scope: ScopePerWindow, Entries: fxKeys / 4, Elements: fxKeys / 4, KeyGroups: keyGroupsOf(fourth)},
	}; !reflect.DeepEqual(stripBytes(window), want) {
		t.Errorf("window's keyed states:\n got %+v\nwant %+v", window.KeyedStates, want)
	}
	if len(source.KeyedStates) != 0 || !source.Finished || count.Finished || source.CoordinatorBytes != int64(len("enumerator state")) {
		t.Errorf("source = %+v, count finished %v", source, count.Finished)
	}

	for _, op := range []Operator{count, window} {
		orig := sn.Metadata.Operator(op.UID)
		var sum int64
		for i, st := range op.Subtasks {
			h := orig.Subtasks[i].Keyed
			fi, err := os.Stat(filepath.Join(dir, h.File))
			if err != nil {
				t.Fatal(err)
			}
			if st.KeyGroups == nil || *st.KeyGroups != keyGroupRange(h.KeyGroups) || st.KeyedFile != h.File || st.KeyedBytes != fi.Size() {
				t.Errorf("operator %s subtask %d = %+v, want key groups %v in %s of %d bytes", op.UID, i, st, h.KeyGroups, h.File, fi.Size())
			}
			sum += st.KeyedBytes
		}
		if op.StateBytes != sum {
			t.Errorf("operator %s: state %d bytes, its files hold %d", op.UID, op.StateBytes, sum)
		}
	}
	if want := []Subtask{
		{Index: 0, ListStates: []ListState{{Name: "splits", Mode: "split", Elements: 2, Bytes: 14}, {Name: "offsets", Mode: "union", Elements: 1, Bytes: 8}}},
		{Index: 1, ListStates: []ListState{{Name: "splits", Mode: "split", Elements: 1, Bytes: 7}}},
	}; !reflect.DeepEqual(source.Subtasks, want) {
		t.Errorf("source subtasks (sorted by index) = %+v, want %+v", source.Subtasks, want)
	}
	if want := int64(len("enumerator state") + 14 + 8 + 7); source.StateBytes != want {
		t.Errorf("source state = %d bytes, want %d", source.StateBytes, want)
	}

	// Reading in small chunks finds the same.
	small, err := build(t.Context(), sn.Dir, sn.Metadata, sn.ReadRange, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(small, r) {
		t.Errorf("reading in 100-byte chunks gives another report:\n%+v\n%+v", small, r)
	}
}

func TestReportJSONAndText(t *testing.T) {
	dir := fixture(t)
	r, err := Inspect(t.Context(), filepath.Join(dir, checkpoint.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("JSON does not read back as the report:\n%s", js.String())
	}
	for _, field := range []string{`"kind": "checkpoint"`, `"jobId": "` + fxJob + `"`, `"timestamp": "2024-07-10T12:00:00.123Z"`,
		`"keyGroups": {`, `"scope": "per-window"`, `"kind": "EventTimeTimers"`, `"mode": "union"`} {
		if !strings.Contains(js.String(), field) {
			t.Errorf("JSON lacks %s:\n%s", field, js.String())
		}
	}

	var text bytes.Buffer
	if err := r.WriteText(&text, time.UTC); err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(text.String(), r.Path, "PATH")
	golden(t, "testdata/report.golden", got)
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", file, got)
	}
}

func TestInspectDamage(t *testing.T) {
	countFile := checkpoint.StateFileName("count", 1, "keyed")
	windowFile := checkpoint.StateFileName("window", 0, "keyed")
	// spanOf returns the byte range of key group kg in file, from the
	// metadata.
	spanOf := func(t *testing.T, dir, uid string, sub, kg int) (int64, int64) {
		sn, err := checkpoint.OpenSnapshot(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		defer sn.Close()
		for _, st := range sn.Metadata.Operator(uid).Subtasks {
			if st.Index == sub {
				return st.Keyed.Span(kg)
			}
		}
		t.Fatalf("no subtask %d of %s", sub, uid)
		return 0, 0
	}
	edit := func(t *testing.T, file string, f func(b []byte) []byte) {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, f(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []Problem
		// more is the number of problems beyond MaxProblems.
		more int
	}{
		{"flipped byte", func(t *testing.T, dir string) {
			s, _ := spanOf(t, dir, "count", 1, 70)
			edit(t, filepath.Join(dir, countFile), func(b []byte) []byte { b[s+5] ^= 0x10; return b })
		}, []Problem{{Operator: "count", Subtask: 1, File: countFile, KeyGroup: 70, Message: "fails its CRC-32C checksum"}}, 0},
		{"damage behind a valid checksum", func(t *testing.T, dir string) {
			s, e := spanOf(t, dir, "window", 0, 9)
			edit(t, filepath.Join(dir, windowFile), func(b []byte) []byte {
				data := b[s : e-4]
				data[len(data)-1] = 0x7f // the per-window backend's timer service count
				binary.LittleEndian.PutUint32(b[e-4:], crc32.Checksum(data, crcTable))
				return b
			})
		}, []Problem{{Operator: "window", Subtask: 0, File: windowFile, KeyGroup: 9, Message: "window operator's per-window state: state: inspecting key group 9"}}, 0},
		{"truncated", func(t *testing.T, dir string) {
			_, e := spanOf(t, dir, "count", 1, 100)
			edit(t, filepath.Join(dir, countFile), func(b []byte) []byte { return b[:e-2] })
		}, []Problem{{Operator: "count", Subtask: 1, File: countFile, KeyGroup: 100, Message: "the file is truncated"}}, 0},
		{"missing file", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, countFile)); err != nil {
				t.Fatal(err)
			}
		}, []Problem{{Operator: "count", Subtask: 1, File: countFile, KeyGroup: -1, Message: "the file is missing"}}, 0},
		{"damaged throughout", func(t *testing.T, dir string) {
			for _, f := range []string{checkpoint.StateFileName("count", 0, "keyed"), countFile} {
				edit(t, filepath.Join(dir, f), func(b []byte) []byte { return make([]byte, len(b)) })
			}
		}, nil, fxMaxPar - MaxProblems},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			tt.damage(t, dir)
			r, err := Inspect(t.Context(), dir)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if r.MoreProblems != tt.more {
				t.Errorf("%d problems left out, want %d", r.MoreProblems, tt.more)
			}
			if tt.want == nil {
				if len(r.Problems) != MaxProblems {
					t.Fatalf("%d problems, want %d", len(r.Problems), MaxProblems)
				}
				tt.want = r.Problems[:1]
			} else if len(r.Problems) != len(tt.want) {
				t.Fatalf("problems = %+v, want %+v", r.Problems, tt.want)
			}
			for i, p := range tt.want {
				got := r.Problems[i]
				if !strings.Contains(got.Message, p.Message) {
					t.Errorf("problem %d message %q does not contain %q", i, got.Message, p.Message)
				}
				got.Message = p.Message
				if got != p {
					t.Errorf("problem %d = %+v, want %+v", i, got, p)
				}
			}
			err = r.Err()
			if !errors.Is(err, snapshot.ErrCorrupt) {
				t.Fatalf("Err() = %v, want an error wrapping snapshot.ErrCorrupt", err)
			}
			first := r.Problems[0]
			for _, s := range []string{first.File, first.Message, "restore from another checkpoint"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Err() = %q does not name %q", err, s)
				}
			}
			if first.KeyGroup >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("key group %d", first.KeyGroup)) {
				t.Errorf("Err() = %q does not name key group %d", err, first.KeyGroup)
			}
			// The rest of the snapshot is still reported.
			if len(r.Operators) != 3 || len(r.Operators[2].Subtasks) != 2 {
				t.Errorf("operators after damage: %+v", r.Operators)
			}
			var text bytes.Buffer
			if err := r.WriteText(&text, time.UTC); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "\nProblems: ") || !strings.Contains(text.String(), first.String()) {
				t.Errorf("text report lacks the problems:\n%s", text.String())
			}
		})
	}
}

func TestInspectUnreadable(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   error
		msg    string
	}{
		{"missing _metadata", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, checkpoint.MetadataFile)); err != nil {
				t.Fatal(err)
			}
		}, checkpoint.ErrNoMetadata, "not a completed checkpoint or savepoint"},
		{"no such directory", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}, checkpoint.ErrNoMetadata, "no such file or directory"},
		{"damaged _metadata", func(t *testing.T, dir string) {
			f := filepath.Join(dir, checkpoint.MetadataFile)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b[30] ^= 1
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, checkpoint.ErrCorrupt, "checksum mismatch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			tt.damage(t, dir)
			r, err := Inspect(t.Context(), dir)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Inspect = %v, %v; want an error wrapping %v saying %q", r, err, tt.want, tt.msg)
			}
		})
	}
}

// TestBuildStorageFailure: a read failing for another reason than a
// missing or short file fails the report instead of becoming a problem.
func TestBuildStorageFailure(t *testing.T) {
	dir := fixture(t)
	sn, err := checkpoint.OpenSnapshot(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	boom := errors.New("connection reset")
	read := func(ctx context.Context, name string, off, n int64) ([]byte, error) {
		if strings.HasPrefix(name, "window") {
			return nil, boom
		}
		return sn.ReadRange(ctx, name, off, n)
	}
	if _, err := Build(t.Context(), sn.Dir, sn.Metadata, read); !errors.Is(err, boom) || !strings.Contains(err.Error(), "window-0-keyed") {
		t.Fatalf("Build = %v, want the read error naming the file", err)
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {5 << 20, "5.0 MiB"}, {3 << 40, "3.0 TiB"}, {1 << 62, "4.0 EiB"}} {
		if got := size(tt.n); got != tt.want {
			t.Errorf("size(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// FuzzSummarize checks that any key group bytes (checksum removed) are
// summarised or rejected without a panic, and that the window operator's
// pairs are taken apart as such.
func FuzzSummarize(f *testing.F) {
	b := newBackend(keygroup.Range{Start: 0, End: fxMaxPar - 1})
	defer b.Close()
	v, _ := state.GetValueState(b, state.ValueDescriptor[int64]{Name: "count"})
	ts := state.NewTimerService(b, nopPTS{}, nopTarget{})
	for i := range fxKeys {
		b.SetCurrentKey(key(i))
		_ = v.Update(int64(i))
		ts.RegisterEventTimeTimer(win{1, 2}, int64(i))
	}
	s, err := b.Snapshot()
	if err != nil {
		f.Fatal(err)
	}
	for kg := range 4 {
		var e snapshot.Encoder
		if err := s.WriteKeyGroup(kg, &e); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(kg), bytes.Clone(e.Data()))
		var pair snapshot.Encoder
		pair.Bytes(e.Data())
		pair.Bytes(e.Data())
		f.Add(uint8(kg), pair.Data())
	}
	s.Release()
	f.Add(uint8(0), []byte{})
	f.Add(uint8(0), []byte{2, 0})
	f.Fuzz(func(t *testing.T, kgByte uint8, data []byte) {
		kg := int(kgByte) % fxMaxPar
		parts, err := summarize(kg, data)
		if err != nil {
			if !strings.Contains(err.Error(), "key group") && !strings.Contains(err.Error(), "window operator") {
				t.Fatalf("error %q names neither the key group nor the window operator", err)
			}
			return
		}
		_, canonErr := state.InspectKeyGroup(kg, data)
		if canonical := canonErr == nil; canonical != (len(parts) == 1) {
			t.Fatalf("canonical %v, but %d parts", canonical, len(parts))
		}
		for _, p := range parts {
			for _, s := range p.states {
				if s.Bytes > len(data) {
					t.Fatalf("state %q has %d bytes of %d", s.Name, s.Bytes, len(data))
				}
			}
		}
	})
}
