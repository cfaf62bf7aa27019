package state

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/snapshot"
)

// Kinds of the timer entries InspectKeyGroup reports next to the state
// kinds ("ValueState", "ListState", "MapState", "ReducingState",
// "AggregatingState").
const (
	KindEventTimeTimers      = "EventTimeTimers"
	KindProcessingTimeTimers = "ProcessingTimeTimers"
)

// ErrFormatVersion is wrapped by InspectKeyGroup's error for data that does
// not start with a key group format version this build reads: a newer
// format, or bytes that are not a bare key group at all (an operator that
// wraps key groups, such as the window operator's two backends).
var ErrFormatVersion = errors.New("state: unknown key group format version")

// StateSummary describes one keyed state, or one kind of timers of a timer
// service, within a key group.
type StateSummary struct {
	Name string
	// Kind is the state's kind ("ValueState", ...) or KindEventTimeTimers
	// or KindProcessingTimeTimers.
	Kind string
	// TTL is set when the entries carry expiry times.
	TTL bool
	// Entries is the number of (key, namespace) entries, or of timers.
	Entries int
	// Elements is the number of values behind the entries: list elements,
	// map entries, one per entry for the other kinds and for timers.
	Elements int
	// Bytes is the size of the state's part of the key group, its header
	// (name, kind) included. The name of a timer service counts toward the
	// first of its two kinds reported.
	Bytes int
}

// InspectKeyGroup summarises key group kg written in the canonical format
// (see the package documentation) without decoding keys, namespaces or
// values, so it needs none of the codecs: per state its kind and the
// number of entries and bytes, per timer service the number of event-time
// and processing-time timers (a kind without timers is left out). It checks
// the framing as a restore does; errors name the key group and the state,
// and wrap snapshot.ErrCorrupt for damaged data or ErrFormatVersion for a
// format version other than this build's. Empty data is an empty key group.
func InspectKeyGroup(kg int, data []byte) ([]StateSummary, error) {
	if len(data) == 0 {
		return nil, nil
	}
	d := snapshot.NewDecoder(data)
	fail := func(err error) ([]StateSummary, error) {
		return nil, fmt.Errorf("state: inspecting key group %d: %w", kg, err)
	}
	corrupt := func(format string, args ...any) ([]StateSummary, error) {
		return fail(fmt.Errorf("%w: %s", snapshot.ErrCorrupt, fmt.Sprintf(format, args...)))
	}
	if v := d.Uvarint(); d.Err() != nil {
		return fail(d.Err())
	} else if v != formatVersion {
		return fail(fmt.Errorf("%w %d (this build reads version %d)", ErrFormatVersion, v, formatVersion))
	}
	if got := d.Uvarint(); d.Err() == nil && got != uint64(kg) {
		return corrupt("the data is key group %d's", got)
	}
	nStates := d.Uvarint()
	if err := checkCount(d, nStates, 4); err != nil {
		return fail(err)
	}
	var out []StateSummary
	prev := ""
	for i := uint64(0); i < nStates; i++ {
		start := d.Len()
		name := d.String()
		kind := stateKind(d.Uvarint())
		flags := d.Uvarint()
		if err := d.Err(); err != nil {
			return fail(fmt.Errorf("state header: %w", err))
		}
		if kind < kindValue || kind > kindAggregating || flags&^flagTTL != 0 {
			return corrupt("state %q has kind %d and flags %#x", name, kind, flags)
		}
		if i > 0 && name <= prev {
			return corrupt("state %q follows %q; states are written once each, sorted by name", name, prev)
		}
		prev = name
		s := StateSummary{Name: name, Kind: kind.String(), TTL: flags&flagTTL != 0}
		var err error
		if s.Entries, s.Elements, err = countEntries(d, kind, s.TTL); err != nil {
			return fail(fmt.Errorf("state %q: %w", name, err))
		}
		s.Bytes = start - d.Len()
		out = append(out, s)
	}
	nServices := d.Uvarint()
	if err := checkCount(d, nServices, 3); err != nil {
		return fail(fmt.Errorf("timer services: %w", err))
	}
	prev = ""
	for i := uint64(0); i < nServices; i++ {
		start := d.Len()
		name := d.String()
		if err := d.Err(); err != nil {
			return fail(fmt.Errorf("timer service name: %w", err))
		}
		if i > 0 && name <= prev {
			return corrupt("timer service %q follows %q; services are written once each, sorted by name", name, prev)
		}
		prev = name
		for _, kind := range [...]string{KindEventTimeTimers, KindProcessingTimeTimers} {
			n, err := countTimers(d)
			if err != nil {
				return fail(fmt.Errorf("timer service %q: %w", name, err))
			}
			if n == 0 {
				continue
			}
			out = append(out, StateSummary{Name: name, Kind: kind, Entries: n, Elements: n, Bytes: start - d.Len()})
			start = d.Len()
		}
	}
	if d.Len() != 0 {
		return corrupt("%d bytes after the last timer service", d.Len())
	}
	return out, nil
}

// countEntries reads past a state's entries as skipEntries does, counting
// them and the values behind them.
func countEntries(d *snapshot.Decoder, kind stateKind, ttl bool) (entries, elements int, err error) {
	n := d.Uvarint()
	if err := checkCount(d, n, 3); err != nil {
		return 0, 0, err
	}
	for i := uint64(0); i < n; i++ {
		d.Bytes() // key
		if err := skipNamespace(d); err != nil {
			return 0, 0, err
		}
		m, per := uint64(1), 1
		switch kind {
		case kindList:
			m = d.Uvarint()
		case kindMap:
			m, per = d.Uvarint(), 2
		}
		if err := skipElems(d, m, per, ttl); err != nil {
			return 0, 0, err
		}
		elements += int(m)
	}
	return int(n), elements, d.Err()
}

// countTimers reads past one timer queue of a key group, counting it.
func countTimers(d *snapshot.Decoder) (int, error) {
	n := d.Uvarint()
	if err := checkCount(d, n, 3); err != nil {
		return 0, err
	}
	for i := uint64(0); i < n; i++ {
		d.Bytes() // key
		if err := skipNamespace(d); err != nil {
			return 0, err
		}
		d.Varint()
	}
	return int(n), d.Err()
}
