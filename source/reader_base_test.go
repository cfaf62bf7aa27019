package source

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
)

// recOutput is a ReaderOutput recording records per split.
type recOutput struct {
	bySplit  map[string][]int64
	wide     []int64
	released []string
	n        int
}

func newRecOutput() *recOutput { return &recOutput{bySplit: map[string][]int64{}} }

type recSplitOutput struct {
	o  *recOutput
	id string
}

func (s recSplitOutput) Collect(v int64) { s.CollectWithTimestamp(v, 0) }
func (s recSplitOutput) CollectWithTimestamp(v int64, _ int64) {
	s.o.bySplit[s.id] = append(s.o.bySplit[s.id], v)
	s.o.n++
}
func (recSplitOutput) EmitWatermark(int64)            {}
func (recSplitOutput) MarkIdle()                      {}
func (recSplitOutput) MarkActive()                    {}
func (recSplitOutput) CollectSide(string, any, int64) {}

func (o *recOutput) Collect(v int64)                       { o.wide = append(o.wide, v); o.n++ }
func (o *recOutput) CollectWithTimestamp(v int64, _ int64) { o.Collect(v) }
func (o *recOutput) EmitWatermark(int64)                   {}
func (o *recOutput) MarkIdle()                             {}
func (o *recOutput) MarkActive()                           {}
func (o *recOutput) CollectSide(string, any, int64)        {}
func (o *recOutput) CreateOutputForSplit(id string) SourceOutput[int64] {
	return recSplitOutput{o, id}
}
func (o *recOutput) ReleaseOutputForSplit(id string) { o.released = append(o.released, id) }

// fakeReaderContext counts split requests.
type fakeReaderContext struct {
	requests int
	events   []SourceEvent
}

func (c *fakeReaderContext) SubtaskIndex() int { return 0 }
func (c *fakeReaderContext) Parallelism() int  { return 1 }
func (c *fakeReaderContext) SendSplitRequest() { c.requests++ }
func (c *fakeReaderContext) SendSourceEventToCoordinator(e SourceEvent) {
	c.events = append(c.events, e)
}
func (c *fakeReaderContext) Config() *config.Configuration { return nil }
func (c *fakeReaderContext) Now() int64                    { return 0 }

// drive polls r until EndOfInput, an error, or done reports true, waiting on
// IsAvailable when nothing is available.
func drive(t *testing.T, r SourceReader[int64, rangeSplit], out ReaderOutput[int64], done func() bool) (InputStatus, error) {
	t.Helper()
	for {
		st, err := r.PollNext(out)
		if err != nil || st == EndOfInput {
			return st, err
		}
		if done != nil && done() {
			return st, nil
		}
		if st == NothingAvailable {
			waitFor(t, r.IsAvailable(), "reader availability")
		}
	}
}

type readerSetup struct {
	perSplit bool
	batch    int
	queueCap int
	failAt   int64
	delay    time.Duration

	created, closed, wakes, fetches atomic.Int32
	finished                        map[string]rangeState
	ctx                             fakeReaderContext
}

func (s *readerSetup) newReader(t *testing.T) *SourceReaderBase[rangeRecord, int64, rangeSplit, *rangeState] {
	t.Helper()
	newSplitReader := func() SplitReader[rangeRecord, rangeSplit] {
		s.created.Add(1)
		fail := s.failAt
		if fail == 0 {
			fail = -1
		}
		return &rangeReader{batch: max(s.batch, 1), failAt: fail, delay: s.delay, closed: &s.closed, wakes: &s.wakes, fetches: &s.fetches}
	}
	var mgr *SplitFetcherManager[rangeRecord, rangeSplit]
	if s.perSplit {
		mgr = NewPerSplitFetcherManager(newSplitReader, s.queueCap)
	} else {
		mgr = NewSingleThreadFetcherManager(newSplitReader, s.queueCap)
	}
	s.finished = map[string]rangeState{}
	onFinished := func(m map[string]*rangeState) error {
		for id, st := range m {
			if _, dup := s.finished[id]; dup {
				return fmt.Errorf("split %s finished twice", id)
			}
			s.finished[id] = *st
		}
		return nil
	}
	return NewSourceReaderBase(mgr, rangeEmitter, initRangeState, rangeToSplit, onFinished, &s.ctx)
}

