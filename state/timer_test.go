package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
)

// fakePTS is a manual operator.ProcessingTimeService: advance moves the
// clock and runs due, uncancelled callbacks in timestamp order.
type fakePTS struct {
	now           int64
	pending       []*fakeCallback
	registrations int
	cancels       int
}

type fakeCallback struct {
	ts        int64
	fn        func(int64) error
	cancelled bool
}

var _ operator.ProcessingTimeService = (*fakePTS)(nil)

func (f *fakePTS) Now() int64 { return f.now }

func (f *fakePTS) RegisterTimer(ts int64, fn func(int64) error) func() {
	f.registrations++
	cb := &fakeCallback{ts: ts, fn: fn}
	f.pending = append(f.pending, cb)
	return func() {
		if !cb.cancelled {
			cb.cancelled = true
			f.cancels++
		}
	}
}

// live returns the timestamps of uncancelled callbacks.
func (f *fakePTS) live() []int64 {
	var out []int64
	for _, cb := range f.pending {
		if !cb.cancelled {
			out = append(out, cb.ts)
		}
	}
	return out
}

func (f *fakePTS) advance(to int64) error {
	f.now = to
	for {
		sort.SliceStable(f.pending, func(i, j int) bool { return f.pending[i].ts < f.pending[j].ts })
		if len(f.pending) == 0 || f.pending[0].ts > to {
			return nil
		}
		cb := f.pending[0]
		f.pending = f.pending[1:]
		if cb.cancelled {
			continue
		}
		cb.cancelled = true // fired: one-shot
		if err := cb.fn(to); err != nil {
			return err
		}
	}
}

// recorder is a TimerTarget that records fired timers and checks that the
// current key is the timer's key.
type recorder struct {
	t       *testing.T
	b       KeyedBackend
	fired   []string
	onEvent func(Timer) error
	onProc  func(Timer) error
}

func (r *recorder) record(kind string, tm Timer) {
	if r.b.CurrentKey() != tm.Key {
		r.t.Errorf("firing %v: current key is %v", tm, r.b.CurrentKey())
	}
	if ns, ok := tm.Namespace.(win); ok {
		r.fired = append(r.fired, fmt.Sprintf("%s:%v@%d/%d", kind, tm.Key, tm.Timestamp, ns.start))
	} else {
		r.fired = append(r.fired, fmt.Sprintf("%s:%v@%d", kind, tm.Key, tm.Timestamp))
	}
}

func (r *recorder) OnEventTime(tm Timer) error {
	r.record("e", tm)
	if r.onEvent != nil {
		return r.onEvent(tm)
	}
	return nil
}

func (r *recorder) OnProcessingTime(tm Timer) error {
	r.record("p", tm)
	if r.onProc != nil {
		return r.onProc(tm)
	}
	return nil
}

func newTimers(t *testing.T) (*HeapBackend, *fakePTS, *recorder, *TimerService) {
	b := fullBackend(t, nil)
	pts := &fakePTS{now: 0}
	rec := &recorder{t: t, b: b}
	s := NewTimerService(b, pts, rec)
	t.Cleanup(s.Close)
	return b, pts, rec, s
}

type timerOp struct {
	op  string // "reg", "del", "wm"
	key string
	ns  any
	ts  int64
}

