package collect

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/sink"
)

type fakeInit struct{ subtask, parallelism, attempt int }

func (f fakeInit) SubtaskIndex() int             { return f.subtask }
func (f fakeInit) Parallelism() int              { return f.parallelism }
func (f fakeInit) AttemptNumber() int            { return f.attempt }
func (f fakeInit) Config() *config.Configuration { return config.New() }
func (f fakeInit) Now() int64                    { return 0 }

func mustWriter[T any](t *testing.T, s *Sink[T], init fakeInit) sink.Writer[T] {
	t.Helper()
	w, err := s.CreateWriter(init)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCollectsValuesAndRecords(t *testing.T) {
	s := New[string]()
	w0 := mustWriter(t, s, fakeInit{0, 2, 0})
	w1 := mustWriter(t, s, fakeInit{1, 2, 0})
	steps := []struct {
		w  sink.Writer[string]
		v  string
		ts int64
	}{{w0, "a", 10}, {w1, "b", 20}, {w0, "c", 30}}
	for _, st := range steps {
		if err := st.w.Write(st.v, sink.Context{Timestamp: st.ts}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Values(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Values = %q", got)
	}
	want := []Record[string]{{"a", 10, 0}, {"b", 20, 1}, {"c", 30, 0}}
	if got := s.Records(); !slices.Equal(got, want) {
		t.Fatalf("Records = %+v, want %+v", got, want)
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d", s.Len())
	}
	// Returned slices are copies.
	s.Values()[0] = "changed"
	s.Records()[0].Value = "changed"
	if s.Values()[0] != "a" {
		t.Fatal("Values/Records return the sink's own slice")
	}
}

func TestReuseNeedsReset(t *testing.T) {
	s := New[int]()
	old := mustWriter(t, s, fakeInit{0, 1, 0})
	if err := old.Write(1, sink.Context{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateWriter(fakeInit{0, 1, 0})
	if err == nil || !strings.Contains(err.Error(), "Reset") {
		t.Fatalf("second run without Reset: CreateWriter = %v; want an error pointing at Reset", err)
	}
	// A restarted attempt of the same run appends.
	retry := mustWriter(t, s, fakeInit{0, 1, 1})
	if err := retry.Write(1, sink.Context{}); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d after a restart, want 2", s.Len())
	}

	s.Reset()
	if s.Len() != 0 || len(s.Values()) != 0 {
		t.Fatal("Reset kept records")
	}
	if err := old.Write(2, sink.Context{}); err == nil {
		t.Fatal("writer of a run before Reset could still write")
	}
	w := mustWriter(t, s, fakeInit{0, 1, 0})
	if err := w.Write(3, sink.Context{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(4, sink.Context{}); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if got := s.Values(); !slices.Equal(got, []int{3}) {
		t.Fatalf("Values after Reset = %v", got)
	}
	if _, err := s.CreateWriter(nil); err == nil {
		t.Fatal("CreateWriter(nil) succeeded")
	}
}

func TestConcurrentSubtasks(t *testing.T) {
	const subtasks, perSubtask = 8, 1000
	s := New[string]()
	var wg sync.WaitGroup
	for i := range subtasks {
		wg.Go(func() {
			w, err := s.CreateWriter(fakeInit{i, subtasks, 0})
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			for j := range perSubtask {
				if err := w.Write(fmt.Sprintf("%d/%d", i, j), sink.Context{Timestamp: int64(j)}); err != nil {
					t.Error(err)
					return
				}
				if j%100 == 0 {
					_ = s.Len() // readers run alongside writers
					_ = s.Values()
				}
			}
			if err := w.Flush(true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recs := s.Records()
	if len(recs) != subtasks*perSubtask {
		t.Fatalf("collected %d records, want %d", len(recs), subtasks*perSubtask)
	}
	next := make([]int, subtasks)
	for _, r := range recs {
		if want := fmt.Sprintf("%d/%d", r.Subtask, next[r.Subtask]); r.Value != want || r.Timestamp != int64(next[r.Subtask]) {
			t.Fatalf("record %+v out of order for its subtask; want %s", r, want)
		}
		next[r.Subtask]++
	}
}
