package state

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/snapshot"
)

// pendingState is restored keyed state not registered yet: per key group
// (index in the backend's range) the bytes from the entry count on, nil
// where the key group has none. Registering the state decodes it.
type pendingState struct {
	name     string
	kind     stateKind
	ttl      bool
	sections [][]byte
}

// pendingTimers is a restored timer service not created yet, decoded, per
// key group index.
type pendingTimers struct {
	name        string
	event, proc [][]Timer
}

// Restore loads the keyed state of r, key group by key group (see
// RestoreKeyGroup). r == nil, or r without keyed state, restores nothing.
func (b *HeapBackend) Restore(r *operator.Restored) error {
	if r == nil || r.KeyGroups == nil {
		return nil
	}
	return r.KeyGroups(b.RestoreKeyGroup)
}

// RestoreKeyGroup loads one key group written by KeyedSnapshot.WriteKeyGroup,
// possibly by a backend with another key group range (restore at another
// parallelism). It must be called before any state is registered or timer
// service created, once per key group, and kg must lie in this backend's
// range. Empty data restores nothing.
//
// Timers are decoded at once, with HeapOptions.KeyCodec and NamespaceCodec.
// State entries stay encoded until the state is registered: its descriptor
// brings the codecs, and a decoding error is then returned by the Get*State
// call. Restored state that is never registered is kept and written into
// later snapshots as it was read (see UnclaimedStates). data is copied.
//
// Errors wrap snapshot.ErrCorrupt when data is damaged; on error the backend
// may hold part of the key group and should be discarded.
func (b *HeapBackend) RestoreKeyGroup(kg int, data []byte) error {
	switch {
	case b.closed:
		return errClosed
	case len(b.states) > 0 || len(b.timerServices) > 0 || b.cow.version > 0:
		return fmt.Errorf("state: RestoreKeyGroup(%d) after state was registered or snapshotted; restore the backend before the operator registers state or creates its timer service", kg)
	case !b.kgr.Contains(kg):
		return fmt.Errorf("state: cannot restore key group %d into a backend owning key groups [%d, %d]; "+
			"the snapshot's key groups were assigned to the wrong subtask (check the max parallelism)", kg, b.kgr.Start, b.kgr.End)
	}
	g := kg - b.kgr.Start
	if b.restored == nil {
		b.restored = make([]bool, b.nGroups)
	}
	if b.restored[g] {
		return fmt.Errorf("state: key group %d restored twice; each key group's data must be passed once", kg)
	}
	b.restored[g] = true
	if len(data) == 0 {
		return nil
	}
	data = bytes.Clone(data)
	d := snapshot.NewDecoder(data)
	corrupt := func(what string, args ...any) error {
		return fmt.Errorf("state: restoring key group %d: %w: %s", kg, snapshot.ErrCorrupt, fmt.Sprintf(what, args...))
	}
	if v := d.Uvarint(); d.Err() != nil {
		return fmt.Errorf("state: restoring key group %d: %w", kg, d.Err())
	} else if v != formatVersion {
		return fmt.Errorf("state: key group %d is in state format version %d; this build reads version %d only "+
			"(restore with the weir release that wrote the snapshot, or check that the file is a weir snapshot)", kg, v, formatVersion)
	}
	if got := d.Uvarint(); d.Err() == nil && got != uint64(kg) {
		return corrupt("the data is key group %d's", got)
	}
	nStates := d.Uvarint()
	if d.Err() != nil {
		return fmt.Errorf("state: restoring key group %d: %w", kg, d.Err())
	}
	type section struct {
		p *pendingState
		b []byte
	}
	var sections []section
	prev := ""
	for i := uint64(0); i < nStates; i++ {
		name := d.String()
		kind := stateKind(d.Uvarint())
		flags := d.Uvarint()
		start := len(data) - d.Len()
		if err := d.Err(); err != nil {
			return fmt.Errorf("state: restoring key group %d: state header: %w", kg, err)
		}
		if kind < kindValue || kind > kindAggregating || flags&^flagTTL != 0 {
			return corrupt("state %q has kind %d and flags %#x", name, kind, flags)
		}
		if i > 0 && name <= prev {
			return corrupt("state %q follows %q; states are written once each, sorted by name", name, prev)
		}
		prev = name
		if err := skipEntries(d, kind, flags&flagTTL != 0); err != nil {
			return fmt.Errorf("state: restoring key group %d, state %q: %w", kg, name, err)
		}
		p := b.pending[name]
		if p == nil {
			p = &pendingState{name: name, kind: kind, ttl: flags&flagTTL != 0}
		} else if p.kind != kind || p.ttl != (flags&flagTTL != 0) {
			return corrupt("state %q is a %s (TTL %v) here and a %s (TTL %v) in other key groups",
				name, kind, flags&flagTTL != 0, p.kind, p.ttl)
		}
		sections = append(sections, section{p: p, b: data[start : len(data)-d.Len()]})
	}
	type timerSection struct {
		name        string
		event, proc []Timer
	}
	var timers []timerSection
	nServices := d.Uvarint()
	if err := d.Err(); err != nil {
		return fmt.Errorf("state: restoring key group %d: timer services: %w", kg, err)
	}
	prev = ""
	for i := uint64(0); i < nServices; i++ {
		name := d.String()
		if err := d.Err(); err != nil {
			return fmt.Errorf("state: restoring key group %d: timer service name: %w", kg, err)
		}
		if i > 0 && name <= prev {
			return corrupt("timer service %q follows %q; services are written once each, sorted by name", name, prev)
		}
		prev = name
		ts := timerSection{name: name}
		var err error
		if ts.event, err = b.decodeTimers(d, kg); err == nil {
			ts.proc, err = b.decodeTimers(d, kg)
		}
		if err != nil {
			return fmt.Errorf("state: restoring key group %d, timer service %q: %w", kg, name, err)
		}
		timers = append(timers, ts)
	}
	if d.Len() != 0 {
		return corrupt("%d bytes after the last timer service", d.Len())
	}
	if b.keyCodec == nil && (len(sections) > 0 || len(timers) > 0) {
		return fmt.Errorf("state: restoring key group %d needs HeapOptions.KeyCodec to decode keys; set it to the codec the snapshot was written with", kg)
	}
	for _, s := range sections {
		if s.p.sections == nil {
			s.p.sections = make([][]byte, b.nGroups)
			if b.pending == nil {
				b.pending = map[string]*pendingState{}
			}
			b.pending[s.p.name] = s.p
		}
		s.p.sections[g] = s.b
	}
	for _, ts := range timers {
		p := b.pendingTimers[ts.name]
		if p == nil {
			p = &pendingTimers{name: ts.name, event: make([][]Timer, b.nGroups), proc: make([][]Timer, b.nGroups)}
			if b.pendingTimers == nil {
				b.pendingTimers = map[string]*pendingTimers{}
			}
			b.pendingTimers[ts.name] = p
		}
		p.event[g], p.proc[g] = ts.event, ts.proc
	}
	return nil
}