func TestEventTimeTimers(t *testing.T) {
	cases := []struct {
		name      string
		ops       []timerOp
		wantFired []string
		wantLeft  int
	}{
		{"fires in timestamp order up to the watermark", []timerOp{
			{"reg", "a", nil, 30}, {"reg", "b", nil, 10}, {"reg", "c", nil, 20}, {"reg", "a", nil, 40},
			{"wm", "", nil, 30},
		}, []string{"e:b@10", "e:c@20", "e:a@30"}, 1},
		{"equal timestamps fire in registration order", []timerOp{
			{"reg", "c", nil, 5}, {"reg", "a", nil, 5}, {"reg", "b", nil, 5},
			{"wm", "", nil, 5},
		}, []string{"e:c@5", "e:a@5", "e:b@5"}, 0},
		{"dedup per key, namespace and timestamp", []timerOp{
			{"reg", "a", nil, 10}, {"reg", "a", nil, 10}, {"reg", "a", w1, 10}, {"reg", "a", w1, 10},
			{"reg", "b", nil, 10}, {"reg", "a", nil, 11},
			{"wm", "", nil, 100},
		}, []string{"e:a@10", "e:a@10/0", "e:b@10", "e:a@11"}, 0},
		{"delete", []timerOp{
			{"reg", "a", nil, 10}, {"reg", "b", nil, 20}, {"reg", "c", nil, 30},
			{"del", "b", nil, 20}, {"del", "a", nil, 99}, {"del", "zz", nil, 10}, {"del", "a", w1, 10},
			{"wm", "", nil, 100},
		}, []string{"e:a@10", "e:c@30"}, 0},
		{"delete then register again", []timerOp{
			{"reg", "a", nil, 10}, {"del", "a", nil, 10}, {"reg", "a", nil, 10},
			{"wm", "", nil, 10},
		}, []string{"e:a@10"}, 0},
		{"timer at or below the watermark fires with the next one", []timerOp{
			{"wm", "", nil, 50}, {"reg", "a", nil, 40}, {"reg", "b", nil, 50},
			{"wm", "", nil, 50},
		}, []string{"e:a@40", "e:b@50"}, 0},
		{"max watermark fires everything", []timerOp{
			{"reg", "a", nil, 1 << 50}, {"reg", "b", nil, -5},
			{"wm", "", nil, eventtime.MaxWatermark},
		}, []string{"e:b@-5", "e:a@1125899906842624"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, _, rec, s := newTimers(t)
			for _, op := range tc.ops {
				switch op.op {
				case "reg":
					b.SetCurrentKey(op.key)
					s.RegisterEventTimeTimer(op.ns, op.ts)
				case "del":
					b.SetCurrentKey(op.key)
					s.DeleteEventTimeTimer(op.ns, op.ts)
				case "wm":
					if err := s.AdvanceWatermark(op.ts); err != nil {
						t.Fatal(err)
					}
					if s.CurrentWatermark() != op.ts {
						t.Fatalf("CurrentWatermark = %d, want %d", s.CurrentWatermark(), op.ts)
					}
				}
			}
			if !slices.Equal(rec.fired, tc.wantFired) {
				t.Fatalf("fired %v, want %v", rec.fired, tc.wantFired)
			}
			if n := s.NumEventTimeTimers(); n != tc.wantLeft {
				t.Fatalf("timers left = %d, want %d", n, tc.wantLeft)
			}
		})
	}
}

func TestEventTimeRegistrationDuringFiring(t *testing.T) {
	b, _, rec, s := newTimers(t)
	if s.CurrentWatermark() != eventtime.MinWatermark {
		t.Fatalf("initial watermark = %d", s.CurrentWatermark())
	}
	rec.onEvent = func(tm Timer) error {
		if s.CurrentWatermark() != 100 {
			t.Errorf("watermark during firing = %d, want 100", s.CurrentWatermark())
		}
		switch tm.Timestamp {
		case 10: // for this key: one due in this call, one later
			s.RegisterEventTimeTimer(nil, 15)
			s.RegisterEventTimeTimer(nil, 150)
		case 15: // for another key, still due
			b.SetCurrentKey("other")
			s.RegisterEventTimeTimer(nil, 100)
			s.DeleteEventTimeTimer(nil, 50) // not registered for "other"
		}
		return nil
	}
	b.SetCurrentKey("a")
	s.RegisterEventTimeTimer(nil, 10)
	s.RegisterEventTimeTimer(nil, 50)
	if err := s.AdvanceWatermark(100); err != nil {
		t.Fatal(err)
	}
	want := []string{"e:a@10", "e:a@15", "e:a@50", "e:other@100"}
	if !slices.Equal(rec.fired, want) || s.NumEventTimeTimers() != 1 {
		t.Fatalf("fired %v with %d left, want %v with 1 left", rec.fired, s.NumEventTimeTimers(), want)
	}
}

func TestEventTimeErrorStops(t *testing.T) {
	b, _, rec, s := newTimers(t)
	boom := errors.New("boom")
	rec.onEvent = func(tm Timer) error {
		if tm.Timestamp == 2 {
			return boom
		}
		return nil
	}
	for i, k := range []string{"a", "b", "c"} {
		b.SetCurrentKey(k)
		s.RegisterEventTimeTimer(nil, int64(i+1))
	}
	if err := s.AdvanceWatermark(10); !errors.Is(err, boom) {
		t.Fatalf("AdvanceWatermark error = %v, want boom", err)
	}
	if !slices.Equal(rec.fired, []string{"e:a@1", "e:b@2"}) || s.NumEventTimeTimers() != 1 {
		t.Fatalf("fired %v, left %d", rec.fired, s.NumEventTimeTimers())
	}
	rec.onEvent = nil
	if err := s.AdvanceWatermark(10); err != nil || rec.fired[len(rec.fired)-1] != "e:c@3" {
		t.Fatalf("the remaining timer must fire next time: %v %v", err, rec.fired)
	}
}

