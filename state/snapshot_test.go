package state

import (
	"bytes"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

var fullRange = keygroup.Range{Start: 0, End: fxMaxPar - 1}

// diffDumps reports the first differences between two dumps.
func diffDumps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok || g != want[k] {
			diffs = append(diffs, k+": got "+g+", want "+want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k+": unexpected "+got[k])
		}
	}
	if len(diffs) > 10 {
		diffs = diffs[:10]
	}
	t.Fatalf("%s: %d entries, want %d; first differences:\n%s", what, len(got), len(want), strings.Join(diffs, "\n"))
}

func TestSnapshotRoundTrip(t *testing.T) {
	keys := fxKeys(200)
	src := newFx(t, fullRange, 1000).open()
	src.populate(keys)
	data := snapshotAll(t, src.b)

	dst := newFx(t, fullRange, src.clk.now)
	restoreFrom(t, dst.b, data)
	dst.open()
	if u := dst.b.UnclaimedStates(); len(u) != 0 {
		t.Fatalf("UnclaimedStates = %v after registering every state", u)
	}
	// A snapshot of the restored backend writes the same bytes (before
	// reads refresh TTLs).
	again := snapshotAll(t, dst.b)
	for kg, b := range data {
		if !bytes.Equal(again[kg], b) {
			t.Fatalf("key group %d: the restored backend's snapshot differs from the original's", kg)
		}
	}
	want := src.dump(keys)
	for _, k := range []string{"k001/valTTL", "k001/listRW", "k001/listTTL", "k001/mapTTL", "k000/tally", "timer/event/k000/{0 10}/100"} {
		if _, ok := want[k]; !ok {
			t.Fatalf("fixture lacks %s; dump: %v", k, want)
		}
	}
	if _, ok := want["k000/valTTL"]; ok {
		t.Fatal("k000's TTL value should have expired before the snapshot")
	}
	diffDumps(t, "restored", dst.dump(keys), want)

	// Restored timers fire like the original ones (equal timestamps may
	// fire in another order).
	for _, f := range []*fx{src, dst} {
		if err := f.timers.AdvanceWatermark(150); err != nil {
			t.Fatal(err)
		}
		if err := f.pts.advance(6000); err != nil {
			t.Fatal(err)
		}
		slices.Sort(f.rec.fired)
	}
	if len(src.rec.fired) == 0 || !slices.Equal(src.rec.fired, dst.rec.fired) {
		t.Fatalf("fired after restore %v, original %v", dst.rec.fired, src.rec.fired)
	}
}

func TestSnapshotRescale(t *testing.T) {
	keys := fxKeys(300)
	src := newFx(t, fullRange, 1000).open()
	src.populate(keys)
	want := src.dump(keys)
	data := snapshotAll(t, src.b)

	for _, par := range []int{2, 3} {
		// Split: each new subtask reads its key groups only.
		got := map[string]string{}
		merged := map[int][]byte{}
		for i := range par {
			f := newFx(t, keygroup.RangeFor(fxMaxPar, par, i), src.clk.now)
			restoreFrom(t, f.b, data)
			f.open()
			maps.Copy(got, f.dump(keys))
			maps.Copy(merged, snapshotAll(t, f.b))
		}
		diffDumps(t, "split restore", got, want)

		// Merge the split snapshots back into one subtask.
		one := newFx(t, fullRange, src.clk.now)
		restoreFrom(t, one.b, merged)
		one.open()
		diffDumps(t, "merged restore", one.dump(keys), want)
	}
}

// checkFrozen writes s and compares with want, the bytes it wrote when it
// was taken.
func checkFrozen(t *testing.T, what string, s interface {
	WriteKeyGroup(int, *snapshot.Encoder) error
}, want map[int][]byte) {
	t.Helper()
	for kg, w := range want {
		var e snapshot.Encoder
		if err := s.WriteKeyGroup(kg, &e); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Data(), w) {
			t.Fatalf("%s: key group %d changed after the snapshot (%d bytes, were %d)", what, kg, e.Len(), len(w))
		}
	}
}

func TestSnapshotCopyOnWrite(t *testing.T) {
	keys := fxKeys(150)
	f := newFx(t, fullRange, 1000).open()
	f.populate(keys)
	rng := rand.New(rand.NewPCG(1, 2))
	type taken struct {
		s    interface{ Release() }
		w    func(int, *snapshot.Encoder) error
		want map[int][]byte
	}
	var live []taken
	for round := range 6 {
		s, err := f.b.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		// Nothing changed since Snapshot: these are the bytes it must keep.
		live = append(live, taken{s: s, w: s.WriteKeyGroup, want: writeAll(t, s)})
		for range 2000 {
			f.mutate(rng, keys)
		}
		for i, l := range live {
			checkFrozen(t, "snapshot "+string(rune('A'+i)), writerFunc(l.w), l.want)
		}
		if round%2 == 1 { // release the oldest; later writes may go in place
			live[0].s.Release()
			live = live[1:]
		}
	}
	for _, l := range live {
		l.s.Release()
	}
}

type writerFunc func(int, *snapshot.Encoder) error

