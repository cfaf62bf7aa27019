package task

import "github.com/weirstream/weir/eventtime"

// valve combines the watermarks of a subtask's input channels: the minimum
// over channels that are neither idle nor ended. It reports when that
// minimum advances and when the whole input turns idle or active.
type valve struct {
	wms      []int64
	idle     []bool
	ended    []bool
	combined int64
	allIdle  bool
}

func newValve(channels int) *valve {
	v := &valve{wms: make([]int64, channels), idle: make([]bool, channels), ended: make([]bool, channels), combined: eventtime.MinWatermark}
	for i := range v.wms {
		v.wms[i] = eventtime.MinWatermark
	}
	return v
}

// watermark records ch's watermark; advanced is true when the combined
// watermark moved forward to wm.
func (v *valve) watermark(ch int, ts int64) (wm int64, advanced bool) {
	if ts > v.wms[ch] {
		v.wms[ch] = ts
	}
	return v.recompute()
}

// status records ch turning idle or active; changed reports a change of the
// whole input's status.
func (v *valve) status(ch int, idle bool) (changed, allIdle bool, wm int64, advanced bool) {
	v.idle[ch] = idle
	wm, advanced = v.recompute()
	now := v.computeAllIdle()
	if now && !v.allIdle {
		// As Flink's StatusWatermarkValve: when the last active channel
		// turns idle, flush the largest watermark any live channel reached,
		// so what the idle inputs already allow still fires.
		if hi := v.maxLive(); hi > v.combined {
			v.combined = hi
			wm, advanced = hi, true
		}
	}
	changed = now != v.allIdle
	v.allIdle = now
	return changed, now, wm, advanced
}

// end records that ch delivered its last element.
func (v *valve) end(ch int) (wm int64, advanced bool) {
	v.ended[ch] = true
	return v.recompute()
}

func (v *valve) computeAllIdle() bool {
	anyIdle := false
	for i := range v.wms {
		if v.ended[i] {
			continue
		}
		if !v.idle[i] {
			return false
		}
		anyIdle = true
	}
	return anyIdle
}

func (v *valve) maxLive() int64 {
	hi := eventtime.MinWatermark
	for i, wm := range v.wms {
		if !v.ended[i] {
			hi = max(hi, wm)
		}
	}
	return hi
}

func (v *valve) recompute() (int64, bool) {
	lowest, active := eventtime.MaxWatermark, false
	for i, wm := range v.wms {
		if v.idle[i] || v.ended[i] {
			continue
		}
		active = true
		lowest = min(lowest, wm)
	}
	if active && lowest > v.combined {
		v.combined = lowest
		return lowest, true
	}
	return v.combined, false
}
