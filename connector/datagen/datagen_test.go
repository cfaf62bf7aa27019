package datagen

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/config"

	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

// batchSize is what a reader emits per poll with the default configuration
// (execution.batch-size).
var batchSize = config.BatchSize.Default()

func TestRangeSplits(t *testing.T) {
	tests := []struct {
		count int64
		p     int
		want  []Split
	}{
		{0, 3, []Split{}},
		{2, 3, []Split{{ID: "range-0", Next: 0, End: 1, Step: 1}, {ID: "range-1", Next: 1, End: 2, Step: 1}}},
		{10, 3, []Split{{ID: "range-0", Next: 0, End: 4, Step: 1}, {ID: "range-1", Next: 4, End: 7, Step: 1}, {ID: "range-2", Next: 7, End: 10, Step: 1}}},
		{9, 1, []Split{{ID: "range-0", Next: 0, End: 9, Step: 1}}},
		{math.MaxInt64, 2, []Split{{ID: "range-0", Next: 0, End: math.MaxInt64/2 + 1, Step: 1}, {ID: "range-1", Next: math.MaxInt64/2 + 1, End: math.MaxInt64, Step: 1}}},
	}
	for _, tt := range tests {
		got := rangeSplits(tt.count, tt.p)
		if !slices.Equal(got, tt.want) {
			t.Errorf("rangeSplits(%d, %d) = %+v, want %+v", tt.count, tt.p, got, tt.want)
		}
	}
}

// checkRanges asserts that splits cover [0, count) exactly once, in order,
// with sizes differing by at most one.
func checkRanges(t *testing.T, count int64, p int, splits []Split) {
	t.Helper()
	if len(splits) > p {
		t.Fatalf("%d splits for parallelism %d", len(splits), p)
	}
	var next int64
	minSize, maxSize := int64(math.MaxInt64), int64(0)
	ids := map[string]bool{}
	for _, sp := range splits {
		if sp.Next != next || sp.End <= sp.Next || sp.Step != 1 {
			t.Fatalf("count %d p %d: split %+v does not continue at %d", count, p, sp, next)
		}
		if ids[sp.ID] {
			t.Fatalf("duplicate split ID %s", sp.ID)
		}
		ids[sp.ID] = true
		size := sp.End - sp.Next
		minSize, maxSize = min(minSize, size), max(maxSize, size)
		next = sp.End
	}
	if next != count {
		t.Fatalf("count %d p %d: splits end at %d", count, p, next)
	}
	if len(splits) == p && maxSize-minSize > 1 {
		t.Fatalf("count %d p %d: sizes from %d to %d", count, p, minSize, maxSize)
	}
	if int64(len(splits)) != min(count, int64(p)) {
		t.Fatalf("count %d p %d: %d splits", count, p, len(splits))
	}
}

func FuzzRangeSplits(f *testing.F) {
	f.Add(int64(10), 3)
	f.Add(int64(0), 1)
	f.Add(int64(math.MaxInt64), 7)
	f.Add(int64(5), 64)
	f.Fuzz(func(t *testing.T, count int64, p int) {
		if count < 0 || p < 1 || p > 4096 {
			t.Skip()
		}
		checkRanges(t, count, p, rangeSplits(count, p))
	})
}

func FuzzStrideSplits(f *testing.F) {
	f.Add(3, 100)
	f.Add(1, 10)
	f.Fuzz(func(t *testing.T, p, n int) {
		if p < 1 || p > 256 || n < 0 || n > 10000 {
			t.Skip()
		}
		seen := make([]int, n)
		for _, sp := range strideSplits(p) {
			for i := sp.Next; i < int64(n); i += sp.Step {
				seen[i]++
			}
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("p %d: index %d generated %d times", p, i, c)
			}
		}
	})
}