func TestSourceReaderBaseReadsSplitsInOrder(t *testing.T) {
	tests := []struct {
		name     string
		perSplit bool
		batch    int
		queueCap int
	}{
		{"single fetcher", false, 4, 2},
		{"single fetcher, queue of one", false, 1, 1},
		{"fetcher per split", true, 5, 3},
		{"fetcher per split, large batches", true, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := checkGoroutines(t)
			s := &readerSetup{perSplit: tt.perSplit, batch: tt.batch, queueCap: tt.queueCap}
			r := s.newReader(t)
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			splits := makeSplits(5, 37)
			out := newRecOutput()
			r.AddSplits(splits[:3])
			// Read some before the rest arrives.
			if _, err := drive(t, r, out, func() bool { return out.n >= 10 }); err != nil {
				t.Fatal(err)
			}
			r.AddSplits(splits[3:])
			r.NotifyNoMoreSplits()
			st, err := drive(t, r, out, nil)
			if err != nil || st != EndOfInput {
				t.Fatalf("drive = %v, %v", st, err)
			}
			for _, sp := range splits {
				want := make([]int64, 0, sp.End-sp.Next)
				for v := sp.Next; v < sp.End; v++ {
					want = append(want, v)
				}
				if got := out.bySplit[sp.ID]; !reflect.DeepEqual(got, want) {
					t.Errorf("split %s: got %v, want %v", sp.ID, got, want)
				}
				if fin, ok := s.finished[sp.ID]; !ok || fin.Next != sp.End {
					t.Errorf("split %s finished state %+v (reported %v), want Next=%d", sp.ID, fin, ok, sp.End)
				}
			}
			slices.Sort(out.released)
			if want := []string{"r0", "r1", "r2", "r3", "r4"}; !reflect.DeepEqual(out.released, want) {
				t.Errorf("released %v, want %v", out.released, want)
			}
			if st, err := r.PollNext(out); st != EndOfInput || err != nil {
				t.Errorf("PollNext after end = %v, %v", st, err)
			}
			if snap, _ := r.SnapshotState(1); len(snap) != 0 {
				t.Errorf("snapshot after end holds %v", snap)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if s.closed.Load() != s.created.Load() {
				t.Errorf("closed %d of %d split readers", s.closed.Load(), s.created.Load())
			}
			if tt.perSplit && s.created.Load() != 5 {
				t.Errorf("per-split manager created %d split readers for 5 splits", s.created.Load())
			}
			check()
		})
	}
}

func TestSourceReaderBaseIgnoresSplitsItHolds(t *testing.T) {
	s := &readerSetup{perSplit: true, queueCap: 1}
	r := s.newReader(t)
	defer r.Close()
	forever := rangeSplit{ID: "forever", Next: 0, End: -1}
	r.AddSplits([]rangeSplit{forever})
	r.AddSplits([]rangeSplit{forever, forever})
	if r.NumSplits() != 1 || s.created.Load() != 1 {
		t.Fatalf("%d splits, %d split readers after adding one split three times", r.NumSplits(), s.created.Load())
	}
}

func TestSourceReaderBaseOneBatchPerPollAndSnapshot(t *testing.T) {
	s := &readerSetup{batch: 10, queueCap: 4}
	r := s.newReader(t)
	defer r.Close()
	r.AddSplits([]rangeSplit{{ID: "a", Next: 100, End: 200}, {ID: "b", Next: 0, End: 5}})
	out := newRecOutput()
	eventually(t, "a full queue", func() bool { return len(r.mgr.queue) == cap(r.mgr.queue) })
	st, err := r.PollNext(out)
	if err != nil || st != MoreAvailable {
		t.Fatalf("PollNext = %v, %v", st, err)
	}
	if out.n != 10 {
		t.Fatalf("one PollNext emitted %d records, want one batch of 10", out.n)
	}
	snap, err := r.SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []rangeSplit{{ID: "a", Next: 110, End: 200}, {ID: "b", Next: 0, End: 5}}; !reflect.DeepEqual(snap, want) {
		t.Fatalf("snapshot %v, want %v", snap, want)
	}
	if r.NumSplits() != 2 {
		t.Fatalf("NumSplits = %d", r.NumSplits())
	}
}

