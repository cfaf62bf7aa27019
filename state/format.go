package state

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// formatVersion is the version of the key group format described in doc.go.
// Readers reject other versions.
const formatVersion = 1

// stateKind is a keyed state's kind as written in snapshots.
type stateKind uint8

const (
	kindValue stateKind = 1 + iota
	kindList
	kindMap
	kindReducing
	kindAggregating
)

func (k stateKind) String() string {
	switch k {
	case kindValue:
		return "ValueState"
	case kindList:
		return "ListState"
	case kindMap:
		return "MapState"
	case kindReducing:
		return "ReducingState"
	case kindAggregating:
		return "AggregatingState"
	default:
		return fmt.Sprintf("state kind %d", uint8(k))
	}
}

// flagTTL marks a state whose entries carry expiry timestamps.
const flagTTL = 1

// Namespace tags: the void namespace needs no codec.
const (
	nsVoid  = 0
	nsCoded = 1
)

// kgWriter writes one key group in the canonical format.
type kgWriter struct {
	enc  *snapshot.Encoder
	keys codec.Codec[any]
	nss  codec.Codec[any]
	// now is the snapshot's processing time: data expired by then is left
	// out.
	now   int64
	kg    int
	state string // for errors
	pairs []mapPair
	// scratch holds one encoded value before it is written with its
	// length.
	scratch []byte
}

// appendEncode appends v encoded with c to dst, without an allocation when
// c can append (as the default codecs can).
func appendEncode[T any](c codec.Codec[T], dst []byte, v T) ([]byte, error) {
	if a, ok := c.(interface {
		AppendEncode(dst []byte, v T) ([]byte, error)
	}); ok {
		return a.AppendEncode(dst, v)
	}
	b, err := c.Encode(v)
	return append(dst, b...), err
}

// mapPair is a MapState element encoded for sorting.
type mapPair struct {
	k, v []byte
	exp  int64
}

func (w *kgWriter) key(k any) error {
	var err error
	if w.scratch, err = appendEncode(w.keys, w.scratch[:0], k); err != nil {
		return fmt.Errorf("state: snapshot of key group %d, state %q: encoding key %v (%T) with HeapOptions.KeyCodec: %w",
			w.kg, w.state, k, k, err)
	}
	w.enc.Bytes(w.scratch)
	return nil
}

func (w *kgWriter) namespace(ns any) error {
	if _, ok := ns.(VoidNamespace); ok {
		w.enc.Uvarint(nsVoid)
		return nil
	}
	b, err := encodeNamespace(w.nss, ns)
	if err != nil {
		return fmt.Errorf("state: snapshot of key group %d, state %q: %w", w.kg, w.state, err)
	}
	w.enc.Raw(b)
	return nil
}

// encodeNamespace returns ns as written: a tag, then for namespaces other
// than VoidNamespace the codec's bytes with their length.
func encodeNamespace(c codec.Codec[any], ns any) ([]byte, error) {
	if _, ok := ns.(VoidNamespace); ok {
		return []byte{nsVoid}, nil
	}
	if c == nil {
		return nil, fmt.Errorf("namespace %v (%T) cannot be snapshotted without HeapOptions.NamespaceCodec; "+
			"set it to a codec for the namespace type (windows: the window type)", ns, ns)
	}
	b, err := c.Encode(ns)
	if err != nil {
		return nil, fmt.Errorf("encoding namespace %v (%T) with HeapOptions.NamespaceCodec: %w", ns, ns, err)
	}
	var e snapshot.Encoder
	e.Uvarint(nsCoded)
	e.Bytes(b)
	return e.Data(), nil
}

// encodeWith encodes v for state w.state; errors name the state.
func encodeWith[T any](w *kgWriter, c codec.Codec[T], what string, v T) ([]byte, error) {
	b, err := c.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("state: snapshot of key group %d, state %q: encoding %s %T: %w", w.kg, w.state, what, v, err)
	}
	return b, nil
}

// writeValue writes v encoded with c, with its length.
func writeValue[T any](w *kgWriter, c codec.Codec[T], what string, v T) error {
	var err error
	if w.scratch, err = appendEncode(c, w.scratch[:0], v); err != nil {
		return fmt.Errorf("state: snapshot of key group %d, state %q: encoding %s %T: %w", w.kg, w.state, what, v, err)
	}
	w.enc.Bytes(w.scratch)
	return nil
}

// frozenState is one keyed state as a snapshot sees it.
type frozenState interface {
	frozenName() string
	// entries is the number of entries group g (index in the backend's
	// range) writes: a state without any is left out of the key group.
	entries(g int, now int64) int
	// write writes the state's part of group g, which has n entries.
	write(w *kgWriter, g, n int) error
}

// frozenTable is a registered state frozen by Snapshot.
type frozenTable[E any] struct {
	name   string
	kind   stateKind
	ttl    bool
	groups [][]slot[E]
	// live reports whether an entry holds data not expired at now; nil
	// without TTL.
	live    func(e *E, now int64) bool
	payload func(w *kgWriter, e *E) error
}

