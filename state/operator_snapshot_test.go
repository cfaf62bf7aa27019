package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/snapshot"
)

// varintCodec is a compact int codec that rejects anything else.
type varintCodec struct{}

func (varintCodec) Encode(v int) ([]byte, error) { return binary.AppendVarint(nil, int64(v)), nil }

func (varintCodec) Decode(b []byte) (int, error) {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("varintCodec: %d bytes are not one varint", len(b))
	}
	return int(v), nil
}

func TestOperatorStoreSnapshotRestore(t *testing.T) {
	s := NewOperatorStore()
	split, _ := GetOperatorListState(s, "offsets", WithCodec[int](varintCodec{}))
	union, _ := GetUnionListState[string](s, "names")
	bc, _ := GetBroadcastState(s, MapDescriptor[string, int]{Name: "rules", ValueCodec: varintCodec{}})
	_ = split.AddAll([]int{1, 2, 3})
	_ = union.AddAll([]string{"a", "b"})
	_ = bc.PutAll(map[string]int{"x": 1, "y": 2, "z": 3})
	lists, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range lists {
		names = append(names, fmt.Sprint(l.Name, "/", l.Mode, "/", len(l.Elements)))
	}
	if want := []string{"names/union/2", "offsets/split/3", "rules/broadcast/3"}; !slices.Equal(names, want) {
		t.Fatalf("Snapshot = %v, want %v", names, want)
	}
	if e := lists[1].Elements[2]; !bytes.Equal(e, []byte{6}) {
		t.Fatalf("offsets element 2 = %x, want the varint codec's 06", e)
	}
	// Equal broadcast maps write equal bytes.
	again, _ := s.Snapshot()
	if !reflect.DeepEqual(again, lists) {
		t.Fatal("two snapshots of the same state differ")
	}

	r := NewOperatorStore()
	// The runtime may hand over one list per old subtask: split and union
	// lists are concatenated.
	extra := snapshot.ListState{Name: "offsets", Mode: snapshot.Split, Elements: [][]byte{{8}}}
	if err := r.Restore(append(slices.Clone(lists), extra)); err != nil {
		t.Fatal(err)
	}
	if got := r.UnclaimedStates(); !slices.Equal(got, []string{"names", "offsets", "rules"}) {
		t.Fatalf("UnclaimedStates = %v", got)
	}
	split2, err := GetOperatorListState(r, "offsets", WithCodec[int](varintCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := split2.Get(); !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Fatalf("offsets = %v", got)
	}
	bc2, err := GetBroadcastState(r, MapDescriptor[string, int]{Name: "rules", ValueCodec: varintCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := bc2.Len(); n != 3 {
		t.Fatalf("rules has %d entries", n)
	}
	if v, ok, _ := bc2.Get("y"); !ok || v != 2 {
		t.Fatalf("rules[y] = %v %v", v, ok)
	}
	// "names" was never asked for: it is kept as it was.
	lists2, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lists2[0], lists[0]) {
		t.Fatalf("unclaimed %v written back as %v", lists[0], lists2[0])
	}
	union2, err := GetUnionListState[string](r, "names")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := union2.Get(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("names = %v", got)
	}
}

func TestOperatorStoreRestoreErrors(t *testing.T) {
	lists := []snapshot.ListState{
		{Name: "offsets", Mode: snapshot.Split, Elements: [][]byte{{2}, {0x80}}},
		{Name: "rules", Mode: snapshot.Broadcast, Elements: [][]byte{{1, 'a', 5}}},
	}
	cases := []struct {
		name    string
		run     func(s *OperatorStore) error
		want    string
		corrupt bool
	}{
		{"bad element", func(s *OperatorStore) error {
			_, err := GetOperatorListState(s, "offsets", WithCodec[int](varintCodec{}))
			return err
		}, `operator state "offsets": snapshot: corrupt state data: decoding element 1`, true},
		{"mode changed", func(s *OperatorStore) error { _, err := GetUnionListState[int](s, "offsets"); return err },
			"snapshotted as split state", false},
		{"truncated broadcast entry", func(s *OperatorStore) error {
			_, err := GetBroadcastState(s, MapDescriptor[string, int]{Name: "rules"})
			return err
		}, `"rules": entry 0`, true},
		{"restore after registration", func(s *OperatorStore) error {
			s2 := NewOperatorStore()
			_, _ = GetOperatorListState[int](s2, "x")
			return s2.Restore(lists)
		}, "before the operator registers", false},
		{"unknown mode", func(s *OperatorStore) error {
			return NewOperatorStore().Restore([]snapshot.ListState{{Name: "m", Mode: 7}})
		}, "unknown mode", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewOperatorStore()
			if err := s.Restore(lists); err != nil {
				t.Fatal(err)
			}
			err := tc.run(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if errors.Is(err, snapshot.ErrCorrupt) != tc.corrupt {
				t.Fatalf("errors.Is(ErrCorrupt) = %v, want %v", !tc.corrupt, tc.corrupt)
			}
		})
	}
	// The codec error does not register the state; a fixed codec can.
	s := NewOperatorStore()
	_ = s.Restore(lists[:1])
	if _, err := GetOperatorListState(s, "offsets", WithCodec[int](varintCodec{})); err == nil {
		t.Fatal("want an error")
	}
	if _, err := GetOperatorListState(s, "offsets", WithCodec(codec.Codec[int](rawByteCodec{}))); err != nil {
		t.Fatalf("retry with another codec: %v", err)
	}
}

// rawByteCodec reads any single byte.
type rawByteCodec struct{}

func (rawByteCodec) Encode(v int) ([]byte, error) { return []byte{byte(v)}, nil }
func (rawByteCodec) Decode(b []byte) (int, error) {
	if len(b) != 1 {
		return 0, errors.New("rawByteCodec: one byte expected")
	}
	return int(b[0]), nil
}
