package source

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/eventtime"
)

// scriptReader is a SourceReader whose PollNext runs the next scripted step.
type scriptReader struct {
	ctx            ReaderContext
	steps          []func(out ReaderOutput[int64]) InputStatus
	splits         []rangeSplit
	splitsAtStart  int
	noMore         bool
	events         []SourceEvent
	completed      []int64
	started, close int
	avail          chan struct{}
}

func (r *scriptReader) Start() error {
	r.started++
	r.splitsAtStart = len(r.splits)
	r.ctx.SendSplitRequest()
	return nil
}

func (r *scriptReader) PollNext(out ReaderOutput[int64]) (InputStatus, error) {
	if len(r.steps) == 0 {
		return NothingAvailable, nil
	}
	step := r.steps[0]
	r.steps = r.steps[1:]
	return step(out), nil
}

func (r *scriptReader) IsAvailable() <-chan struct{}     { return r.avail }
func (r *scriptReader) AddSplits(s []rangeSplit)         { r.splits = append(r.splits, s...) }
func (r *scriptReader) NotifyNoMoreSplits()              { r.noMore = true }
func (r *scriptReader) HandleSourceEvent(ev SourceEvent) { r.events = append(r.events, ev) }
func (r *scriptReader) SnapshotState(int64) ([]rangeSplit, error) {
	return r.splits, nil
}
func (r *scriptReader) NotifyCheckpointComplete(id int64) error {
	r.completed = append(r.completed, id)
	return nil
}
func (r *scriptReader) Close() error { r.close++; return nil }

// scriptSource hands out one scriptReader; its enumerator side is unused.
type scriptSource struct{ r *scriptReader }

func (s *scriptSource) Boundedness() Boundedness { return Bounded }
func (s *scriptSource) CreateEnumerator(SplitEnumeratorContext[rangeSplit]) (SplitEnumerator[rangeSplit, enumState], error) {
	return nil, errors.New("unused")
}
func (s *scriptSource) RestoreEnumerator(SplitEnumeratorContext[rangeSplit], enumState) (SplitEnumerator[rangeSplit, enumState], error) {
	return nil, errors.New("unused")
}
func (s *scriptSource) CreateReader(ctx ReaderContext) (SourceReader[int64, rangeSplit], error) {
	s.r.ctx = ctx
	return s.r, nil
}
func (s *scriptSource) SplitCodec() codec.Codec[rangeSplit]     { return codec.JSON[rangeSplit]{} }
func (s *scriptSource) CheckpointCodec() codec.Codec[enumState] { return codec.JSON[enumState]{} }

type opHarness struct {
	t   *testing.T
	op  *Operator[int64]
	r   *scriptReader
	out *fakeOutput
	pt  *fakeTime
	gw  *sentEvents
	ctx *fakeContext
}

func newHarness(t *testing.T, strategy eventtime.WatermarkStrategy[int64], interval string) *opHarness {
	t.Helper()
	h := &opHarness{t: t, r: &scriptReader{avail: make(chan struct{})}, out: &fakeOutput{}, pt: newFakeTime(0), gw: &sentEvents{}}
	h.op = NewOperator[int64, rangeSplit, enumState](&scriptSource{r: h.r}, strategy, h.gw)
	h.op.SetOutput(h.out)
	h.ctx = &fakeContext{subtask: 1, parallelism: 2, cfg: testConfig(t, "pipeline.auto-watermark-interval", interval), pt: h.pt}
	return h
}

