package state

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// winCodec encodes snapWin compactly, rejecting anything else.
type winCodec struct{}

func (winCodec) Encode(w snapWin) ([]byte, error) {
	var e snapshot.Encoder
	e.Varint(w.Start)
	e.Varint(w.End)
	return e.Data(), nil
}

func (winCodec) Decode(b []byte) (snapWin, error) {
	d := snapshot.NewDecoder(b)
	w := snapWin{d.Varint(), d.Varint()}
	if d.Err() != nil || d.Len() != 0 {
		return snapWin{}, fmt.Errorf("winCodec: %d bytes are not a window", len(b))
	}
	return w, nil
}

func fuzzBackend(now int64) *HeapBackend {
	return NewHeapBackend(HeapOptions{
		MaxParallelism: fxMaxPar, KeyGroups: fullRange, Now: func() int64 { return now },
		KeyCodec:       codec.Any[int](varintCodec{}),
		NamespaceCodec: codec.Any[snapWin](winCodec{}),
	})
}

type sumInts struct{}

func (sumInts) CreateAccumulator() int { return 0 }
func (sumInts) Add(v, acc int) int     { return acc + v }
func (sumInts) GetResult(acc int) int  { return acc }
func (sumInts) Merge(a, b int) int     { return a + b }
func addInts(a, b int) (int, error)    { return a + b, nil }
func fuzzTTL(name string) *TTLConfig {
	if len(name)%2 == 0 {
		return &TTLConfig{TTL: time.Second}
	}
	return nil
}

// claimAll registers every restored state with the first kind that accepts
// it, and every restored timer service.
func claimAll(b *HeapBackend) {
	for _, name := range b.UnclaimedStates() {
		ttl := fuzzTTL(name)
		try := []func() error{
			func() error {
				_, err := GetValueState(b, ValueDescriptor[int]{Name: name, TTL: ttl, Codec: varintCodec{}})
				return err
			},
			func() error {
				_, err := GetListState(b, ListDescriptor[int]{Name: name, TTL: ttl, Codec: varintCodec{}})
				return err
			},
			func() error {
				_, err := GetMapState(b, MapDescriptor[int, int]{Name: name, TTL: ttl, KeyCodec: varintCodec{}, ValueCodec: varintCodec{}})
				return err
			},
			func() error {
				_, err := GetReducingState(b, ReducingDescriptor[int]{Name: name, TTL: ttl, Reduce: addInts, Codec: varintCodec{}})
				return err
			},
			func() error {
				_, err := GetAggregatingState(b, AggregatingDescriptor[int, int, int]{Name: name, TTL: ttl, Aggregate: sumInts{}, AccCodec: varintCodec{}})
				return err
			},
		}
		for _, f := range try {
			if f() == nil {
				break
			}
		}
	}
	for _, name := range b.UnclaimedTimerServices() {
		NewNamedTimerService(b, name, &fakePTS{}, nopTarget{})
	}
}

// rewrite restores kg from data into a fresh backend, claims everything and
// writes the key group again.
func rewrite(t *testing.T, kg int, data []byte) ([]byte, error) {
	b := fuzzBackend(1000)
	defer b.Close()
	if err := b.RestoreKeyGroup(kg, data); err != nil {
		return nil, err
	}
	claimAll(b)
	s, err := b.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot after a successful restore: %v", err)
	}
	defer s.Release()
	var e snapshot.Encoder
	if err := s.WriteKeyGroup(kg, &e); err != nil {
		t.Fatalf("WriteKeyGroup after a successful restore: %v", err)
	}
	return e.Data(), nil
}

func FuzzRestoreKeyGroup(f *testing.F) {
	// Seeds: key groups of a backend holding every kind of state.
	b := fuzzBackend(1000)
	v, _ := GetValueState(b, ValueDescriptor[int]{Name: "v", Codec: varintCodec{}})
	l, _ := GetListState(b, ListDescriptor[int]{Name: "ll", TTL: fuzzTTL("ll"), Codec: varintCodec{}})
	m, _ := GetMapState(b, MapDescriptor[int, int]{Name: "m", KeyCodec: varintCodec{}, ValueCodec: varintCodec{}})
	r, _ := GetReducingState(b, ReducingDescriptor[int]{Name: "rr", TTL: fuzzTTL("rr"), Reduce: addInts, Codec: varintCodec{}})
	a, _ := GetAggregatingState(b, AggregatingDescriptor[int, int, int]{Name: "a", Aggregate: sumInts{}, AccCodec: varintCodec{}})
	ts := NewTimerService(b, &fakePTS{}, nopTarget{})
	for k := range 40 {
		b.SetCurrentKey(k)
		_ = v.Update(k)
		_ = l.AddAll([]int{k, -k})
		_ = m.Put(k, 2*k)
		_ = r.Add(k)
		a.(Namespaced).SetNamespace(snapWin{int64(k), 10})
		_ = a.Add(k)
		ts.RegisterEventTimeTimer(snapWin{1, 2}, int64(k))
		ts.RegisterProcessingTimeTimer(nil, int64(k*3))
	}
	s, err := b.Snapshot()
	if err != nil {
		f.Fatal(err)
	}
	for kg := range 6 {
		var e snapshot.Encoder
		if err := s.WriteKeyGroup(kg, &e); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(kg), bytes.Clone(e.Data()))
	}
	s.Release()
	b.Close()
	f.Add(uint8(0), []byte{})
	f.Add(uint8(3), []byte{1, 3, 1, 1, 'v', 1, 0, 200, 1})

	f.Fuzz(func(t *testing.T, kgByte uint8, data []byte) {
		kg := int(kgByte) % fxMaxPar
		w1, err := rewrite(t, kg, data)
		if err != nil {
			return // rejected; it must only not panic
		}
		// What a restore accepted, it writes canonically: writing the
		// restored state again gives the same bytes.
		w2, err := rewrite(t, kg, w1)
		if err != nil {
			t.Fatalf("restoring what was written failed: %v", err)
		}
		if !bytes.Equal(w1, w2) {
			t.Fatalf("rewrite not stable:\n%x\n%x", w1, w2)
		}
	})
}