func TestSplitAdvanceStopsBeforeOverflow(t *testing.T) {
	sp := Split{ID: "stride-0", Next: math.MaxInt64 - 1, End: -1, Step: 4}
	if sp.finished() {
		t.Fatal("finished before the last index")
	}
	sp.advance()
	if !sp.finished() || sp.Next != math.MaxInt64-1 {
		t.Fatalf("after overflow guard: %+v finished=%v", sp, sp.finished())
	}
}

func TestEnumeratorBounded(t *testing.T) {
	src := Sequence(1, 10)
	e, ctx := sourcetest.StartEnumerator(t, src, 3)
	if len(ctx.Async) != 0 {
		t.Fatal("a bounded datagen source has no splits to discover, yet registered CallAsync")
	}
	// Subtask 2 asks first and still gets the split meant for it.
	e.HandleSplitRequest(2, "")
	e.HandleSplitRequest(0, "")
	if got := ctx.Assigned[2]; len(got) != 1 || got[0].ID != "range-2" {
		t.Fatalf("subtask 2 got %+v", got)
	}
	if got := ctx.Assigned[0]; len(got) != 1 || got[0].ID != "range-0" {
		t.Fatalf("subtask 0 got %+v", got)
	}
	cp, err := e.SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cp.Remaining) != 1 || cp.Remaining[0].ID != "range-1" {
		t.Fatalf("checkpoint %+v", cp)
	}
	e2, ctx2 := sourcetest.RestoreEnumerator(t, src, cp, 3)
	e2.HandleSplitRequest(0, "")
	e2.HandleSplitRequest(0, "")
	if got := ctx2.Assigned[0]; len(got) != 1 || got[0] != cp.Remaining[0] {
		t.Fatalf("restored enumerator assigned %+v", got)
	}
	if ctx2.NoMore[0] != 1 {
		t.Fatalf("no-more-splits signals: %v", ctx2.NoMore)
	}
	// A failed reader's split goes back and to the same subtask first.
	back := Split{ID: "range-0", Next: 3, End: 4, Step: 1}
	e2.AddSplitsBack([]Split{back}, 1)
	e2.HandleSplitRequest(1, "")
	if got := ctx2.Assigned[1]; len(got) != 1 || got[0] != back {
		t.Fatalf("split added back went to %+v", got)
	}
}

func TestEnumeratorKeepsSplitWhenReaderIsGone(t *testing.T) {
	ctx := sourcetest.NewEnumContext[Split](2)
	e, err := New(10, identity).CreateEnumerator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	delete(ctx.Registered, 1)
	e.HandleSplitRequest(1, "")
	ctx.Registered[1] = source.ReaderInfo{Subtask: 1}
	e.HandleSplitRequest(1, "")
	if got := ctx.Assigned[1]; len(got) != 1 || got[0].ID != "range-1" {
		t.Fatalf("got %+v", got)
	}
}