func (h *opHarness) open() *opHarness {
	h.t.Helper()
	if err := h.op.Open(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return h
}

// poll runs fn as the reader's next PollNext through EmitNext.
func (h *opHarness) poll(fn func(out ReaderOutput[int64]) InputStatus) InputStatus {
	h.t.Helper()
	h.r.steps = append(h.r.steps, fn)
	st, err := h.op.EmitNext()
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// step is one action of a watermark scenario.
type step struct {
	at   int64                         // advance processing time to at first (fires timers)
	poll func(out ReaderOutput[int64]) // then poll once with this
	end  bool                          // or report EndOfInput
	do   func(h *opHarness)            // or run this
}

func split(id string, ts ...int64) func(out ReaderOutput[int64]) {
	return func(out ReaderOutput[int64]) {
		o := out.CreateOutputForSplit(id)
		for _, t := range ts {
			o.CollectWithTimestamp(t, t)
		}
	}
}

func TestOperatorWatermarks(t *testing.T) {
	monotonous := eventtime.ForMonotonousTimestamps[int64]()
	tests := []struct {
		name     string
		strategy eventtime.WatermarkStrategy[int64]
		steps    []step
		want     []outEvent // watermarks and status only
	}{
		{
			name:     "minimum across splits",
			strategy: monotonous,
			steps: []step{
				{poll: func(out ReaderOutput[int64]) { split("a", 100)(out); split("b", 50)(out) }},
				{at: 100},
				{poll: func(out ReaderOutput[int64]) { split("a", 150)(out); split("b", 200)(out) }},
				{at: 200},
			},
			want: []outEvent{wm(49), wm(149)},
		},
		{
			name:     "released split stops holding back",
			strategy: monotonous,
			steps: []step{
				{poll: func(out ReaderOutput[int64]) { split("a", 100)(out); split("b", 10)(out) }},
				{at: 100},
				{poll: func(out ReaderOutput[int64]) { out.ReleaseOutputForSplit("b") }},
				{at: 200},
			},
			want: []outEvent{wm(9), wm(99)},
		},
		{
			name:     "idle split is skipped, all idle marks the output idle",
			strategy: monotonous.WithIdleness(time.Second),
			steps: []step{
				{poll: func(out ReaderOutput[int64]) { split("a", 100)(out); split("b", 50)(out) }},
				{at: 100},
				{at: 500, poll: split("a", 600)},
				{at: 1000}, // b saw nothing for 1 s
				{at: 1500}, // nor did a
				{poll: split("b", 700)},
				{at: 1600},
			},
			want: []outEvent{wm(49), wm(599), idleEv(true), idleEv(false), wm(699)},
		},
		{
			name:     "a reader without splits goes idle after the idle timeout",
			strategy: monotonous.WithIdleness(time.Second),
			steps: []step{
				{at: 500},
				{at: 1000},
				{poll: split("a", 5)},
				{at: 1100},
				{poll: func(out ReaderOutput[int64]) { out.ReleaseOutputForSplit("a") }},
				{at: 2000}, // empty again for 900 ms only
				{at: 2100},
			},
			want: []outEvent{idleEv(true), idleEv(false), wm(4), idleEv(true)},
		},
		{
			name:     "without an idle timeout an empty reader stays active",
			strategy: monotonous,
			steps:    []step{{at: 10000}},
			want:     nil,
		},
		{
			name:     "reader-wide output counts only once used",
			strategy: monotonous,
			steps: []step{
				{poll: split("a", 100)},
				{at: 100},
				{poll: func(out ReaderOutput[int64]) { out.CollectWithTimestamp(50, 50) }},
				{at: 200},
				{poll: split("a", 300)},
				{at: 300},
				{poll: func(out ReaderOutput[int64]) { out.CollectWithTimestamp(400, 400) }},
				{at: 400},
			},
			want: []outEvent{wm(99), wm(299)},
		},
		{
			name:     "explicit split watermarks are combined immediately",
			strategy: eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[int64] { return nopGenerator{} }),
			steps: []step{
				{poll: func(out ReaderOutput[int64]) {
					a, b := out.CreateOutputForSplit("a"), out.CreateOutputForSplit("b")
					a.EmitWatermark(70)
					b.EmitWatermark(30)
					a.EmitWatermark(80)
					b.EmitWatermark(90)
				}},
			},
			want: []outEvent{wm(30), wm(80)},
		},
		{
			name:     "no generator: only the final watermark",
			strategy: eventtime.NoWatermarks[int64](),
			steps: []step{
				{poll: func(out ReaderOutput[int64]) {
					a := out.CreateOutputForSplit("a")
					a.CollectWithTimestamp(5, 5)
					a.EmitWatermark(100)
					a.MarkIdle()
					out.EmitWatermark(200)
				}},
				{at: 1000},
				{end: true},
			},
			want: []outEvent{maxWm()},
		},
		{
			name:     "end of input while idle reactivates before MaxWatermark",
			strategy: monotonous,
			steps: []step{
				{poll: func(out ReaderOutput[int64]) { out.CreateOutputForSplit("a").MarkIdle() }},
				{end: true},
				{do: func(h *opHarness) {
					if st, err := h.op.EmitNext(); st != EndOfInput || err != nil {
						h.t.Fatalf("EmitNext after end = %v, %v", st, err)
					}
					if err := h.op.Finish(); err != nil {
						h.t.Fatal(err)
					}
				}},
			},
			want: []outEvent{idleEv(true), idleEv(false), maxWm()},
		},
		{
			name:     "finish without end of input ends event time once",
			strategy: monotonous,
			steps: []step{
				{poll: split("a", 10)},
				{at: 100},
				{do: func(h *opHarness) {
					for range 2 {
						if err := h.op.Finish(); err != nil {
							h.t.Fatal(err)
						}
					}
				}},
				{at: 500}, // periodic emission stopped
			},
			want: []outEvent{wm(9), maxWm()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.strategy, "100 ms").open()
			for _, s := range tt.steps {
				if s.at > 0 {
					if err := h.pt.advance(s.at); err != nil {
						t.Fatal(err)
					}
				}
				switch {
				case s.poll != nil:
					h.poll(func(out ReaderOutput[int64]) InputStatus { s.poll(out); return MoreAvailable })
				case s.end:
					if st := h.poll(func(ReaderOutput[int64]) InputStatus { return EndOfInput }); st != EndOfInput {
						t.Fatalf("status %v", st)
					}
				case s.do != nil:
					s.do(h)
				}
			}
			if got := h.out.marks(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("watermarks = %v, want %v", got, tt.want)
			}
			if err := h.op.Close(); err != nil {
				t.Fatal(err)
			}
			if len(h.pt.timers) != 0 {
				t.Errorf("%d timers left after Close", len(h.pt.timers))
			}
		})
	}
}