func TestTimersStoredPerKeyGroup(t *testing.T) {
	const maxPar = 128
	r := keygroup.RangeFor(maxPar, 2, 1)
	b := newBackend(t, maxPar, r, nil)
	s := NewTimerService(b, &fakePTS{}, &recorder{t: t, b: b})
	defer s.Close()
	keys := keysIn(20, maxPar, r.Contains)
	for i, k := range keys {
		b.SetCurrentKey(k)
		s.RegisterEventTimeTimer(nil, int64(i))
		s.RegisterProcessingTimeTimer(w1, int64(1000+i))
	}
	for _, q := range []*timerQueue{s.event, s.proc} {
		n := 0
		for g, m := range q.groups {
			for tm := range m {
				n++
				if want := keygroup.Of(tm.Key, maxPar); g+r.Start != want {
					t.Fatalf("timer %v stored in key group %d, want %d", tm, g+r.Start, want)
				}
			}
		}
		if n != len(keys) {
			t.Fatalf("stored %d timers, want %d", n, len(keys))
		}
	}
}

func TestTimerWithoutKeyPanics(t *testing.T) {
	b := fullBackend(t, nil)
	s := NewTimerService(b, &fakePTS{}, &recorder{t: t, b: b})
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "without a current key") {
			t.Fatalf("panic = %q", msg)
		}
	}()
	s.RegisterEventTimeTimer(nil, 1)
}

// TestTimerQueueMatchesModel runs random registrations, deletions and
// firings against a sorted-slice model.
func TestTimerQueueMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b, _, rec, s := newTimers(t)
	type mt struct {
		key string
		ts  int64
	}
	model := map[mt]bool{}
	wm := int64(0)
	for i := range 5000 {
		key := fmt.Sprint("k", rng.IntN(20))
		ts := wm + int64(rng.IntN(50))
		b.SetCurrentKey(key)
		switch r := rng.IntN(10); {
		case r < 5:
			s.RegisterEventTimeTimer(nil, ts)
			model[mt{key, ts}] = true
		case r < 8:
			s.DeleteEventTimeTimer(nil, ts)
			delete(model, mt{key, ts})
		default:
			wm += int64(rng.IntN(20))
			var due []mt
			for m := range model {
				if m.ts <= wm {
					due = append(due, m)
					delete(model, m)
				}
			}
			rec.fired = rec.fired[:0]
			if err := s.AdvanceWatermark(wm); err != nil {
				t.Fatal(err)
			}
			if len(rec.fired) != len(due) {
				t.Fatalf("op %d: fired %d timers, model says %d", i, len(rec.fired), len(due))
			}
			var got []mt
			last := int64(-1 << 62)
			for _, f := range rec.fired {
				var k string
				var ts int64
				if _, err := fmt.Sscanf(strings.Replace(f, "@", " ", 1), "e:%s %d", &k, &ts); err != nil {
					t.Fatal(err)
				}
				if ts < last {
					t.Fatalf("op %d: fired out of order: %v", i, rec.fired)
				}
				last = ts
				got = append(got, mt{k, ts})
			}
			cmp := func(a, b mt) int {
				if a.ts != b.ts {
					return int(a.ts - b.ts)
				}
				return strings.Compare(a.key, b.key)
			}
			slices.SortFunc(got, cmp)
			slices.SortFunc(due, cmp)
			if !slices.Equal(got, due) {
				t.Fatalf("op %d: fired %v, want %v", i, got, due)
			}
		}
		if s.NumEventTimeTimers() != len(model) {
			t.Fatalf("op %d: %d timers, model has %d", i, s.NumEventTimeTimers(), len(model))
		}
	}
}

