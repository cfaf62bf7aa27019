package source

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
)

// delivered records what a coordinator sends to subtasks.
type delivered struct {
	mu   sync.Mutex
	evs  map[int][]OperatorEvent
	down map[int]bool // subtasks whose delivery fails
}

func newDelivered() *delivered {
	return &delivered{evs: map[int][]OperatorEvent{}, down: map[int]bool{}}
}

func (d *delivered) gateway(subtask int, ev OperatorEvent) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down[subtask] {
		return fmt.Errorf("subtask %d is down", subtask)
	}
	d.evs[subtask] = append(d.evs[subtask], ev)
	return nil
}

func (d *delivered) take(subtask int) []OperatorEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.evs[subtask]
	delete(d.evs, subtask)
	return out
}

// coordHarness runs a coordinator over a memSource.
type coordHarness struct {
	t      *testing.T
	src    *memSource
	c      Coordinator
	out    *delivered
	cancel context.CancelFunc
	done   chan error
}

func startCoordinator(t *testing.T, src Source[int64, rangeSplit, enumState], ms *memSource, parallelism int, restored []byte) *coordHarness {
	t.Helper()
	h := &coordHarness{t: t, src: ms, out: newDelivered(), done: make(chan error, 1)}
	h.c = NewCoordinator("numbers", src, parallelism, testConfig(t), h.out.gateway, restored)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.c.Run(ctx) }()
	return h
}

// send queues ev from subtask and waits until the coordinator handled it.
func (h *coordHarness) send(subtask int, ev OperatorEvent) {
	h.t.Helper()
	h.c.HandleEventFromOperator(subtask, ev)
	h.barrier()
}

func (h *coordHarness) barrier() {
	h.t.Helper()
	eventually(h.t, "enumerator", func() bool { return h.src.enumerator() != nil })
	h.src.enumerator().barrier(h.t)
}

func (h *coordHarness) stop() error {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		return err
	case <-time.After(5 * time.Second):
		h.t.Fatal("Run did not return after cancel")
		return nil
	}
}

func splitsOf(evs []OperatorEvent) []string {
	var out []string
	for _, ev := range evs {
		switch e := ev.(type) {
		case AddSplitsEvent:
			for _, s := range e.Splits {
				out = append(out, s.(rangeSplit).ID)
			}
		case NoMoreSplitsEvent:
			out = append(out, "<no more>")
		case SourceEventWrapper:
			out = append(out, fmt.Sprintf("<event %v>", e.Event))
		}
	}
	return out
}