type nopGenerator struct{}

func (nopGenerator) OnEvent(int64, int64, eventtime.WatermarkOutput) {}
func (nopGenerator) OnPeriodicEmit(eventtime.WatermarkOutput)        {}

func TestOperatorTimestamps(t *testing.T) {
	times10 := func(v, _ int64) int64 { return v * 10 }
	tests := []struct {
		name     string
		strategy eventtime.WatermarkStrategy[int64]
		want     []outEvent
	}{
		{"assigner", eventtime.NoWatermarks[int64]().WithTimestampAssigner(times10),
			[]outEvent{rec(1, 10), rec(2, 20), rec(3, 30), rec(4, 40)}},
		{"source timestamps", eventtime.NoWatermarks[int64](),
			[]outEvent{recNoTs(1), rec(2, 7), recNoTs(3), rec(4, 9)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.strategy, "0").open()
			h.poll(func(out ReaderOutput[int64]) InputStatus {
				out.Collect(1)
				out.CollectWithTimestamp(2, 7)
				a := out.CreateOutputForSplit("a")
				a.Collect(3)
				a.CollectWithTimestamp(4, 9)
				return MoreAvailable
			})
			if got := h.out.records(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("records = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOperatorPunctuatedGeneratorSeesAssignedTimestamp(t *testing.T) {
	var seen []int64
	strategy := eventtime.ForGenerator(func(eventtime.GeneratorContext) eventtime.WatermarkGenerator[int64] {
		return punctuated{seen: &seen}
	}).WithTimestampAssigner(func(v, _ int64) int64 { return v + 1000 })
	h := newHarness(t, strategy, "0").open()
	h.poll(func(out ReaderOutput[int64]) InputStatus {
		out.CreateOutputForSplit("a").Collect(5)
		return MoreAvailable
	})
	if !reflect.DeepEqual(seen, []int64{1005}) {
		t.Fatalf("generator saw %v", seen)
	}
	// The record goes out before the watermark it triggers, as in Flink.
	if got, want := h.out.snapshot(), []outEvent{rec(5, 1005), wm(1005)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("output = %v, want %v", got, want)
	}
	if len(h.pt.timers) != 0 {
		t.Fatalf("interval 0 registered %d timers", len(h.pt.timers))
	}
}

type punctuated struct{ seen *[]int64 }

func (p punctuated) OnEvent(_ int64, ts int64, out eventtime.WatermarkOutput) {
	*p.seen = append(*p.seen, ts)
	out.EmitWatermark(ts)
}
func (punctuated) OnPeriodicEmit(eventtime.WatermarkOutput) {}

func TestOperatorOpenRegistersBeforeStart(t *testing.T) {
	h := newHarness(t, eventtime.NoWatermarks[int64](), "0").open()
	got := h.gw.snapshot()
	if len(got) != 2 {
		t.Fatalf("sent %v", got)
	}
	reg, ok := got[0].(ReaderRegistrationEvent)
	if !ok || reg.Subtask != 1 || reg.Location == "" {
		t.Fatalf("first event %#v, want a registration of subtask 1", got[0])
	}
	if req, ok := got[1].(RequestSplitEvent); !ok || req.Subtask != 1 {
		t.Fatalf("second event %#v, want the reader's split request", got[1])
	}
	h.r.ctx.SendSourceEventToCoordinator("hello")
	if last := h.gw.snapshot()[2]; !reflect.DeepEqual(last, SourceEventWrapper{Event: "hello"}) {
		t.Fatalf("source event sent as %#v", last)
	}
	if h.r.ctx.Now() != h.pt.Now() || h.r.ctx.SubtaskIndex() != 1 || h.r.ctx.Parallelism() != 2 || h.r.ctx.Config() != h.ctx.cfg {
		t.Fatal("reader context does not reflect the operator context")
	}
}

func TestOperatorHandleOperatorEvent(t *testing.T) {
	h := newHarness(t, eventtime.NoWatermarks[int64](), "0")
	if err := h.op.HandleOperatorEvent(NoMoreSplitsEvent{}); err == nil {
		t.Fatal("event before Open accepted")
	}
	h.open()
	tests := []struct {
		name    string
		ev      OperatorEvent
		wantErr string
	}{
		{"add splits", AddSplitsEvent{Splits: []any{rangeSplit{ID: "a", End: 3}, rangeSplit{ID: "b", End: 4}}}, ""},
		{"wrong split type", AddSplitsEvent{Splits: []any{rangeSplit{ID: "c"}, "not a split"}}, "split 1 of an AddSplitsEvent is a string"},
		{"no more splits", NoMoreSplitsEvent{}, ""},
		{"source event", SourceEventWrapper{Event: 42}, ""},
		{"unknown", RequestSplitEvent{}, "unexpected operator event"},
	}
	for _, tt := range tests {
		err := h.op.HandleOperatorEvent(tt.ev)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	if want := []rangeSplit{{ID: "a", End: 3}, {ID: "b", End: 4}}; !reflect.DeepEqual(h.r.splits, want) {
		t.Errorf("reader splits = %v, want %v (a bad event must add nothing)", h.r.splits, want)
	}
	if !h.r.noMore || !reflect.DeepEqual(h.r.events, []SourceEvent{42}) {
		t.Errorf("noMore=%v events=%v", h.r.noMore, h.r.events)
	}
}

func TestOperatorSnapshotRestore(t *testing.T) {
	h := newHarness(t, eventtime.NoWatermarks[int64](), "0").open()
	h.r.splits = []rangeSplit{{ID: "a", Next: 5, End: 9}, {ID: "b", Next: 1, End: 2}}
	states, err := h.op.SnapshotSplits(7)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.op.NotifyCheckpointComplete(7); err != nil || !reflect.DeepEqual(h.r.completed, []int64{7}) {
		t.Fatalf("checkpoint complete: %v, reader saw %v", err, h.r.completed)
	}

	h2 := newHarness(t, eventtime.NoWatermarks[int64](), "0")
	if err := h2.op.RestoreState(states); err != nil {
		t.Fatal(err)
	}
	h2.open()
	if !reflect.DeepEqual(h2.r.splits, h.r.splits) {
		t.Fatalf("restored splits %v, want %v", h2.r.splits, h.r.splits)
	}
	if h2.r.splitsAtStart != 2 {
		t.Fatalf("reader started with %d splits, want the restored 2", h2.r.splitsAtStart)
	}
	if err := h2.op.RestoreState(states); err == nil {
		t.Fatal("RestoreState after Open accepted")
	}

	h3 := newHarness(t, eventtime.NoWatermarks[int64](), "0")
	if err := h3.op.RestoreState([][]byte{[]byte("{garbage")}); err != nil {
		t.Fatal(err)
	}
	if err := h3.op.Open(h3.ctx); err == nil || !strings.Contains(err.Error(), "decode restored split 0") {
		t.Fatalf("Open with a corrupt split: %v", err)
	}
}

func TestOperatorLifecycleErrors(t *testing.T) {
	h := newHarness(t, eventtime.NoWatermarks[int64](), "0")
	if _, err := h.op.EmitNext(); err == nil {
		t.Error("EmitNext before Open accepted")
	}
	h.op.SetOutput("not an output")
	if err := h.op.Open(h.ctx); err == nil || !strings.Contains(err.Error(), "operator.Output[int64]") {
		t.Errorf("Open with a bad output: %v", err)
	}
	if err := h.op.Close(); err != nil {
		t.Errorf("Close without Open: %v", err)
	}
	if h.op.ProcessWatermark(1) == nil || h.op.ProcessWatermarkStatus(true) == nil {
		t.Error("a source accepted input watermarks")
	}

	h = newHarness(t, eventtime.ForMonotonousTimestamps[int64](), "100 ms").open()
	if len(h.pt.timers) != 1 {
		t.Fatalf("%d periodic timers, want 1", len(h.pt.timers))
	}
	if err := h.pt.advance(1000); err != nil {
		t.Fatal(err)
	}
	if len(h.pt.timers) != 1 {
		t.Fatalf("periodic timer did not re-register: %d timers", len(h.pt.timers))
	}
	for range 2 {
		if err := h.op.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if h.r.close != 1 || len(h.pt.timers) != 0 {
		t.Fatalf("reader closed %d times, %d timers left", h.r.close, len(h.pt.timers))
	}
	if h.op.Available() != h.r.avail {
		t.Fatal("Available is not the reader's channel")
	}
}

// FuzzOperatorRestore feeds arbitrary bytes as a restored split: Open must
// either reject them with an error or restore exactly what the codec
// decodes, and never panic.
func FuzzOperatorRestore(f *testing.F) {
	f.Add([]byte(`{"ID":"a","Next":1,"End":5}`))
	f.Add([]byte(`{"ID":`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h := newHarness(t, eventtime.NoWatermarks[int64](), "0")
		if err := h.op.RestoreState([][]byte{b}); err != nil {
			t.Fatal(err)
		}
		want, decErr := codec.JSON[rangeSplit]{}.Decode(b)
		err := h.op.Open(h.ctx)
		if (err != nil) != (decErr != nil) {
			t.Fatalf("Open = %v, decode = %v", err, decErr)
		}
		if err == nil && (len(h.r.splits) != 1 || h.r.splits[0] != want) {
			t.Fatalf("restored %v, want %v", h.r.splits, want)
		}
	})
}