func TestSourceReaderBaseFetchErrorSurfaces(t *testing.T) {
	check := checkGoroutines(t)
	s := &readerSetup{batch: 7, queueCap: 2, failAt: 50}
	r := s.newReader(t)
	r.AddSplits(makeSplits(1, 100))
	_, err := drive(t, r, newRecOutput(), nil)
	if err == nil || !strings.Contains(err.Error(), "disk on fire at 50") || !strings.Contains(err.Error(), "split fetcher") {
		t.Fatalf("drive = %v, want the fetch error", err)
	}
	// The error stays: the reader is failed.
	if _, err := r.PollNext(newRecOutput()); err == nil {
		t.Fatal("error cleared after one PollNext")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	check()
}

func TestSourceReaderBaseEmitterErrorSurfaces(t *testing.T) {
	s := &readerSetup{batch: 3, queueCap: 2}
	r := s.newReader(t)
	defer r.Close()
	// The state disagrees with the split's data: the emitter rejects it.
	r.AddSplits([]rangeSplit{{ID: "a", Next: 0, End: 10}})
	r.states["a"].Next = 5
	_, err := drive(t, r, newRecOutput(), nil)
	if err == nil || !strings.Contains(err.Error(), `emit record of split "a"`) {
		t.Fatalf("drive = %v", err)
	}
}

func TestSourceReaderBaseCloseWakesBlockedFetch(t *testing.T) {
	for _, perSplit := range []bool{false, true} {
		t.Run(fmt.Sprint("perSplit=", perSplit), func(t *testing.T) {
			check := checkGoroutines(t)
			s := &readerSetup{perSplit: perSplit, batch: 5, queueCap: 1}
			r := s.newReader(t)
			r.AddSplits([]rangeSplit{{ID: "forever", Next: 0, End: -1}})
			eventually(t, "a blocked fetch", func() bool { return s.fetches.Load() > 0 })
			if st, err := r.PollNext(newRecOutput()); st != NothingAvailable || err != nil {
				t.Fatalf("PollNext = %v, %v", st, err)
			}
			closed := make(chan error, 1)
			go func() { closed <- r.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close hung on a blocked fetch")
			}
			if s.wakes.Load() == 0 {
				t.Error("the split reader's WakeUp was not called")
			}
			if s.closed.Load() != 1 {
				t.Errorf("split reader closed %d times", s.closed.Load())
			}
			check()
		})
	}
}

func TestSourceReaderBaseCloseWhileFetcherBlockedOnFullQueue(t *testing.T) {
	check := checkGoroutines(t)
	s := &readerSetup{batch: 1, queueCap: 1}
	r := s.newReader(t)
	r.AddSplits(makeSplits(1, 1000))
	eventually(t, "a full queue and a waiting fetcher", func() bool { return len(r.mgr.queue) == 1 && s.fetches.Load() >= 2 })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	check()
}

func TestSourceReaderBaseAddSplitWakesBlockedFetch(t *testing.T) {
	s := &readerSetup{batch: 3, queueCap: 2}
	r := s.newReader(t)
	defer r.Close()
	r.AddSplits([]rangeSplit{{ID: "forever", Next: 0, End: -1}})
	eventually(t, "a blocked fetch", func() bool { return s.fetches.Load() > 0 })
	r.AddSplits([]rangeSplit{{ID: "b", Next: 0, End: 10}})
	out := newRecOutput()
	if _, err := drive(t, r, out, func() bool { return len(out.bySplit["b"]) == 10 }); err != nil {
		t.Fatal(err)
	}
	r.NotifyNoMoreSplits()
	// "forever" never finishes, so the input does not end.
	if st, err := r.PollNext(out); st != NothingAvailable || err != nil {
		t.Fatalf("PollNext = %v, %v", st, err)
	}
}

func TestSourceReaderBaseRequestsSplitsWhenIdle(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("RequestSplitsWhenIdle=", on), func(t *testing.T) {
			s := &readerSetup{batch: 100, queueCap: 2}
			r := s.newReader(t)
			defer r.Close()
			r.RequestSplitsWhenIdle = on
			want := func(n int) int {
				if on {
					return n
				}
				return 0
			}
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			out := newRecOutput()
			if st, _ := r.PollNext(out); st != NothingAvailable || s.ctx.requests != want(1) {
				t.Fatalf("after Start: status %v, %d requests, want %d (one outstanding request at a time)", st, s.ctx.requests, want(1))
			}
			r.AddSplits([]rangeSplit{{ID: "a", Next: 0, End: 10}})
			if _, err := drive(t, r, out, func() bool { return r.NumSplits() == 0 }); err != nil {
				t.Fatal(err)
			}
			r.PollNext(out)
			if s.ctx.requests != want(2) {
				t.Fatalf("after the split finished: %d requests, want %d", s.ctx.requests, want(2))
			}
			r.NotifyNoMoreSplits()
			if st, _ := r.PollNext(out); st != EndOfInput || s.ctx.requests != want(2) {
				t.Fatalf("after no more splits: %v, %d requests", st, s.ctx.requests)
			}
		})
	}
}