// skipEntries reads past a state's entry count and entries, checking their
// framing.
func skipEntries(d *snapshot.Decoder, kind stateKind, ttl bool) error {
	n := d.Uvarint()
	// Every entry takes at least three bytes (key, namespace, payload); a
	// count beyond that is damage, caught before looping on it.
	if err := checkCount(d, n, 3); err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		d.Bytes() // key
		if err := skipNamespace(d); err != nil {
			return err
		}
		var err error
		switch kind {
		case kindValue, kindReducing, kindAggregating:
			err = skipElems(d, 1, 1, ttl)
		case kindList:
			err = skipElems(d, d.Uvarint(), 1, ttl)
		case kindMap:
			err = skipElems(d, d.Uvarint(), 2, ttl)
		}
		if err != nil {
			return err
		}
	}
	return d.Err()
}

// skipElems reads past n elements of per byte strings each, each followed
// by an expiry with TTL.
func skipElems(d *snapshot.Decoder, n uint64, per int, ttl bool) error {
	if err := checkCount(d, n, per); err != nil {
		return err
	}
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		for range per {
			d.Bytes()
		}
		if ttl {
			d.Varint()
		}
	}
	return d.Err()
}

func checkCount(d *snapshot.Decoder, n uint64, min int) error {
	if d.Err() != nil {
		return d.Err()
	}
	if n > uint64(d.Len()/min) {
		return fmt.Errorf("%w: %d entries announced with %d bytes left", snapshot.ErrCorrupt, n, d.Len())
	}
	return nil
}

func skipNamespace(d *snapshot.Decoder) error {
	switch tag := d.Uvarint(); {
	case d.Err() != nil:
		return d.Err()
	case tag == nsVoid:
		return nil
	case tag == nsCoded:
		d.Bytes()
		return d.Err()
	default:
		return fmt.Errorf("%w: namespace tag %d", snapshot.ErrCorrupt, tag)
	}
}

// decodeNamespace reads a namespace written by encodeNamespace.
func decodeNamespace(c codec.Codec[any], d *snapshot.Decoder) (any, error) {
	switch tag := d.Uvarint(); {
	case d.Err() != nil:
		return nil, d.Err()
	case tag == nsVoid:
		return VoidNamespace{}, nil
	case tag == nsCoded:
		b := d.Bytes()
		if d.Err() != nil {
			return nil, d.Err()
		}
		if c == nil {
			return nil, errors.New("state: the snapshot holds namespaced state (windows) and HeapOptions.NamespaceCodec is nil; set it to the codec the snapshot was written with")
		}
		ns, err := c.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%w: decoding a namespace with HeapOptions.NamespaceCodec: %w", snapshot.ErrCorrupt, err)
		}
		if ns == nil || !reflect.TypeOf(ns).Comparable() {
			return nil, fmt.Errorf("state: HeapOptions.NamespaceCodec decoded a %T, which is not a comparable namespace", ns)
		}
		return ns, nil
	default:
		return nil, fmt.Errorf("%w: namespace tag %d", snapshot.ErrCorrupt, tag)
	}
}

