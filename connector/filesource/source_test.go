package filesource

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

// makeInput writes files of unique lines below a fresh directory (some
// nested, some hidden, some empty) and returns the directory and the lines
// the source must emit.
func makeInput(t *testing.T, rng *rand.Rand, files, maxLines int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var want []string
	for f := range files {
		var b strings.Builder
		n := rng.IntN(maxLines)
		if f == 0 {
			n = 0 // an empty file
		}
		for l := range n {
			line := fmt.Sprintf("f%d-l%d-%s", f, l, strings.Repeat("x", rng.IntN(80)))
			want = append(want, line)
			b.WriteString(line)
			if rng.IntN(4) == 0 {
				b.WriteString("\r")
			}
			if l < n-1 || rng.IntN(2) == 0 {
				b.WriteString("\n")
			}
		}
		name := fmt.Sprintf("part-%02d.txt", f)
		if f%3 == 1 {
			name = filepath.Join("nested", name)
		}
		writeFile(t, dir, name, []byte(b.String()))
	}
	writeFile(t, dir, ".part-99.txt.crc", []byte("hidden\n"))
	writeFile(t, dir, "_SUCCESS", []byte("marker\n"))
	return dir, want
}

var noWatermarks = eventtime.NoWatermarks[string]()

func TestEndToEndExactlyOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dir, want := makeInput(t, rng, 12, 300)
	for _, p := range []int{1, 3} {
		for _, block := range []int64{97, 1000, DefaultBlockSize} {
			t.Run(fmt.Sprintf("p%d-block%d", p, block), func(t *testing.T) {
				src := TextLines(dir).WithBlockSize(block)
				j, err := sourcetest.Run(t, src, noWatermarks, p, sourcetest.Options{})
				if err != nil {
					t.Fatal(err)
				}
				sourcetest.CheckExactlyOnce(t, j.AllRecords(), want)
			})
		}
	}
}

func TestEndToEndRestoreFromCheckpoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	// Blocks of more lines than a fetch returns, so checkpoints fall
	// inside splits and restored readers resume mid-block.
	dir, want := makeInput(t, rng, 6, 4000)
	for _, stopAfter := range []int{0, 1, 1500, 3000} {
		t.Run(strconv.Itoa(stopAfter), func(t *testing.T) {
			src := TextLines(dir).WithBlockSize(64 << 10)
			j1 := sourcetest.Start(t, src, noWatermarks, 2, sourcetest.Options{})
			if err := j1.RunUntil(stopAfter); err != nil {
				t.Fatal(err)
			}
			cp := j1.Checkpoint(1)
			before := j1.AllRecords()
			if stopAfter > 0 && (len(before) == 0 || len(before) >= len(want)) {
				t.Fatalf("checkpoint after %d of %d records tests no restore", len(before), len(want))
			}
			if err := j1.Stop(); err != nil {
				t.Fatal(err)
			}
			// The restored job runs with the same sources object, as a
			// restarted job binary would build it again.
			j2, err := sourcetest.Run(t, src, noWatermarks, 2, sourcetest.Options{Restore: cp})
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckExactlyOnce(t, append(before, j2.AllRecords()...), want)
		})
	}
}

func TestEndToEndTypedLines(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", []byte("1\n2\n3\n"))
	writeFile(t, dir, "b.txt", []byte("40\n50"))
	src := Lines(strconv.Atoi, dir)
	j, err := sourcetest.Run(t, src, eventtime.NoWatermarks[int](), 2, sourcetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := j.AllRecords()
	slices.Sort(got)
	if !slices.Equal(got, []int{1, 2, 3, 40, 50}) {
		t.Fatalf("got %v", got)
	}
}

func TestDecodeErrorNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	// The bad line is in the third block: its number is counted from the
	// file start, not from the block.
	p := writeFile(t, dir, "nums.txt", []byte("10\n20\n30\n40\nforty-one\n50\n"))
	src := Lines(strconv.Atoi, p).WithBlockSize(4)
	_, err := sourcetest.Run(t, src, eventtime.NoWatermarks[int](), 1, sourcetest.Options{})
	var numErr *strconv.NumError
	if err == nil || !strings.Contains(err.Error(), p+":5: decode") || !errors.As(err, &numErr) {
		t.Fatalf("error %v, want one naming %s:5", err, p)
	}
}