func (w writerFunc) WriteKeyGroup(kg int, e *snapshot.Encoder) error { return w(kg, e) }

// TestSnapshotConcurrentWrite writes a snapshot on another goroutine while
// the subtask goroutine changes every kind of state; run with -race.
func TestSnapshotConcurrentWrite(t *testing.T) {
	keys := fxKeys(150)
	f := newFx(t, fullRange, 1000).open()
	f.populate(keys)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3 {
		s, err := f.b.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		want := writeAll(t, s)
		var wg sync.WaitGroup
		errc := make(chan error, 1)
		wg.Go(func() {
			defer s.Release()
			for range 3 {
				for kg, w := range want {
					var e snapshot.Encoder
					if err := s.WriteKeyGroup(kg, &e); err != nil {
						errc <- err
						return
					}
					if !bytes.Equal(e.Data(), w) {
						errc <- errors.New("a key group changed while it was written")
						return
					}
				}
			}
		})
		for range 3000 {
			f.mutate(rng, keys)
		}
		wg.Wait()
		select {
		case err := <-errc:
			t.Fatal(err)
		default:
		}
	}
}

// TestSnapshotDoesNotChangeState runs the same operations on two backends,
// one snapshotting along the way, and compares what they hold.
func TestSnapshotDoesNotChangeState(t *testing.T) {
	keys := fxKeys(100)
	plain := newFx(t, fullRange, 1000).open()
	snapped := newFx(t, fullRange, 1000).open()
	plain.populate(keys)
	snapped.populate(keys)
	r1, r2 := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
	var live []interface{ Release() }
	for i := range 20000 {
		plain.mutate(r1, keys)
		snapped.mutate(r2, keys)
		if i%500 == 0 {
			s, err := snapped.b.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			live = append(live, s)
			if len(live) > 2 {
				live[0].Release()
				live = live[1:]
			}
		}
	}
	for _, s := range live {
		s.Release()
	}
	diffDumps(t, "with snapshots", snapped.dump(keys), plain.dump(keys))
	if !slices.Equal(snapped.rec.fired, plain.rec.fired) {
		t.Fatalf("timers fired differently with snapshots")
	}
}

// TestSnapshotSyncCost checks that the synchronous part of a snapshot does
// not grow with the number of entries: it allocates the same for 100 and
// 10000 keys.
func TestSnapshotSyncCost(t *testing.T) {
	allocs := func(n int) float64 {
		f := newFx(t, fullRange, 1000).open()
		f.populate(fxKeys(n))
		return testing.AllocsPerRun(20, func() {
			s, err := f.b.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			s.Release()
		})
	}
	small, large := allocs(100), allocs(10000)
	if small != large {
		t.Fatalf("Snapshot allocates %v times with 100 keys and %v with 10000", small, large)
	}
}

func TestUnclaimedStateIsKept(t *testing.T) {
	keys := fxKeys(50)
	src := newFx(t, fullRange, 1000).open()
	src.populate(keys)
	want := src.dump(keys)
	data := snapshotAll(t, src.b)

	// A backend that registers only some states, and no timer service.
	part := newFx(t, fullRange, src.clk.now)
	restoreFrom(t, part.b, data)
	if _, err := GetValueState(part.b, dVal); err != nil {
		t.Fatal(err)
	}
	wantUnclaimed := []string{"agg", "list", "list-rw", "list-ttl", "map", "map-ttl", "red", "tally", "val-ttl", "win", "win-red"}
	if got := part.b.UnclaimedStates(); !slices.Equal(got, wantUnclaimed) {
		t.Fatalf("UnclaimedStates = %v, want %v", got, wantUnclaimed)
	}
	if got := part.b.UnclaimedTimerServices(); !slices.Equal(got, []string{DefaultTimerService}) {
		t.Fatalf("UnclaimedTimerServices = %v", got)
	}
	// Its snapshot still holds everything.
	again := snapshotAll(t, part.b)
	for kg := range data {
		if !bytes.Equal(again[kg], data[kg]) {
			t.Fatalf("key group %d: unclaimed state was not written back unchanged", kg)
		}
	}
	full := newFx(t, fullRange, src.clk.now)
	restoreFrom(t, full.b, again)
	full.open()
	diffDumps(t, "restored through a partial backend", full.dump(keys), want)
}