// decodeKey decodes a key of key group kg.
func (b *HeapBackend) decodeKey(d *snapshot.Decoder, kg int) (any, error) {
	kb := d.Bytes()
	if d.Err() != nil {
		return nil, d.Err()
	}
	if b.keyCodec == nil {
		return nil, errors.New("state: the snapshot holds keyed state and HeapOptions.KeyCodec is nil; set it to the codec the snapshot was written with")
	}
	k, err := b.keyCodec.Decode(kb)
	if err != nil {
		return nil, fmt.Errorf("%w: decoding a key with HeapOptions.KeyCodec: %w", snapshot.ErrCorrupt, err)
	}
	if k == nil {
		return nil, fmt.Errorf("%w: HeapOptions.KeyCodec decoded a nil key", snapshot.ErrCorrupt)
	}
	if t := reflect.TypeOf(k); t != b.keyType {
		if !t.Comparable() {
			return nil, fmt.Errorf("state: HeapOptions.KeyCodec decoded a %v, which is not comparable; keys must be comparable", t)
		}
		b.keyType = t
	}
	if got := keygroup.Of(k, b.maxPar); got != kg {
		return nil, fmt.Errorf("state: key %v (%T) restored in key group %d belongs to key group %d: "+
			"the key codec, the key type or the max parallelism differ from the snapshot's", k, k, kg, got)
	}
	return k, nil
}

// decodeTimers reads one timer queue's timers of key group kg.
func (b *HeapBackend) decodeTimers(d *snapshot.Decoder, kg int) ([]Timer, error) {
	n := d.Uvarint()
	if err := checkCount(d, n, 3); err != nil {
		return nil, err
	}
	var out []Timer
	for i := uint64(0); i < n; i++ {
		k, err := b.decodeKey(d, kg)
		if err != nil {
			return nil, err
		}
		ns, err := decodeNamespace(b.nsCodec, d)
		if err != nil {
			return nil, err
		}
		ts := d.Varint()
		if d.Err() != nil {
			return nil, d.Err()
		}
		out = append(out, Timer{Key: k, Namespace: ns, Timestamp: ts})
	}
	return out, nil
}

// restoreEntries decodes the restored entries of p, calling each with the
// group index, the entry key and the decoder at the entry's payload; each
// must read the whole payload. Errors name the state and key group.
func restoreEntries[E any](s *keyedState[E], p *pendingState, each func(g int, k entryKey, d *snapshot.Decoder) error) error {
	b := s.b
	if p.kind != s.kind {
		return fmt.Errorf("state: state %q was snapshotted as a %s and is now registered as a %s; "+
			"restore it with its original kind or give the new state another name", s.name, p.kind, s.kind)
	}
	for g, sec := range p.sections {
		if sec == nil {
			continue
		}
		kg := g + b.kgr.Start
		if err := restoreSection(s, sec, g, kg, each); err != nil {
			return fmt.Errorf("state: restoring state %q, key group %d: %w", s.name, kg, err)
		}
	}
	return nil
}

func restoreSection[E any](s *keyedState[E], sec []byte, g, kg int, each func(g int, k entryKey, d *snapshot.Decoder) error) error {
	d := snapshot.NewDecoder(sec)
	n := d.Uvarint()
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		k, err := s.b.decodeKey(d, kg)
		if err != nil {
			return err
		}
		ns, err := decodeNamespace(s.b.nsCodec, d)
		if err != nil {
			return err
		}
		ek := entryKey{key: k, ns: ns}
		if s.t.lookup(g, ek) >= 0 {
			return fmt.Errorf("%w: key %v in namespace %v appears twice", snapshot.ErrCorrupt, k, ns)
		}
		if err := each(g, ek, d); err != nil {
			return err
		}
	}
	if d.Err() != nil {
		return d.Err()
	}
	if d.Len() != 0 {
		return fmt.Errorf("%w: %d bytes after the entries", snapshot.ErrCorrupt, d.Len())
	}
	return nil
}

// decodeWith decodes b with c; errors wrap snapshot.ErrCorrupt.
func decodeWith[T any](c codec.Codec[T], what string, b []byte) (T, error) {
	v, err := c.Decode(b)
	if err != nil {
		return v, fmt.Errorf("%w: decoding %s %s: %w", snapshot.ErrCorrupt, what, typeName[T](), err)
	}
	return v, nil
}

// UnclaimedStates lists, sorted, the restored keyed states that no
// Get*State call has registered yet. They are kept and written into later
// snapshots unchanged; the runtime reports them once the operator is open.
func (b *HeapBackend) UnclaimedStates() []string {
	names := make([]string, 0, len(b.pending))
	for n := range b.pending {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// UnclaimedTimerServices lists, sorted, the restored timer services no
// NewTimerService call has created yet. Their timers are kept and written
// into later snapshots.
func (b *HeapBackend) UnclaimedTimerServices() []string {
	names := make([]string, 0, len(b.pendingTimers))
	for n := range b.pendingTimers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
