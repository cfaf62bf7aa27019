package state

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

// BenchmarkValueState is the per-record path of a keyed operator: set the key,
// read the value, write it back.
func BenchmarkValueState(b *testing.B) {
	for _, ttl := range []*TTLConfig{nil, {TTL: time.Hour, CleanupIncrementally: 1}} {
		name := "noTTL"
		if ttl != nil {
			name = "TTL"
		}
		b.Run(name, func(b *testing.B) {
			clk := &fakeClock{now: 1}
			be := fullBackend(b, clk)
			s, err := GetValueState(be, ValueDescriptor[int]{Name: "count", TTL: ttl})
			if err != nil {
				b.Fatal(err)
			}
			keys := make([]any, 4096) // boxed once, as a keyed operator's key selector output is
			for i := range keys {
				keys[i] = fmt.Sprintf("user-%06d", i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				be.SetCurrentKey(keys[i&(len(keys)-1)])
				v, _, err := s.Value()
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Update(v + 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type nopTarget struct{}

func (nopTarget) OnEventTime(Timer) error      { return nil }
func (nopTarget) OnProcessingTime(Timer) error { return nil }

// BenchmarkTimerRegisterFire registers one event-time timer per op and fires
// them in batches of 1024 with a watermark, as a window operator does.
func BenchmarkTimerRegisterFire(b *testing.B) {
	be := fullBackend(b, nil)
	s := NewTimerService(be, &fakePTS{}, nopTarget{})
	defer s.Close()
	keys := make([]any, 4096)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%06d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		be.SetCurrentKey(keys[i&(len(keys)-1)])
		s.RegisterEventTimeTimer(VoidNamespace{}, int64(i))
		if i&1023 == 1023 {
			if err := s.AdvanceWatermark(int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// snapBenchBackend holds n keys in a ValueState[int64] and one event-time
// timer per 10 keys, over max parallelism 128, with the given codecs.
func snapBenchBackend(b *testing.B, n int, keyCodec codec.Codec[any], valCodec codec.Codec[int64]) (*HeapBackend, []any, ValueState[int64]) {
	be := NewHeapBackend(HeapOptions{MaxParallelism: 128, KeyGroups: keygroup.Range{Start: 0, End: 127},
		Now: func() int64 { return 1 }, KeyCodec: keyCodec})
	b.Cleanup(be.Close)
	s, err := GetValueState(be, ValueDescriptor[int64]{Name: "count", Codec: valCodec})
	if err != nil {
		b.Fatal(err)
	}
	ts := NewTimerService(be, &fakePTS{}, nopTarget{})
	keys := make([]any, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%07d", i)
		be.SetCurrentKey(keys[i])
		if err := s.Update(int64(i)); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			ts.RegisterEventTimeTimer(nil, int64(i))
		}
	}
	return be, keys, s
}

// stringCodec and int64Codec are compact codecs, to measure the format
// apart from the default codec.
type stringCodec struct{}

func (stringCodec) Encode(s string) ([]byte, error) { return []byte(s), nil }
func (stringCodec) Decode(b []byte) (string, error) { return string(b), nil }

type int64Codec struct{}

func (int64Codec) Encode(v int64) ([]byte, error) { return binary.AppendVarint(nil, v), nil }
func (int64Codec) Decode(b []byte) (int64, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, fmt.Errorf("int64Codec: bad varint")
	}
	return v, nil
}

// BenchmarkSnapshot measures a heap backend snapshot against state size:
// sync is the synchronous part in the subtask goroutine (Snapshot), write
// the asynchronous write of every key group, and update-after-snapshot the
// per-record cost of the first update of each key after a snapshot, which
// pays for copying the key groups (update is the same without a snapshot).
func BenchmarkSnapshot(b *testing.B) {
	codecs := []struct {
		name string
		key  codec.Codec[any]
		val  codec.Codec[int64]
	}{
		{"default-codec", codec.Any(codec.For[string]()), nil},
		{"compact-codec", codec.Any[string](stringCodec{}), int64Codec{}},
	}
	for _, n := range []int{100_000, 1_000_000} {
		be, keys, s := snapBenchBackend(b, n, codecs[0].key, codecs[0].val)
		b.Run(fmt.Sprintf("keys=%d/sync", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				snap, err := be.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				snap.Release()
			}
		})
		for _, c := range codecs {
			b.Run(fmt.Sprintf("keys=%d/write/%s", n, c.name), func(b *testing.B) {
				be, _, _ := snapBenchBackend(b, n, c.key, c.val)
				var e snapshot.Encoder
				var size int64
				for b.Loop() {
					snap, err := be.Snapshot()
					if err != nil {
						b.Fatal(err)
					}
					size = 0
					for kg := range 128 {
						e.Reset()
						if err := snap.WriteKeyGroup(kg, &e); err != nil {
							b.Fatal(err)
						}
						size += int64(e.Len())
					}
					snap.Release()
				}
				b.SetBytes(size)
			})
		}
		update := func(b *testing.B, snapFirst bool) {
			for b.Loop() {
				var snap interface{ Release() }
				if snapFirst {
					b.StopTimer()
					sn, err := be.Snapshot()
					if err != nil {
						b.Fatal(err)
					}
					snap = sn
					b.StartTimer()
				}
				for i, k := range keys {
					be.SetCurrentKey(k)
					if err := s.Update(int64(i)); err != nil {
						b.Fatal(err)
					}
				}
				if snap != nil {
					snap.Release()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
		}
		b.Run(fmt.Sprintf("keys=%d/update", n), func(b *testing.B) { update(b, false) })
		b.Run(fmt.Sprintf("keys=%d/update-after-snapshot", n), func(b *testing.B) { update(b, true) })
	}
}