func TestRestoreTTLChange(t *testing.T) {
	src := newFx(t, fullRange, 1000)
	withTTL, err := GetValueState(src.b, ValueDescriptor[int]{Name: "a", TTL: ttl100})
	if err != nil {
		t.Fatal(err)
	}
	noTTL, err := GetValueState(src.b, ValueDescriptor[int]{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	src.b.SetCurrentKey("k")
	_ = withTTL.Update(1)
	_ = noTTL.Update(2)
	data := snapshotAll(t, src.b)

	// TTL dropped: the value never expires. TTL added: it counts as
	// written at restore.
	dst := newFx(t, fullRange, 1050)
	restoreFrom(t, dst.b, data)
	a, _ := GetValueState(dst.b, ValueDescriptor[int]{Name: "a"})
	b, _ := GetValueState(dst.b, ValueDescriptor[int]{Name: "b", TTL: ttl100})
	dst.b.SetCurrentKey("k")
	dst.clk.now = 1149
	if v, ok, _ := a.Value(); !ok || v != 1 {
		t.Fatalf("a = %v %v", v, ok)
	}
	if v, ok, _ := b.Value(); !ok || v != 2 {
		t.Fatalf("b = %v %v before its new TTL", v, ok)
	}
	dst.clk.now = 1151
	if _, ok, _ := b.Value(); ok {
		t.Fatal("b outlived its TTL counted from the restore")
	}
	if _, ok, _ := a.Value(); !ok {
		t.Fatal("a expired without a TTL")
	}
}

func TestSnapshotCodecErrors(t *testing.T) {
	clk := &fakeClock{now: 1}
	b := NewHeapBackend(HeapOptions{MaxParallelism: fxMaxPar, KeyGroups: fullRange, Now: clk.Now})
	defer b.Close()
	if _, err := b.Snapshot(); err != nil {
		t.Fatalf("empty backend without codecs: %v", err)
	}
	v, _ := GetValueState(b, ValueDescriptor[int]{Name: "v"})
	b.SetCurrentKey("k")
	_ = v.Update(1)
	if _, err := b.Snapshot(); err == nil || !strings.Contains(err.Error(), "KeyCodec") {
		t.Fatalf("Snapshot without a key codec: %v", err)
	}

	f := newFx(t, fullRange, 1)
	f.b.nsCodec = nil
	w, _ := GetListState(f.b, dWin)
	f.b.SetCurrentKey("k")
	w.(Namespaced).SetNamespace(snapWin{1, 2})
	_ = w.Add(1)
	s, err := f.b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	var e snapshot.Encoder
	err = s.WriteKeyGroup(keygroup.Of("k", fxMaxPar), &e)
	if err == nil || !strings.Contains(err.Error(), "NamespaceCodec") || !strings.Contains(err.Error(), `"win"`) {
		t.Fatalf("namespace without a codec: %v", err)
	}
}

func TestRestoreErrors(t *testing.T) {
	src := newFx(t, fullRange, 1000).open()
	src.populate(fxKeys(20))
	data := snapshotAll(t, src.b)
	kg := keygroup.Of("k001", fxMaxPar)
	good := data[kg]

	fresh := func() *fx { return newFx(t, keygroup.Range{Start: 0, End: 63}, 1000) }
	other := keygroup.Of("k000", fxMaxPar)
	for _, k := range fxKeys(20) {
		if g := keygroup.Of(k, fxMaxPar); g != kg && (g < 64) == (kg < 64) {
			other = g
			break
		}
	}
	if kg >= 64 {
		t.Skip("fixture key in the upper half; adjust the range")
	}

	cases := []struct {
		name    string
		run     func(f *fx) error
		want    string
		corrupt bool
	}{
		{"out of range", func(f *fx) error { return f.b.RestoreKeyGroup(100, data[100]) }, "key group 100", false},
		{"twice", func(f *fx) error {
			_ = f.b.RestoreKeyGroup(kg, good)
			return f.b.RestoreKeyGroup(kg, good)
		}, "twice", false},
		{"after registration", func(f *fx) error {
			f.open()
			return f.b.RestoreKeyGroup(kg, good)
		}, "before the operator registers", false},
		{"unknown version", func(f *fx) error { return f.b.RestoreKeyGroup(kg, append([]byte{9}, good[1:]...)) }, "version 9", false},
		{"misplaced key group", func(f *fx) error { return f.b.RestoreKeyGroup(other, good) }, "corrupt", true},
		{"trailing bytes", func(f *fx) error { return f.b.RestoreKeyGroup(kg, append(slices.Clone(good), 0)) }, "after the last timer service", true},
		{"kind changed", func(f *fx) error {
			if err := f.b.RestoreKeyGroup(kg, good); err != nil {
				return err
			}
			_, err := GetListState(f.b, ListDescriptor[int]{Name: "val"})
			return err
		}, "snapshotted as a ValueState", false},
		{"value codec fails", func(f *fx) error {
			if err := f.b.RestoreKeyGroup(kg, good); err != nil {
				return err
			}
			// The values were written as ints; a string codec cannot read them.
			_, err := GetValueState(f.b, ValueDescriptor[string]{Name: "val"})
			return err
		}, `state "val", key group`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(fresh())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if errors.Is(err, snapshot.ErrCorrupt) != tc.corrupt {
				t.Fatalf("errors.Is(%v, ErrCorrupt) = %v, want %v", err, !tc.corrupt, tc.corrupt)
			}
		})
	}

	// Every truncation is reported as corruption, naming the key group.
	for n := 1; n < len(good); n++ {
		f := fresh()
		err := f.b.RestoreKeyGroup(kg, good[:n])
		if err == nil {
			continue // a prefix can parse when the cut falls between sections; registering then finds the rest missing
		}
		if !errors.Is(err, snapshot.ErrCorrupt) || !strings.Contains(err.Error(), "key group") {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
}