func (f *frozenTable[E]) frozenName() string { return f.name }

func (f *frozenTable[E]) entries(g int, now int64) int {
	slots := f.groups[g]
	if f.live == nil {
		return len(slots)
	}
	n := 0
	for i := range slots {
		if f.live(&slots[i].e, now) {
			n++
		}
	}
	return n
}

func (f *frozenTable[E]) write(w *kgWriter, g, n int) error {
	slots := f.groups[g]
	w.state = f.name
	writeStateHeader(w.enc, f.name, f.kind, f.ttl)
	w.enc.Uvarint(uint64(n))
	for i := range slots {
		sl := &slots[i]
		if f.live != nil && !f.live(&sl.e, w.now) {
			continue
		}
		if err := w.key(sl.k.key); err != nil {
			return err
		}
		if err := w.namespace(sl.k.ns); err != nil {
			return err
		}
		if err := f.payload(w, &sl.e); err != nil {
			return err
		}
	}
	return nil
}

func writeStateHeader(e *snapshot.Encoder, name string, kind stateKind, ttl bool) {
	e.String(name)
	e.Uvarint(uint64(kind))
	var flags uint64
	if ttl {
		flags |= flagTTL
	}
	e.Uvarint(flags)
}

// freezeTable builds the frozen view of a registered state.
func freezeTable[E any](s *keyedState[E], live func(e *E, now int64) bool, payload func(w *kgWriter, e *E) error) frozenState {
	f := &frozenTable[E]{name: s.name, kind: s.kind, ttl: s.ttl.enabled, groups: s.t.frozen(), payload: payload}
	if s.ttl.enabled {
		f.live = live
	}
	return f
}

// frozenRaw is restored state never registered: its bytes are written back
// as they were read.
type frozenRaw struct {
	p *pendingState
}

func (f frozenRaw) frozenName() string { return f.p.name }

func (f frozenRaw) entries(g int, _ int64) int {
	if f.p.sections[g] == nil {
		return 0
	}
	return int(snapshot.NewDecoder(f.p.sections[g]).Uvarint())
}

func (f frozenRaw) write(w *kgWriter, g, _ int) error {
	writeStateHeader(w.enc, f.p.name, f.p.kind, f.p.ttl)
	w.enc.Raw(f.p.sections[g])
	return nil
}

// timerRecord is a timer encoded for sorting.
type timerRecord struct {
	key, ns []byte
	ts      int64
}

// writeTimers writes one timer queue's timers of a key group, sorted by
// timestamp then key and namespace bytes so equal state writes equal bytes.
func (w *kgWriter) writeTimers(timers func(yield func(Timer) bool)) error {
	var recs []timerRecord
	var err error
	timers(func(t Timer) bool {
		var kb, nb []byte
		if kb, err = w.keys.Encode(t.Key); err != nil {
			err = fmt.Errorf("state: snapshot of key group %d, timer service %q: encoding key %v (%T) with HeapOptions.KeyCodec: %w",
				w.kg, w.state, t.Key, t.Key, err)
			return false
		}
		if nb, err = encodeNamespace(w.nss, t.Namespace); err != nil {
			err = fmt.Errorf("state: snapshot of key group %d, timer service %q: %w", w.kg, w.state, err)
			return false
		}
		recs = append(recs, timerRecord{key: kb, ns: nb, ts: t.Timestamp})
		return true
	})
	if err != nil {
		return err
	}
	slices.SortFunc(recs, func(a, b timerRecord) int {
		if c := cmp.Compare(a.ts, b.ts); c != 0 {
			return c
		}
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		return bytes.Compare(a.ns, b.ns)
	})
	w.enc.Uvarint(uint64(len(recs)))
	for _, r := range recs {
		w.enc.Bytes(r.key)
		w.enc.Raw(r.ns)
		w.enc.Varint(r.ts)
	}
	return nil
}

// restoredExpiry maps an entry's expiry in the snapshot to the restored
// state's TTL policy: data expired at restore is dropped, data without an
// expiry counts as written at restore when the state now has a TTL, and
// expiries are dropped when the state no longer has one.
// readExpiry reads an entry's expiry (present when the snapshot had a
// TTL) after its payload and maps it through restoredExpiry.
func readExpiry(d *snapshot.Decoder, snapTTL bool, p ttlPolicy, now int64) (exp int64, keep bool, err error) {
	if snapTTL {
		exp = d.Varint()
	}
	if err := d.Err(); err != nil {
		return 0, false, err
	}
	exp, keep = restoredExpiry(snapTTL, exp, p, now)
	return exp, keep, nil
}

func restoredExpiry(snapTTL bool, exp int64, p ttlPolicy, now int64) (int64, bool) {
	if snapTTL {
		if exp <= now {
			return 0, false
		}
		if p.enabled {
			return exp, true
		}
		return 0, true
	}
	if p.enabled {
		return now + p.ttl, true
	}
	return 0, true
}
