package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

// inspectFixture snapshots a backend holding every kind of state, with
// TTL, namespaces and both kinds of timers, for keys 0..nKeys-1, and
// returns every key group's bytes.
func inspectFixture(t testing.TB, nKeys int) map[int][]byte {
	b := fuzzBackend(1000)
	defer b.Close()
	v, _ := GetValueState(b, ValueDescriptor[int]{Name: "v", Codec: varintCodec{}})
	l, _ := GetListState(b, ListDescriptor[int]{Name: "ll", TTL: fuzzTTL("ll"), Codec: varintCodec{}})
	m, _ := GetMapState(b, MapDescriptor[int, int]{Name: "m", KeyCodec: varintCodec{}, ValueCodec: varintCodec{}})
	r, _ := GetReducingState(b, ReducingDescriptor[int]{Name: "rr", TTL: fuzzTTL("rr"), Reduce: addInts, Codec: varintCodec{}})
	a, _ := GetAggregatingState(b, AggregatingDescriptor[int, int, int]{Name: "a", Aggregate: sumInts{}, AccCodec: varintCodec{}})
	ts := NewTimerService(b, &fakePTS{}, nopTarget{})
	for k := range nKeys {
		b.SetCurrentKey(k)
		_ = v.Update(k)
		_ = l.AddAll([]int{k, -k, 2 * k})
		_ = m.Put(k, 2*k)
		_ = m.Put(k+1, k)
		_ = r.Add(k)
		// Two windows per key: two aggregating entries.
		for w := range int64(2) {
			a.(Namespaced).SetNamespace(snapWin{w, 10})
			_ = a.Add(k)
		}
		ts.RegisterEventTimeTimer(snapWin{1, 2}, int64(k))
		ts.RegisterProcessingTimeTimer(VoidNamespace{}, int64(k*3))
		ts.RegisterProcessingTimeTimer(VoidNamespace{}, int64(k*3+1))
	}
	s, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	out := map[int][]byte{}
	for kg := range fxMaxPar {
		var e snapshot.Encoder
		if err := s.WriteKeyGroup(kg, &e); err != nil {
			t.Fatal(err)
		}
		out[kg] = bytes.Clone(e.Data())
	}
	return out
}

func uvarintLen(v uint64) int { return len(binary.AppendUvarint(nil, v)) }

func TestInspectKeyGroup(t *testing.T) {
	const nKeys = 40
	groups := inspectFixture(t, nKeys)
	perKG := map[int]int{}
	for k := range nKeys {
		perKG[keygroup.Of(k, fxMaxPar)]++
	}
	seen := 0
	for kg := range fxMaxPar {
		got, err := InspectKeyGroup(kg, groups[kg])
		if err != nil {
			t.Fatalf("key group %d: %v", kg, err)
		}
		n := perKG[kg]
		if n == 0 {
			if len(got) != 0 {
				t.Fatalf("key group %d holds no key but reports %+v", kg, got)
			}
			continue
		}
		seen++
		want := []StateSummary{
			{Name: "a", Kind: "AggregatingState", Entries: 2 * n, Elements: 2 * n},
			{Name: "ll", Kind: "ListState", TTL: true, Entries: n, Elements: 3 * n},
			{Name: "m", Kind: "MapState", Entries: n, Elements: 2 * n},
			{Name: "rr", Kind: "ReducingState", TTL: true, Entries: n, Elements: n},
			{Name: "v", Kind: "ValueState", Entries: n, Elements: n},
			{Name: DefaultTimerService, Kind: KindEventTimeTimers, Entries: n, Elements: n},
			{Name: DefaultTimerService, Kind: KindProcessingTimeTimers, Entries: 2 * n, Elements: 2 * n},
		}
		// Every byte belongs to a state or to the key group's header.
		total := uvarintLen(formatVersion) + uvarintLen(uint64(kg)) + uvarintLen(5) + uvarintLen(1)
		for i := range got {
			if got[i].Bytes <= 0 {
				t.Errorf("key group %d: %s has %d bytes", kg, got[i].Name, got[i].Bytes)
			}
			total += got[i].Bytes
			got[i].Bytes = 0
		}
		if total != len(groups[kg]) {
			t.Errorf("key group %d: states and header add up to %d bytes, the key group has %d", kg, total, len(groups[kg]))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("key group %d:\n got %+v\nwant %+v", kg, got, want)
		}
	}
	if seen == 0 {
		t.Fatal("no key group held keys")
	}
	if got, err := InspectKeyGroup(3, nil); err != nil || got != nil {
		t.Errorf("empty key group = %v, %v; want nothing", got, err)
	}
}

