package state

import (
	"fmt"
	"testing"
	"time"
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