// TestCoordinatorTranscript feeds operator events in and checks what each
// subtask receives.
func TestCoordinatorTranscript(t *testing.T) {
	type in struct {
		subtask int
		ev      OperatorEvent
	}
	tests := []struct {
		name   string
		splits int
		events []in
		want   map[int][]string
	}{
		{
			name:   "requests are answered in order, then no more splits",
			splits: 3,
			events: []in{
				{0, ReaderRegistrationEvent{0, "h0"}}, {1, ReaderRegistrationEvent{1, "h1"}},
				{0, RequestSplitEvent{0, "h0"}}, {1, RequestSplitEvent{1, "h1"}},
				{0, RequestSplitEvent{0, "h0"}}, {0, RequestSplitEvent{0, "h0"}}, {1, RequestSplitEvent{1, "h1"}},
			},
			want: map[int][]string{0: {"r0", "r2", "<no more>"}, 1: {"r1", "<no more>"}},
		},
		{
			name:   "unregistered readers get nothing and the split stays",
			splits: 1,
			events: []in{
				{1, RequestSplitEvent{1, "h1"}},
				{0, ReaderRegistrationEvent{0, "h0"}},
				{0, RequestSplitEvent{0, "h0"}},
			},
			want: map[int][]string{0: {"r0"}},
		},
		{
			name:   "no splits at all",
			splits: 0,
			events: []in{{0, ReaderRegistrationEvent{0, "h0"}}, {0, RequestSplitEvent{0, "h0"}}},
			want:   map[int][]string{0: {"<no more>"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := &memSource{splits: makeSplits(tt.splits, 10)}
			h := startCoordinator(t, ms, ms, 2, nil)
			for _, e := range tt.events {
				h.send(e.subtask, e.ev)
			}
			for subtask := range 2 {
				if got := splitsOf(h.out.take(subtask)); !reflect.DeepEqual(got, tt.want[subtask]) {
					t.Errorf("subtask %d got %v, want %v", subtask, got, tt.want[subtask])
				}
			}
			if err := h.stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// ctxEnumerator exposes its context so tests can call it on the
// coordinator goroutine through RunInCoordinatorThread.
type ctxSource struct {
	memSource
	start func(ctx SplitEnumeratorContext[rangeSplit], e *memEnumerator) error
}

func (s *ctxSource) CreateEnumerator(ctx SplitEnumeratorContext[rangeSplit]) (SplitEnumerator[rangeSplit, enumState], error) {
	e, _ := s.memSource.CreateEnumerator(ctx)
	return &startHook{memEnumerator: e.(*memEnumerator), start: s.start}, nil
}

type startHook struct {
	*memEnumerator
	start func(ctx SplitEnumeratorContext[rangeSplit], e *memEnumerator) error
}

func (s *startHook) Start() error {
	if s.start == nil {
		return nil
	}
	return s.start(s.ctx, s.memEnumerator)
}

func TestCoordinatorEnumeratorContext(t *testing.T) {
	src := &ctxSource{memSource: memSource{splits: makeSplits(4, 10)}}
	h := startCoordinator(t, src, &src.memSource, 3, nil)
	h.send(0, ReaderRegistrationEvent{0, "h0"})
	h.send(2, ReaderRegistrationEvent{2, "h2"})
	e := h.src.enumerator()

	onCoord := func(fn func(ctx SplitEnumeratorContext[rangeSplit]) error) error {
		res := make(chan error, 1)
		e.ctx.RunInCoordinatorThread(func() error { res <- fn(e.ctx); return nil })
		select {
		case err := <-res:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("coordinator did not run fn")
			return nil
		}
	}
	_ = onCoord(func(ctx SplitEnumeratorContext[rangeSplit]) error {
		if ctx.CurrentParallelism() != 3 {
			t.Errorf("parallelism %d", ctx.CurrentParallelism())
		}
		want := map[int]ReaderInfo{0: {0, "h0"}, 2: {2, "h2"}}
		if got := ctx.RegisteredReaders(); !reflect.DeepEqual(got, want) {
			t.Errorf("readers %v, want %v", got, want)
		}
		ctx.RegisteredReaders()[1] = ReaderInfo{} // a copy: must not register 1
		if ctx.Config() == nil {
			t.Error("no config")
		}
		return nil
	})

	tests := []struct {
		name    string
		call    func(ctx SplitEnumeratorContext[rangeSplit]) error
		wantErr string
	}{
		{"assign to unregistered sends nothing", func(ctx SplitEnumeratorContext[rangeSplit]) error {
			return ctx.AssignSplits(map[int][]rangeSplit{0: {{ID: "x"}}, 1: {{ID: "y"}}})
		}, "subtask 1 has no registered reader"},
		{"assign to several", func(ctx SplitEnumeratorContext[rangeSplit]) error {
			return ctx.AssignSplits(map[int][]rangeSplit{2: {{ID: "c"}, {ID: "d"}}, 0: {{ID: "a"}}})
		}, ""},
		{"event to reader", func(ctx SplitEnumeratorContext[rangeSplit]) error { return ctx.SendEventToSourceReader(2, "ping") }, ""},
		{"event to unregistered", func(ctx SplitEnumeratorContext[rangeSplit]) error { return ctx.SendEventToSourceReader(1, "ping") }, "no registered reader"},
		{"no more splits to unregistered", func(ctx SplitEnumeratorContext[rangeSplit]) error { return ctx.SignalNoMoreSplits(1) }, "no registered reader"},
		{"no more splits", func(ctx SplitEnumeratorContext[rangeSplit]) error { return ctx.SignalNoMoreSplits(0) }, ""},
	}
	for _, tt := range tests {
		err := onCoord(tt.call)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	if got, want := splitsOf(h.out.take(0)), []string{"a", "<no more>"}; !reflect.DeepEqual(got, want) {
		t.Errorf("subtask 0 got %v, want %v", got, want)
	}
	if got, want := splitsOf(h.out.take(2)), []string{"c", "d", "<event ping>"}; !reflect.DeepEqual(got, want) {
		t.Errorf("subtask 2 got %v, want %v", got, want)
	}

	// A failing delivery is reported to the enumerator.
	h.out.mu.Lock()
	h.out.down[2] = true
	h.out.mu.Unlock()
	if err := onCoord(func(ctx SplitEnumeratorContext[rangeSplit]) error { return ctx.AssignSplit(rangeSplit{ID: "z"}, 2) }); err == nil || !strings.Contains(err.Error(), "subtask 2 is down") {
		t.Errorf("assign to a down subtask: %v", err)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// ptrSplit is a split type with pointer identity, to check the coordinator
// hands readers copies.
type ptrSplit struct {
	ID   string
	Tags []string
}

func (s *ptrSplit) SplitID() string { return s.ID }

type ptrSource struct {
	assign *ptrSplit
}

func (s *ptrSource) Boundedness() Boundedness { return Bounded }
func (s *ptrSource) CreateEnumerator(ctx SplitEnumeratorContext[*ptrSplit]) (SplitEnumerator[*ptrSplit, int], error) {
	return &ptrEnumerator{ctx: ctx, split: s.assign}, nil
}
func (s *ptrSource) RestoreEnumerator(ctx SplitEnumeratorContext[*ptrSplit], _ int) (SplitEnumerator[*ptrSplit, int], error) {
	return s.CreateEnumerator(ctx)
}
func (s *ptrSource) CreateReader(ReaderContext) (SourceReader[int64, *ptrSplit], error) {
	return nil, errors.New("unused")
}
func (s *ptrSource) SplitCodec() codec.Codec[*ptrSplit] { return codec.JSON[*ptrSplit]{} }
func (s *ptrSource) CheckpointCodec() codec.Codec[int]  { return codec.JSON[int]{} }

type ptrEnumerator struct {
	ctx   SplitEnumeratorContext[*ptrSplit]
	split *ptrSplit
	err   error
}

func (e *ptrEnumerator) Start() error { return nil }
func (e *ptrEnumerator) HandleSplitRequest(subtask int, _ string) {
	e.err = e.ctx.AssignSplit(e.split, subtask)
	e.split.Tags[0] = "mutated by the enumerator"
}
func (e *ptrEnumerator) AddSplitsBack([]*ptrSplit, int)       {}
func (e *ptrEnumerator) AddReader(int)                        {}
func (e *ptrEnumerator) SnapshotState(int64) (int, error)     { return 0, nil }
func (e *ptrEnumerator) NotifyCheckpointComplete(int64) error { return nil }
func (e *ptrEnumerator) HandleSourceEvent(int, SourceEvent)   {}
func (e *ptrEnumerator) Close() error                         { return nil }

func TestCoordinatorSendsCopiesOfSplits(t *testing.T) {
	orig := &ptrSplit{ID: "p", Tags: []string{"original"}}
	out := newDelivered()
	c := NewCoordinator[int64, *ptrSplit, int]("ptr", &ptrSource{assign: orig}, 1, nil, out.gateway, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	c.HandleEventFromOperator(0, ReaderRegistrationEvent{0, "h"})
	c.HandleEventFromOperator(0, RequestSplitEvent{0, "h"})
	if _, err := c.Checkpoint(ctx, 1); err != nil { // a barrier
		t.Fatal(err)
	}
	evs := out.take(0)
	if len(evs) != 1 {
		t.Fatalf("delivered %v", evs)
	}
	got := evs[0].(AddSplitsEvent).Splits[0].(*ptrSplit)
	if got == orig || got.Tags[0] != "original" {
		t.Fatalf("reader's split %+v shares memory with the enumerator's", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCoordinatorCheckpointRestore(t *testing.T) {
	ms := &memSource{splits: makeSplits(3, 10)}
	h := startCoordinator(t, ms, ms, 1, nil)
	h.send(0, ReaderRegistrationEvent{0, "h"})
	h.send(0, RequestSplitEvent{0, "h"})
	b, err := h.c.Checkpoint(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := codec.JSON[enumState]{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := makeSplits(3, 10)[1:]; !reflect.DeepEqual(st.Remaining, want) {
		t.Fatalf("checkpoint holds %v, want %v", st.Remaining, want)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Checkpoint(context.Background(), 2); !errors.Is(err, ErrCoordinatorStopped) {
		t.Fatalf("Checkpoint after Run: %v", err)
	}
	if err := h.c.Run(context.Background()); err == nil {
		t.Fatal("second Run accepted")
	}

	ms2 := &memSource{splits: makeSplits(3, 10)}
	h2 := startCoordinator(t, ms2, ms2, 1, b)
	h2.send(0, ReaderRegistrationEvent{0, "h"})
	for range 3 {
		h2.send(0, RequestSplitEvent{0, "h"})
	}
	if got, want := splitsOf(h2.out.take(0)), []string{"r1", "r2", "<no more>"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("restored coordinator assigned %v, want %v", got, want)
	}
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}

	h3 := startCoordinator(t, ms2, ms2, 1, []byte("{not json"))
	select {
	case err := <-h3.done:
		if err == nil || !strings.Contains(err.Error(), `coordinator of "numbers": decode enumerator checkpoint`) {
			t.Fatalf("corrupt checkpoint: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run with a corrupt checkpoint did not fail")
	}
	h3.cancel()
}

func TestCoordinatorSubtaskReset(t *testing.T) {
	ms := &memSource{splits: makeSplits(6, 10)}
	h := startCoordinator(t, ms, ms, 2, nil)
	ctx := context.Background()
	h.send(0, ReaderRegistrationEvent{0, "h0"})
	h.send(1, ReaderRegistrationEvent{1, "h1"})
	h.send(0, RequestSplitEvent{0, "h0"}) // r0 -> 0, before checkpoint 1
	if _, err := h.c.Checkpoint(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.c.ReleaseEvents(1)
	h.send(0, RequestSplitEvent{0, "h0"}) // r1 -> 0, in checkpoint 2
	h.send(1, RequestSplitEvent{1, "h1"}) // r2 -> 1, in checkpoint 2
	if _, err := h.c.Checkpoint(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// Checkpoint 2 is not triggered yet: r3 is held, and dropped with the
	// reset below (it comes back through AddSplitsBack instead).
	h.send(0, RequestSplitEvent{0, "h0"}) // r3 -> 0, after checkpoint 2
	h.c.NotifyCheckpointComplete(1)
	h.c.SubtaskReset(0, 1)
	h.barrier()

	e := h.src.enumerator()
	got := make([]string, 0, len(e.addedBack))
	for _, s := range e.addedBack {
		got = append(got, s.ID)
	}
	if want := []string{"r1", "r3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("added back %v, want %v", got, want)
	}
	// The reset reader is unregistered until it registers again.
	h.out.take(0)
	h.send(0, RequestSplitEvent{0, "h0"})
	if got := h.out.take(0); len(got) != 0 {
		t.Fatalf("reset reader got %v before registering again", got)
	}
	h.send(0, ReaderRegistrationEvent{0, "h0"})
	h.send(0, RequestSplitEvent{0, "h0"})
	h.c.ReleaseEvents(2)
	h.barrier()
	if got, want := splitsOf(h.out.take(0)), []string{"r4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("re-registered reader got %v, want %v (the r3 held for the failed reader must not arrive)", got, want)
	}
	// Subtask 1's only split, r2, is covered by checkpoint 2: resetting it
	// to that checkpoint adds nothing back.
	h.c.SubtaskReset(1, 2)
	h.barrier()
	if len(e.addedBack) != 2 {
		t.Fatalf("subtask 1 reset to checkpoint 2 added back %v", e.addedBack[2:])
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestAssignmentTracker(t *testing.T) {
	type op struct {
		kind    string // "assign", "checkpoint", "complete"
		subtask int
		split   string
		id      int64
	}
	tests := []struct {
		name     string
		ops      []op
		subtask  int
		restored int64
		want     []string
	}{
		{"nothing", nil, 0, 0, nil},
		{"uncheckpointed only", []op{{"assign", 0, "a", 0}, {"assign", 1, "b", 0}}, 0, 0, []string{"a"}},
		{"covered by the restored checkpoint", []op{{"assign", 0, "a", 0}, {"checkpoint", 0, "", 1}, {"assign", 0, "b", 0}}, 0, 1, []string{"b"}},
		{"in a later, incomplete checkpoint", []op{
			{"assign", 0, "a", 0}, {"checkpoint", 0, "", 1}, {"assign", 0, "b", 0}, {"checkpoint", 0, "", 2}, {"assign", 0, "c", 0},
		}, 0, 1, []string{"b", "c"}},
		{"restore from scratch", []op{{"assign", 0, "a", 0}, {"checkpoint", 0, "", 1}, {"assign", 0, "b", 0}}, 0, 0, []string{"a", "b"}},
		{"completed checkpoints are forgotten", []op{
			{"assign", 0, "a", 0}, {"checkpoint", 0, "", 1}, {"assign", 0, "b", 0}, {"checkpoint", 0, "", 2}, {"complete", 0, "", 2},
		}, 0, 0, nil},
		{"other subtasks untouched", []op{{"assign", 1, "x", 0}, {"checkpoint", 0, "", 1}, {"assign", 1, "y", 0}}, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newAssignmentTracker()
			for _, o := range tt.ops {
				switch o.kind {
				case "assign":
					tr.recordAssignment(o.subtask, []byte(o.split))
				case "checkpoint":
					tr.onCheckpoint(o.id)
				case "complete":
					tr.onCheckpointComplete(o.id)
				}
			}
			var got []string
			for _, b := range tr.takeSince(tt.subtask, tt.restored) {
				got = append(got, string(b))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("takeSince = %v, want %v", got, tt.want)
			}
			if again := tr.takeSince(tt.subtask, tt.restored); len(again) != 0 {
				t.Fatalf("second takeSince returned %q", again)
			}
		})
	}
}

// asyncSource's enumerator runs a periodic CallAsync and counts, without
// locks, so -race proves handlers run on the coordinator goroutine.
func TestCoordinatorCallAsync(t *testing.T) {
	check := checkGoroutines(t)
	var (
		mu       sync.Mutex
		calls    int
		handled  int // touched only on the coordinator goroutine
		observed = make(chan int, 100)
	)
	slowStarted, release := make(chan struct{}), make(chan struct{})
	src := &ctxSource{memSource: memSource{splits: makeSplits(2, 10)}}
	src.start = func(ctx SplitEnumeratorContext[rangeSplit], e *memEnumerator) error {
		ctx.CallAsync(func() (any, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return calls, nil
		}, func(v any, err error) error {
			handled++
			e.remaining = append(e.remaining, rangeSplit{ID: fmt.Sprint("discovered", v), End: -1})
			observed <- handled
			return err
		}, 0, 2*time.Millisecond)
		// A callable still running at shutdown is waited for.
		ctx.CallAsync(func() (any, error) {
			close(slowStarted)
			<-release
			return nil, nil
		}, func(any, error) error { return nil }, 0, 0)
		// One that would only run long after shutdown is cancelled.
		ctx.CallAsync(func() (any, error) {
			t.Error("delayed callable ran after shutdown")
			return nil, nil
		}, nil, time.Hour, 0)
		return nil
	}
	h := startCoordinator(t, src, &src.memSource, 1, nil)
	for want := 1; want <= 3; want++ {
		select {
		case n := <-observed:
			if n != want {
				t.Fatalf("handler count %d, want %d", n, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("periodic handler did not run")
		}
	}
	// Split requests touch the same fields as the handlers: -race reports
	// it if handlers ran anywhere but on the coordinator goroutine.
	h.send(0, ReaderRegistrationEvent{0, "h"})
	h.send(0, RequestSplitEvent{0, "h"})
	<-slowStarted
	h.cancel()
	select {
	case err := <-h.done:
		t.Fatalf("Run returned (%v) while a callable was still running", err)
	case <-time.After(30 * time.Millisecond):
	}
	close(release)
	if err := <-h.done; err != nil {
		t.Fatal(err)
	}
	check()
	// CallAsync after Run is a no-op, not a leaked goroutine.
	h.src.enumerator().ctx.CallAsync(func() (any, error) { return nil, nil }, nil, 0, time.Millisecond)
	check()
}

func TestCoordinatorErrorsEndRun(t *testing.T) {
	tests := []struct {
		name    string
		start   func(ctx SplitEnumeratorContext[rangeSplit], e *memEnumerator) error
		event   *OperatorEvent
		wantErr string
	}{
		{"start fails", func(SplitEnumeratorContext[rangeSplit], *memEnumerator) error {
			return errors.New("no bootstrap servers")
		},
			nil, `source: coordinator of "numbers": start enumerator: no bootstrap servers`},
		{"async handler fails", func(ctx SplitEnumeratorContext[rangeSplit], _ *memEnumerator) error {
			ctx.CallAsync(func() (any, error) { return nil, errors.New("listing failed") }, func(_ any, err error) error { return err }, 0, 0)
			return nil
		}, nil, "listing failed"},
		{"coordinator thread fn fails", func(ctx SplitEnumeratorContext[rangeSplit], _ *memEnumerator) error {
			ctx.RunInCoordinatorThread(func() error { return errors.New("boom") })
			return nil
		}, nil, "boom"},
		{"unknown event", nil, ptr[OperatorEvent](NoMoreSplitsEvent{}), "unexpected operator event source.NoMoreSplitsEvent from subtask 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := checkGoroutines(t)
			src := &ctxSource{memSource: memSource{}, start: tt.start}
			h := startCoordinator(t, src, &src.memSource, 1, nil)
			if tt.event != nil {
				h.c.HandleEventFromOperator(0, *tt.event)
			}
			select {
			case err := <-h.done:
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `"numbers"`) {
					t.Fatalf("Run = %v, want %q with the source name", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not fail")
			}
			h.cancel()
			check()
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Split assignments made after an enumerator snapshot wait for the
// checkpoint's trigger (ReleaseEvents): delivered earlier, a reader would
// snapshot a split that the enumerator's snapshot still holds as pending,
// and a restore would read it twice.
func TestCoordinatorHoldsEventsUntilTheTrigger(t *testing.T) {
	ctx := context.Background()
	ms := &memSource{splits: makeSplits(4, 10)}
	h := startCoordinator(t, ms, ms, 1, nil)
	h.send(0, ReaderRegistrationEvent{0, "h"})
	h.send(0, RequestSplitEvent{0, "h"})
	if got := splitsOf(h.out.take(0)); !reflect.DeepEqual(got, []string{"r0"}) {
		t.Fatalf("before any checkpoint: delivered %v, want [r0]", got)
	}
	b, err := h.c.Checkpoint(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := (codec.JSON[enumState]{}).Decode(b); len(st.Remaining) != 3 {
		t.Fatalf("checkpoint 1 holds %v, want r1..r3 pending", st.Remaining)
	}
	h.send(0, RequestSplitEvent{0, "h"})
	if got := h.out.take(0); len(got) != 0 {
		t.Fatalf("an assignment after the snapshot reached the reader before the trigger: %v", splitsOf(got))
	}
	h.c.ReleaseEvents(1)
	h.barrier()
	if got := splitsOf(h.out.take(0)); !reflect.DeepEqual(got, []string{"r1"}) {
		t.Fatalf("after the trigger: delivered %v, want [r1]", got)
	}

	// A release can overtake its snapshot (an abort while the snapshot was
	// queued): the snapshot then holds nothing back.
	h.c.ReleaseEvents(2)
	if _, err := h.c.Checkpoint(ctx, 2); err != nil {
		t.Fatal(err)
	}
	h.send(0, RequestSplitEvent{0, "h"})
	if got := splitsOf(h.out.take(0)); !reflect.DeepEqual(got, []string{"r2"}) {
		t.Fatalf("after a released checkpoint's snapshot: delivered %v, want [r2]", got)
	}

	// Completion releases too, and so does the next snapshot.
	if _, err := h.c.Checkpoint(ctx, 3); err != nil {
		t.Fatal(err)
	}
	h.send(0, RequestSplitEvent{0, "h"})
	if _, err := h.c.Checkpoint(ctx, 4); err != nil {
		t.Fatal(err)
	}
	h.barrier()
	if got := splitsOf(h.out.take(0)); !reflect.DeepEqual(got, []string{"r3"}) {
		t.Fatalf("after the next snapshot: delivered %v, want [r3]", got)
	}
	h.send(0, RequestSplitEvent{0, "h"})
	h.c.NotifyCheckpointComplete(4)
	h.barrier()
	if got := splitsOf(h.out.take(0)); !reflect.DeepEqual(got, []string{"<no more>"}) {
		t.Fatalf("after completion: delivered %v, want [<no more>]", got)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}
