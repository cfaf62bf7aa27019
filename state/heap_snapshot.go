package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/snapshot"
)

// Snapshot freezes the keyed state and timers of the backend for a
// checkpoint or savepoint. It runs in the subtask goroutine and costs time
// proportional to the number of states, timer services and key groups, not
// to the number of entries: storage is copied lazily when the subtask
// changes it afterwards (cow.go). The result is written with WriteKeyGroup
// on another goroutine while the subtask goes on, and must be released.
//
// Entries whose TTL has expired when Snapshot runs are left out of the
// written state. Restored state not registered yet is written as it was
// restored.
func (b *HeapBackend) Snapshot() (operator.KeyedSnapshot, error) {
	if b.closed {
		return nil, errClosed
	}
	if b.keyCodec == nil && b.hasData() {
		return nil, errors.New("state: HeapOptions.KeyCodec is nil, so keyed state cannot be snapshotted; " +
			"set it to a codec for the key type (codec.Any(codec.For[K]()))")
	}
	s := &heapSnapshot{kgr: b.kgr, keys: b.keyCodec, nss: b.nsCodec, now: b.now(), cow: &b.cow}
	s.states = make([]frozenState, 0, len(b.states)+len(b.pending))
	for _, r := range b.states {
		s.states = append(s.states, r.state.freeze())
	}
	for _, p := range b.pending {
		s.states = append(s.states, frozenRaw{p})
	}
	slices.SortFunc(s.states, func(a, c frozenState) int { return strings.Compare(a.frozenName(), c.frozenName()) })
	s.timers = make([]*frozenTimers, 0, len(b.timerServices)+len(b.pendingTimers))
	for name, ts := range b.timerServices {
		s.timers = append(s.timers, &frozenTimers{name: name, event: ts.event.frozen(), proc: ts.proc.frozen()})
	}
	for name, p := range b.pendingTimers {
		s.timers = append(s.timers, &frozenTimers{name: name, pendingEvent: p.event, pendingProc: p.proc})
	}
	slices.SortFunc(s.timers, func(a, c *frozenTimers) int { return strings.Compare(a.name, c.name) })
	b.cow.version++
	b.cow.live.Add(1)
	return s, nil
}

// hasData reports whether anything would be written.
func (b *HeapBackend) hasData() bool {
	if len(b.pending) > 0 || len(b.pendingTimers) > 0 {
		return true
	}
	for _, r := range b.states {
		if !r.state.empty() {
			return true
		}
	}
	for _, ts := range b.timerServices {
		if len(ts.event.heap) > 0 || len(ts.proc.heap) > 0 {
			return true
		}
	}
	return false
}

// heapSnapshot is a frozen HeapBackend. Its frozen storage is never
// written again by the subtask, so WriteKeyGroup needs no lock.
type heapSnapshot struct {
	kgr       keygroup.Range
	keys, nss codec.Codec[any]
	now       int64
	states    []frozenState
	timers    []*frozenTimers
	cow       *cowClock
	released  atomic.Bool
}

var _ operator.KeyedSnapshot = (*heapSnapshot)(nil)

func (s *heapSnapshot) KeyGroups() keygroup.Range { return s.kgr }

// WriteKeyGroup appends key group kg in the canonical format (doc.go). It
// may run on any goroutine, concurrently with the subtask; calls for
// different key groups may also run concurrently.
func (s *heapSnapshot) WriteKeyGroup(kg int, e *snapshot.Encoder) error {
	if s.released.Load() {
		return fmt.Errorf("state: WriteKeyGroup(%d) on a released snapshot", kg)
	}
	if !s.kgr.Contains(kg) {
		return fmt.Errorf("state: WriteKeyGroup(%d): the snapshot holds key groups [%d, %d]", kg, s.kgr.Start, s.kgr.End)
	}
	g := kg - s.kgr.Start
	w := &kgWriter{enc: e, keys: s.keys, nss: s.nss, now: s.now, kg: kg}
	e.Uvarint(formatVersion)
	e.Uvarint(uint64(kg))
	counts := make([]int, len(s.states))
	n := 0
	for i, f := range s.states {
		if counts[i] = f.entries(g, s.now); counts[i] > 0 {
			n++
		}
	}
	e.Uvarint(uint64(n))
	for i, f := range s.states {
		if counts[i] > 0 {
			if err := f.write(w, g, counts[i]); err != nil {
				return err
			}
		}
	}
	n = 0
	for _, t := range s.timers {
		if t.hasGroup(g) {
			n++
		}
	}
	e.Uvarint(uint64(n))
	for _, t := range s.timers {
		if t.hasGroup(g) {
			if err := t.write(w, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// Release ends the snapshot: the subtask may change storage in place again
// once no snapshot is left. Safe to call more than once, from any goroutine.
func (s *heapSnapshot) Release() {
	if s.released.CompareAndSwap(false, true) {
		s.cow.live.Add(-1)
	}
}

// frozenTimers is one timer service as a snapshot keeps it: the per key
// group timer sets of a live service, or restored timers of a service not
// created yet.
type frozenTimers struct {
	name                      string
	event, proc               []map[Timer]*timerNode
	pendingEvent, pendingProc [][]Timer
}

func (f *frozenTimers) hasGroup(g int) bool {
	if f.event != nil {
		return len(f.event[g]) > 0 || len(f.proc[g]) > 0
	}
	return len(f.pendingEvent[g]) > 0 || len(f.pendingProc[g]) > 0
}

func (f *frozenTimers) write(w *kgWriter, g int) error {
	w.state = f.name
	w.enc.String(f.name)
	if f.event != nil {
		if err := w.writeTimers(mapTimers(f.event[g])); err != nil {
			return err
		}
		return w.writeTimers(mapTimers(f.proc[g]))
	}
	if err := w.writeTimers(slices.Values(f.pendingEvent[g])); err != nil {
		return err
	}
	return w.writeTimers(slices.Values(f.pendingProc[g]))
}

func mapTimers(m map[Timer]*timerNode) func(yield func(Timer) bool) {
	return func(yield func(Timer) bool) {
		for t := range m {
			if !yield(t) {
				return
			}
		}
	}
}