func TestLongLineFailsTheJob(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "bin", []byte("ok\n"+strings.Repeat("z", 5000)+"\nok\n"))
	_, err := sourcetest.Run(t, TextLines(p).WithMaxLineLength(1000), noWatermarks, 1, sourcetest.Options{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("byte offset 3 of %q", p)) {
		t.Fatalf("error %v", err)
	}
}

func TestFileDeletedBeforeReading(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "gone.txt", []byte("a\n"))
	src := TextLines(p)
	ectx := sourcetest.NewEnumContext[FileSplit](1)
	e, err := src.CreateEnumerator(ectx)
	if err != nil {
		t.Fatal(err)
	}
	e.HandleSplitRequest(0, "")
	r, err := src.CreateReader(sourcetest.NewReaderContext(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	r.AddSplits(ectx.Assigned[0])
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, err := r.PollNext(&sourcetest.ReaderOutput[string]{})
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(p)) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		<-r.IsAvailable()
	}
	t.Fatal("no error for a deleted file")
}

func TestReaderSnapshotTracksPosition(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	p := writeFile(t, dir, "f", []byte(b.String()))
	src := TextLines(p)
	rctx := sourcetest.NewReaderContext(0, 1)
	r, err := src.CreateReader(rctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if rctx.Requests() != 1 {
		t.Fatalf("Start sent %d split requests", rctx.Requests())
	}
	split := FileSplit{ID: p + ":0", Path: p, Length: int64(b.Len())}
	r.AddSplits([]FileSplit{split})
	out := &sourcetest.ReaderOutput[string]{}
	for len(out.Records) == 0 {
		if _, err := r.PollNext(out); err != nil {
			t.Fatal(err)
		}
		if len(out.Records) == 0 {
			<-r.IsAvailable()
		}
	}
	snap, err := r.SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	n := len(out.Records)
	wantPos := int64(len(strings.Join(expectedLines([]byte(b.String()))[:n], "\n")) + 1)
	if len(snap) != 1 || snap[0].Position != wantPos || snap[0].Offset != 0 {
		t.Fatalf("after %d lines snapshot %+v, want position %d", n, snap, wantPos)
	}
	// Drain; the finished split leaves the snapshot and the reader asks
	// for the next one.
	for {
		st, err := r.PollNext(out)
		if err != nil {
			t.Fatal(err)
		}
		if st == source.NothingAvailable && len(out.Records) == 3000 {
			break
		}
		if st == source.NothingAvailable {
			<-r.IsAvailable()
		}
	}
	if snap, _ := r.SnapshotState(2); len(snap) != 0 || !slices.Equal(out.Released, []string{split.ID}) {
		t.Fatalf("after the split: snapshot %+v, released %v", snap, out.Released)
	}
	if rctx.Requests() != 2 {
		t.Fatalf("%d split requests, want 2", rctx.Requests())
	}
	r.NotifyNoMoreSplits()
	if st, err := r.PollNext(out); st != source.EndOfInput || err != nil {
		t.Fatalf("after no more splits: %v %v", st, err)
	}
}

func TestEndToEndContinuousMonitoring(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "1.txt", []byte("a\nb\n"))
	src := TextLines(dir).MonitorContinuously(20 * time.Millisecond)
	j := sourcetest.Start(t, src, noWatermarks, 2, sourcetest.Options{})
	done := make(chan error, 1)
	go func() { done <- j.Run() }()
	time.Sleep(50 * time.Millisecond)
	writeFile(t, dir, "2.txt", []byte("c\n"))
	writeFile(t, dir, "sub/3.txt", []byte("d\ne"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if total := j.Len(); total >= 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The source is unbounded: end it as cancellation does.
	j.Interrupt()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := j.Stop(); err != nil {
		t.Fatal(err)
	}
	sourcetest.CheckExactlyOnce(t, j.AllRecords(), []string{"a", "b", "c", "d", "e"})
}