func TestInspectKeyGroupRejectsDamage(t *testing.T) {
	var e snapshot.Encoder
	e.Uvarint(formatVersion)
	e.Uvarint(7)
	e.Uvarint(1)
	writeStateHeader(&e, "count", kindValue, false)
	e.Uvarint(1)
	e.Bytes([]byte("key"))
	e.Uvarint(nsVoid)
	e.Bytes([]byte{42})
	e.Uvarint(0) // no timer services
	good := bytes.Clone(e.Data())
	if got, err := InspectKeyGroup(7, good); err != nil || len(got) != 1 || got[0].Entries != 1 {
		t.Fatalf("good key group = %+v, %v", got, err)
	}
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tt := range []struct {
		name    string
		kg      int
		data    []byte
		want    error
		message string
	}{
		{"newer version", 7, with(func(b []byte) []byte { b[0] = 2; return b }), ErrFormatVersion, "version 2"},
		{"window operator's wrapping", 7, func() []byte {
			var w snapshot.Encoder
			w.Bytes(good)
			w.Bytes(nil)
			return w.Data()
		}(), ErrFormatVersion, "key group 7"},
		{"other key group", 8, good, snapshot.ErrCorrupt, "key group 7's"},
		{"truncated", 7, good[:len(good)-3], snapshot.ErrCorrupt, "state \"count\""},
		{"trailing bytes", 7, append(with(func(b []byte) []byte { return b }), 0), snapshot.ErrCorrupt, "after the last timer service"},
		{"bad kind", 7, with(func(b []byte) []byte { b[9] = 9; return b }), snapshot.ErrCorrupt, "kind 9"},
		{"bad namespace tag", 7, with(func(b []byte) []byte { b[16] = 5; return b }), snapshot.ErrCorrupt, "namespace tag 5"},
		{"huge entry count", 7, with(func(b []byte) []byte { b[11] = 0x7f; return b }), snapshot.ErrCorrupt, "127 entries announced"},
		{"unsorted states", 7, func() []byte {
			var w snapshot.Encoder
			w.Uvarint(formatVersion)
			w.Uvarint(7)
			w.Uvarint(2)
			for _, name := range []string{"b", "a"} {
				writeStateHeader(&w, name, kindValue, false)
				w.Uvarint(0)
			}
			w.Uvarint(0)
			return w.Data()
		}(), snapshot.ErrCorrupt, `state "a" follows "b"`},
		{"timer count beyond the end", 7, func() []byte {
			b := bytes.Clone(good[:len(good)-1])
			b = append(b, 1)
			b = binary.AppendUvarint(b, 2)
			b = append(b, 't', 's')
			return append(b, 100)
		}(), snapshot.ErrCorrupt, `timer service "ts"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InspectKeyGroup(tt.kg, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("InspectKeyGroup = %+v, %v; want an error wrapping %v", got, err, tt.want)
			}
			if msg := err.Error(); !bytes.Contains([]byte(msg), []byte(tt.message)) || !bytes.Contains([]byte(msg), []byte("key group")) {
				t.Errorf("error %q does not name the key group and %q", msg, tt.message)
			}
		})
	}
}

// FuzzInspectKeyGroup checks that inspecting never panics and accepts
// whatever a restore accepts, reporting the states the restore found.
func FuzzInspectKeyGroup(f *testing.F) {
	groups := inspectFixture(f, 40)
	for kg := range 6 {
		f.Add(uint8(kg), groups[kg])
	}
	f.Add(uint8(0), []byte{})
	f.Add(uint8(3), []byte{1, 3, 1, 1, 'v', 1, 0, 200, 1})
	f.Fuzz(func(t *testing.T, kgByte uint8, data []byte) {
		kg := int(kgByte) % fxMaxPar
		got, inspectErr := InspectKeyGroup(kg, data)
		if inspectErr == nil {
			sum := 0
			for _, s := range got {
				if s.Entries < 0 || s.Elements < 0 || s.Bytes <= 0 {
					t.Fatalf("summary %+v has negative counts or no bytes", s)
				}
				sum += s.Bytes
			}
			if sum > len(data) {
				t.Fatalf("summaries add up to %d bytes of %d", sum, len(data))
			}
		}
		b := fuzzBackend(1000)
		defer b.Close()
		if err := b.RestoreKeyGroup(kg, data); err != nil {
			return
		}
		if inspectErr != nil {
			t.Fatalf("a restore accepts the key group, inspecting fails: %v", inspectErr)
		}
		var states, services []string
		for _, s := range got {
			if s.Kind == KindEventTimeTimers || s.Kind == KindProcessingTimeTimers {
				services = append(services, s.Name)
			} else {
				states = append(states, s.Name)
			}
		}
		if want := b.UnclaimedStates(); !slices.Equal(states, want) {
			t.Fatalf("inspect found states %q, the restore %q", states, want)
		}
		for _, s := range slices.Compact(services) {
			if !slices.Contains(b.UnclaimedTimerServices(), s) {
				t.Fatalf("inspect found timer service %q, the restore only %q", s, b.UnclaimedTimerServices())
			}
		}
	})
}
