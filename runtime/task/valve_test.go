package task

import (
	"testing"

	"github.com/weirstream/weir/eventtime"
)

func TestValveMinimumIdleAndEnd(t *testing.T) {
	v := newValve(3)
	steps := []struct {
		name    string
		do      func() (int64, bool)
		wantWM  int64
		wantAdv bool
	}{
		{"first channel alone does not advance", func() (int64, bool) { return v.watermark(0, 10) }, eventtime.MinWatermark, false},
		{"second channel", func() (int64, bool) { return v.watermark(1, 5) }, eventtime.MinWatermark, false},
		{"third channel sets the minimum", func() (int64, bool) { return v.watermark(2, 7) }, 5, true},
		{"minimum moves to 7", func() (int64, bool) { return v.watermark(1, 20) }, 7, true},
		{"going backwards is ignored", func() (int64, bool) { return v.watermark(2, 1) }, 7, false},
		{"ended channel no longer holds back", func() (int64, bool) { return v.end(2) }, 10, true},
	}
	for _, s := range steps {
		wm, adv := s.do()
		if wm != s.wantWM || adv != s.wantAdv {
			t.Fatalf("%s: got (%d, %v), want (%d, %v)", s.name, wm, adv, s.wantWM, s.wantAdv)
		}
	}
	changed, idle, wm, adv := v.status(0, true)
	if changed || idle || wm != 20 || !adv {
		t.Fatalf("idle channel 0: got changed=%v idle=%v wm=%d adv=%v; want the min to jump to channel 1's 20", changed, idle, wm, adv)
	}
	changed, idle, _, _ = v.status(1, true)
	if !changed || !idle {
		t.Fatalf("all live channels idle: changed=%v idle=%v", changed, idle)
	}
	changed, idle, _, adv = v.status(0, false)
	if !changed || idle || adv {
		t.Fatalf("channel 0 active again below the combined watermark: changed=%v idle=%v adv=%v", changed, idle, adv)
	}
}

func TestValveFlushesMaxWatermarkWhenAllChannelsIdle(t *testing.T) {
	v := newValve(2)
	v.watermark(0, 990)
	if wm, adv := v.watermark(1, 3); !adv || wm != 3 {
		t.Fatalf("both channels reported: got (%d, %v), want (3, true)", wm, adv)
	}
	changed, idle, wm, adv := v.status(0, true)
	if changed || idle || adv || wm != 3 {
		t.Fatalf("channel 0 idle, channel 1 still active at 3: changed=%v idle=%v wm=%d adv=%v", changed, idle, wm, adv)
	}
	changed, idle, wm, adv = v.status(1, true)
	if !changed || !idle || !adv || wm != 990 {
		t.Fatalf("last channel idle: changed=%v idle=%v wm=%d adv=%v; want the largest watermark 990 flushed", changed, idle, wm, adv)
	}
}