func TestProcessingTimeTimers(t *testing.T) {
	b, pts, rec, s := newTimers(t)
	pts.now = 10
	if s.CurrentProcessingTime() != 10 {
		t.Fatalf("CurrentProcessingTime = %d", s.CurrentProcessingTime())
	}
	live := func(want ...int64) {
		t.Helper()
		if got := pts.live(); !slices.Equal(got, want) {
			t.Fatalf("registered callbacks %v, want %v", got, want)
		}
	}
	b.SetCurrentKey("a")
	s.RegisterProcessingTimeTimer(nil, 100)
	live(100)
	s.RegisterProcessingTimeTimer(nil, 200) // later: no new callback
	s.RegisterProcessingTimeTimer(nil, 100) // duplicate
	live(100)
	if s.NumProcessingTimeTimers() != 2 {
		t.Fatalf("timers = %d, want 2", s.NumProcessingTimeTimers())
	}
	b.SetCurrentKey("b")
	s.RegisterProcessingTimeTimer(w1, 50) // earlier: re-armed
	live(50)
	if pts.cancels != 1 {
		t.Fatalf("cancels = %d, want 1", pts.cancels)
	}
	if err := pts.advance(60); err != nil {
		t.Fatal(err)
	}
	live(100) // re-armed for the next timer
	if err := pts.advance(150); err != nil {
		t.Fatal(err)
	}
	live(200)
	if want := []string{"p:b@50/0", "p:a@100"}; !slices.Equal(rec.fired, want) {
		t.Fatalf("fired %v, want %v", rec.fired, want)
	}
	b.SetCurrentKey("a")
	s.DeleteProcessingTimeTimer(nil, 200) // the last one: callback cancelled
	live()
	if s.NumProcessingTimeTimers() != 0 {
		t.Fatalf("timers = %d", s.NumProcessingTimeTimers())
	}
	// The clock runs ahead of the callback: everything due fires at once.
	s.RegisterProcessingTimeTimer(nil, 300)
	s.RegisterProcessingTimeTimer(nil, 310)
	s.RegisterProcessingTimeTimer(nil, 400)
	rec.fired = nil
	if err := pts.advance(350); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p:a@300", "p:a@310"}; !slices.Equal(rec.fired, want) {
		t.Fatalf("fired %v, want %v", rec.fired, want)
	}
	live(400)
	s.Close()
	live()
	if err := pts.advance(1000); err != nil || len(rec.fired) != 2 {
		t.Fatalf("after Close nothing fires: %v %v", err, rec.fired)
	}
}

func TestProcessingTimeRegistrationDuringFiring(t *testing.T) {
	b, pts, rec, s := newTimers(t)
	rec.onProc = func(tm Timer) error {
		switch tm.Timestamp {
		case 10:
			s.RegisterProcessingTimeTimer(nil, 15)  // due now: fires in this pass
			s.RegisterProcessingTimeTimer(nil, 500) // later
		case 15:
			s.DeleteProcessingTimeTimer(nil, 500)
			s.RegisterProcessingTimeTimer(nil, 300)
		}
		return nil
	}
	b.SetCurrentKey("a")
	s.RegisterProcessingTimeTimer(nil, 10)
	regs := pts.registrations
	if err := pts.advance(20); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p:a@10", "p:a@15"}; !slices.Equal(rec.fired, want) {
		t.Fatalf("fired %v, want %v", rec.fired, want)
	}
	if got := pts.live(); !slices.Equal(got, []int64{300}) {
		t.Fatalf("callbacks %v, want exactly one at 300", got)
	}
	if pts.registrations != regs+1 {
		t.Fatalf("registered %d callbacks while firing, want 1 (re-arm once after the pass)", pts.registrations-regs)
	}
}

func TestProcessingTimeErrorRearms(t *testing.T) {
	b, pts, rec, s := newTimers(t)
	boom := errors.New("boom")
	rec.onProc = func(tm Timer) error {
		if tm.Timestamp == 10 {
			return boom
		}
		return nil
	}
	b.SetCurrentKey("a")
	s.RegisterProcessingTimeTimer(nil, 10)
	s.RegisterProcessingTimeTimer(nil, 12)
	if err := pts.advance(20); !errors.Is(err, boom) {
		t.Fatalf("error = %v, want boom", err)
	}
	if got := pts.live(); !slices.Equal(got, []int64{12}) {
		t.Fatalf("after an error the callback must be re-armed for the rest: %v", got)
	}
}

func TestStaleProcessingTimeCallbackIgnored(t *testing.T) {
	// A ProcessingTimeService may run a callback that was cancelled after it
	// was queued; it must not fire timers or disturb the armed callback.
	b, pts, rec, s := newTimers(t)
	b.SetCurrentKey("a")
	s.RegisterProcessingTimeTimer(nil, 100)
	stale := pts.pending[0].fn
	s.RegisterProcessingTimeTimer(nil, 50) // cancels the 100 callback
	pts.now = 120
	if err := stale(100); err != nil {
		t.Fatal(err)
	}
	if len(rec.fired) != 0 || !slices.Equal(pts.live(), []int64{50}) {
		t.Fatalf("stale callback fired %v; live callbacks %v", rec.fired, pts.live())
	}
	if err := pts.advance(120); err != nil || len(rec.fired) != 2 {
		t.Fatalf("fired %v, err %v", rec.fired, err)
	}
}