func TestSplitCodecRoundTrip(t *testing.T) {
	c := Sequence(0, 1).SplitCodec()
	for _, sp := range []Split{{ID: "range-0", Next: 5, End: 9, Step: 1}, {ID: "stride-3", Next: math.MaxInt64 - 3, End: -1, Step: 4}} {
		b, err := c.Encode(sp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(b)
		if err != nil || got != sp {
			t.Fatalf("round trip of %+v: %+v, %v", sp, got, err)
		}
	}
}

func TestConfigurationErrors(t *testing.T) {
	gen := func(i int64) (string, error) { return "", nil }
	tests := []struct {
		name string
		src  interface {
			CreateEnumerator(source.SplitEnumeratorContext[Split]) (source.SplitEnumerator[Split, EnumeratorState], error)
		}
		want string
	}{
		{"empty sequence", Sequence(5, 4), "to must be >= from"},
		{"huge sequence", Sequence(math.MinInt64, math.MaxInt64), "more than"},
		{"zero rate", New(10, gen, WithRateLimit(0)), "rate limit 0"},
		{"NaN rate", New(10, gen, WithRateLimit(math.NaN())), "rate limit NaN"},
		{"infinite rate", New(10, gen, WithRateLimit(math.Inf(1))), "rate limit +Inf"},
		{"nil generator", New[string](10, nil), "generator function is nil"},
		{"timestamps of wrong type", New(10, gen, WithTimestamps(func(int) int64 { return 0 })), "pass a func(string) int64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.src.CreateEnumerator(sourcetest.NewEnumContext[Split](1))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "datagen: ") {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSequenceBounds(t *testing.T) {
	tests := []struct {
		from, to int64
		want     []int64
	}{
		{1, 5, []int64{1, 2, 3, 4, 5}},
		{-2, 1, []int64{-2, -1, 0, 1}},
		{7, 7, []int64{7}},
		{math.MaxInt64 - 1, math.MaxInt64, []int64{math.MaxInt64 - 1, math.MaxInt64}},
		{math.MinInt64, math.MinInt64 + 1, []int64{math.MinInt64, math.MinInt64 + 1}},
	}
	for _, tt := range tests {
		got := runAll(t, Sequence(tt.from, tt.to), 2)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Sequence(%d, %d) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

// runAll drives enumerator and p readers by hand until every reader ends,
// returning all records.
func runAll[T any](t *testing.T, src *Source[T], p int) []T {
	t.Helper()
	ectx := sourcetest.NewEnumContext[Split](p)
	e, err := src.CreateEnumerator(ectx)
	if err != nil {
		t.Fatal(err)
	}
	var all []T
	for st := range p {
		rctx := sourcetest.NewReaderContext(st, p)
		r, err := src.CreateReader(rctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		out := &sourcetest.ReaderOutput[T]{}
		handled := 0
		for range 100000 {
			for ; handled < rctx.Requests(); handled++ {
				e.HandleSplitRequest(st, "")
			}
			for _, sp := range ectx.Assigned[st] {
				r.AddSplits([]Split{sp})
			}
			ectx.Assigned[st] = nil
			if ectx.NoMore[st] > 0 {
				r.NotifyNoMoreSplits()
				ectx.NoMore[st] = 0
			}
			status, err := r.PollNext(out)
			if err != nil {
				t.Fatal(err)
			}
			if status == source.EndOfInput {
				break
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Values()...)
	}
	return all
}

func TestReaderEmitsEveryIndexOnce(t *testing.T) {
	for _, p := range []int{1, 2, 3, 5} {
		for _, count := range []int64{0, 1, 4, 1023, 1024, 1025, 5000} {
			got := runAll(t, New(count, func(i int64) (int64, error) { return i * 10, nil }), p)
			slices.Sort(got)
			want := make([]int64, count)
			for i := range want {
				want[i] = int64(i) * 10
			}
			if !slices.Equal(got, want) {
				t.Fatalf("p %d count %d: got %d records, want %d", p, count, len(got), count)
			}
		}
	}
}

func TestReaderBatchesAndSnapshot(t *testing.T) {
	src := New(3000, identity)
	rctx := sourcetest.NewReaderContext(0, 1)
	r, err := src.CreateReader(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if rctx.Requests() != 1 {
		t.Fatalf("Start sent %d split requests, want 1", rctx.Requests())
	}
	out := &sourcetest.ReaderOutput[int64]{}
	if st, _ := r.PollNext(out); st != source.NothingAvailable {
		t.Fatalf("status without splits: %v", st)
	}
	select {
	case <-r.IsAvailable():
		t.Fatal("available without splits")
	default:
	}
	r.AddSplits([]Split{{ID: "a", Next: 0, End: 1500, Step: 1}, {ID: "b", Next: 1500, End: 3000, Step: 1}})
	select {
	case <-r.IsAvailable():
	default:
		t.Fatal("AddSplits did not signal availability")
	}
	st, err := r.PollNext(out)
	if err != nil || st != source.MoreAvailable || len(out.Records) != batchSize {
		t.Fatalf("first poll: %v %v, %d records", st, err, len(out.Records))
	}
	snap, err := r.SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Split{{ID: "a", Next: 1024, End: 1500, Step: 1}, {ID: "b", Next: 1500, End: 3000, Step: 1}}
	if !slices.Equal(snap, want) {
		t.Fatalf("snapshot %+v, want %+v", snap, want)
	}
	// The second batch finishes split a and continues with b.
	if _, err := r.PollNext(out); err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 2*batchSize || !slices.Equal(out.Released, []string{"a"}) {
		t.Fatalf("after second poll: %d records, released %v", len(out.Records), out.Released)
	}
	if out.Records[1499].Split != "a" || out.Records[1500].Split != "b" {
		t.Fatal("records not attributed to their splits")
	}
	if rctx.Requests() != 1 {
		t.Fatal("requested a split while one was left")
	}

	// A reader restored from the snapshot continues exactly where it was.
	r2, _ := src.CreateReader(sourcetest.NewReaderContext(0, 1))
	r2.AddSplits(snap)
	out2 := &sourcetest.ReaderOutput[int64]{}
	for {
		st, err := r2.PollNext(out2)
		if err != nil {
			t.Fatal(err)
		}
		if st != source.MoreAvailable {
			break
		}
	}
	got := append(out.Values()[:1024], out2.Values()...)
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("after restore record %d is %d", i, v)
		}
	}
	if len(got) != 3000 {
		t.Fatalf("%d records", len(got))
	}
}

func TestReaderEndOfInput(t *testing.T) {
	r, _ := New(3, identity).CreateReader(sourcetest.NewReaderContext(0, 1))
	out := &sourcetest.ReaderOutput[int64]{}
	r.AddSplits([]Split{{ID: "x", Next: 0, End: 3, Step: 1}})
	r.NotifyNoMoreSplits()
	statuses := []source.InputStatus{}
	for range 3 {
		st, err := r.PollNext(out)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, st)
	}
	want := []source.InputStatus{source.MoreAvailable, source.EndOfInput, source.EndOfInput}
	if !slices.Equal(statuses, want) || len(out.Records) != 3 {
		t.Fatalf("statuses %v, %d records", statuses, len(out.Records))
	}
}

func TestGeneratorErrorNamesIndex(t *testing.T) {
	boom := errors.New("boom")
	r, _ := New(10, func(i int64) (int64, error) {
		if i == 7 {
			return 0, boom
		}
		return i, nil
	}).CreateReader(sourcetest.NewReaderContext(0, 1))
	r.AddSplits([]Split{{ID: "range-0", Next: 0, End: 10, Step: 1}})
	_, err := r.PollNext(&sourcetest.ReaderOutput[int64]{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "index 7") {
		t.Fatalf("error %v", err)
	}
}

func TestTimestamps(t *testing.T) {
	src := New(5, identity, WithTimestamps(func(v int64) int64 { return 1000 + v }))
	r, _ := src.CreateReader(sourcetest.NewReaderContext(0, 1))
	r.AddSplits([]Split{{ID: "s", Next: 0, End: 5, Step: 1}})
	out := &sourcetest.ReaderOutput[int64]{}
	if _, err := r.PollNext(out); err != nil {
		t.Fatal(err)
	}
	for _, rec := range out.Records {
		if !rec.HasTS || rec.TS != 1000+rec.Value {
			t.Fatalf("record %+v", rec)
		}
	}
	// Without the option records carry no timestamp.
	r2, _ := New(1, identity).CreateReader(sourcetest.NewReaderContext(0, 1))
	r2.AddSplits([]Split{{ID: "s", Next: 0, End: 1, Step: 1}})
	out2 := &sourcetest.ReaderOutput[int64]{}
	if _, err := r2.PollNext(out2); err != nil || len(out2.Records) != 1 || out2.Records[0].HasTS {
		t.Fatalf("records %+v, %v", out2.Records, err)
	}
}

func TestUnboundedStrides(t *testing.T) {
	const p = 3
	src := New(Unbounded, identity)
	if src.Boundedness() != source.ContinuousUnbounded {
		t.Fatal("count < 0 must be unbounded")
	}
	ectx := sourcetest.NewEnumContext[Split](p)
	e, err := src.CreateEnumerator(ectx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int64]int{}
	for st := range p {
		e.HandleSplitRequest(st, "")
		r, _ := src.CreateReader(sourcetest.NewReaderContext(st, p))
		r.AddSplits(ectx.Assigned[st])
		r.NotifyNoMoreSplits()
		out := &sourcetest.ReaderOutput[int64]{}
		for range 4 {
			if st, err := r.PollNext(out); err != nil || st != source.MoreAvailable {
				t.Fatalf("poll: %v %v", st, err)
			}
		}
		if len(out.Records) != 4*batchSize {
			t.Fatalf("subtask %d: %d records", st, len(out.Records))
		}
		if out.Records[0].Value != int64(st) {
			t.Fatalf("subtask %d starts at %d", st, out.Records[0].Value)
		}
		for _, rec := range out.Records {
			counts[rec.Value]++
		}
	}
	if len(ectx.Async) != 0 {
		t.Fatal("an unbounded datagen source has no splits to discover, yet registered CallAsync")
	}
	for i := range int64(p * 4 * batchSize) {
		if counts[i] != 1 {
			t.Fatalf("index %d generated %d times", i, counts[i])
		}
	}
}

func TestRateLimit(t *testing.T) {
	// 100 records/s over 2 subtasks: 50/s for this reader.
	src := New(Unbounded, identity, WithRateLimit(100))
	rctx := sourcetest.NewReaderContext(0, 2)
	rctx.Clock.Set(1_000_000)
	r, err := src.CreateReader(rctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.AddSplits([]Split{{ID: "stride-0", Next: 0, End: -1, Step: 2}})
	out := &sourcetest.ReaderOutput[int64]{}
	poll := func() source.InputStatus {
		t.Helper()
		st, err := r.PollNext(out)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// The first record is due at once, the next one 20 ms later.
	if st := poll(); st != source.MoreAvailable || len(out.Records) != 1 {
		t.Fatalf("first poll: %v, %d records", st, len(out.Records))
	}
	if st := poll(); st != source.NothingAvailable || len(out.Records) != 1 {
		t.Fatalf("throttled poll: %v, %d records", st, len(out.Records))
	}
	ch := r.IsAvailable()
	select {
	case <-ch:
		t.Fatal("available while throttled: the caller would spin")
	default:
	}
	start := time.Now()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the timer did not fire availability")
	}
	if waited := time.Since(start); waited < 10*time.Millisecond {
		t.Fatalf("woke after %v, want about 20ms", waited)
	}
	// The fake clock has not moved, so there is still nothing to emit.
	if st := poll(); st != source.NothingAvailable {
		t.Fatalf("poll without time passing: %v", st)
	}
	// 10 s later the credit is capped at one second's worth.
	rctx.Clock.Add(10_000)
	if st := poll(); st != source.MoreAvailable || len(out.Records) != 51 {
		t.Fatalf("after 10s: %v, %d records", st, len(out.Records))
	}
	rctx.Clock.Add(100)
	if st := poll(); st != source.MoreAvailable || len(out.Records) != 56 {
		t.Fatalf("after 100ms more: %v, %d records", st, len(out.Records))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimitHighRateBatches(t *testing.T) {
	src := New(Unbounded, identity, WithRateLimit(1e9))
	rctx := sourcetest.NewReaderContext(0, 1)
	r, _ := src.CreateReader(rctx)
	defer r.Close()
	r.AddSplits([]Split{{ID: "stride-0", Next: 0, End: -1, Step: 1}})
	out := &sourcetest.ReaderOutput[int64]{}
	rctx.Clock.Add(1000)
	if _, err := r.PollNext(out); err != nil || len(out.Records) != batchSize {
		t.Fatalf("%d records, %v", len(out.Records), err)
	}
}