func TestSplitFetcherManagerShutsDownIdleFetchers(t *testing.T) {
	check := checkGoroutines(t)
	s := &readerSetup{perSplit: true, batch: 50, queueCap: 4}
	r := s.newReader(t)
	out := newRecOutput()
	r.AddSplits(makeSplits(3, 20))
	if _, err := drive(t, r, out, func() bool { return out.n == 60 && r.NumSplits() == 0 }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "idle fetchers to shut down", func() bool {
		r.PollNext(out)
		return r.mgr.NumFetchers() == 0 && s.closed.Load() == 3
	})
	// New splits start new fetchers.
	r.AddSplits([]rangeSplit{{ID: "late", Next: 1000, End: 1010}})
	r.NotifyNoMoreSplits()
	if st, err := drive(t, r, out, nil); st != EndOfInput || err != nil {
		t.Fatalf("drive = %v, %v", st, err)
	}
	if len(out.bySplit["late"]) != 10 {
		t.Fatalf("late split gave %v", out.bySplit["late"])
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if s.closed.Load() != 4 || s.created.Load() != 4 {
		t.Fatalf("created %d, closed %d split readers", s.created.Load(), s.closed.Load())
	}
	check()
}

// ghostReader returns records for a split nobody assigned.
type ghostReader struct{}

func (ghostReader) Fetch(context.Context) (RecordsWithSplitIDs[rangeRecord], error) {
	var r RecordsBySplits[rangeRecord]
	r.Add("ghost", rangeRecord{"ghost", 1})
	return &r, nil
}
func (ghostReader) HandleSplitsChanges([]rangeSplit) {}
func (ghostReader) WakeUp()                          {}
func (ghostReader) Close() error                     { return errors.New("ghost close failed") }

func TestSourceReaderBaseRejectsUnknownSplitAndReportsCloseErrors(t *testing.T) {
	mgr := NewSingleThreadFetcherManager(func() SplitReader[rangeRecord, rangeSplit] { return ghostReader{} }, 1)
	r := NewSourceReaderBase(mgr, rangeEmitter, initRangeState, rangeToSplit, nil, &fakeReaderContext{})
	r.AddSplits([]rangeSplit{{ID: "a", End: 10}})
	_, err := drive(t, r, newRecOutput(), nil)
	if err == nil || !strings.Contains(err.Error(), `split "ghost", which is not assigned`) {
		t.Fatalf("drive = %v", err)
	}
	if err := r.Close(); err == nil || !strings.Contains(err.Error(), "ghost close failed") {
		t.Fatalf("Close = %v, want the split reader's close error", err)
	}
	r.AddSplits([]rangeSplit{{ID: "b", End: 10}})
	if _, err := r.PollNext(newRecOutput()); !errors.Is(err, ErrFetcherManagerClosed) {
		t.Fatalf("PollNext after adding splits to a closed reader: %v", err)
	}
}

func TestRecordsBySplits(t *testing.T) {
	var r RecordsBySplits[int]
	if !r.Empty() {
		t.Fatal("new batch not empty")
	}
	r.Add("b", 1)
	r.Add("a", 2)
	r.Add("b", 3)
	r.AddFinishedSplit("b")
	r.AddFinishedSplit("c")
	if r.Empty() {
		t.Fatal("filled batch empty")
	}
	got := map[string][]int{}
	var order []string
	if _, ok := r.NextRecord(); ok {
		t.Fatal("record before NextSplit")
	}
	for {
		id, ok := r.NextSplit()
		if !ok {
			break
		}
		order = append(order, id)
		for {
			v, ok := r.NextRecord()
			if !ok {
				break
			}
			got[id] = append(got[id], v)
		}
	}
	if !reflect.DeepEqual(order, []string{"b", "a"}) || !reflect.DeepEqual(got, map[string][]int{"b": {1, 3}, "a": {2}}) {
		t.Fatalf("order %v, records %v", order, got)
	}
	if !reflect.DeepEqual(r.FinishedSplits(), []string{"b", "c"}) {
		t.Fatalf("finished %v", r.FinishedSplits())
	}
}

func TestAvailabilityNoLostWakeUp(t *testing.T) {
	a := newAvailability()
	a.signal()
	select {
	case <-a.channel():
	default:
		t.Fatal("signal did not fire the channel")
	}
	a.reset()
	ch := a.channel()
	select {
	case <-ch:
		t.Fatal("reset channel already fired")
	default:
	}
	a.signal()
	a.signal() // idempotent
	select {
	case <-ch:
	default:
		t.Fatal("signal after reset lost")
	}
	a.reset()
	a.reset() // a reset of an unfired channel keeps it
	if first, second := a.channel(), a.channel(); first != second {
		t.Fatal("channel changed without a signal")
	}
}
