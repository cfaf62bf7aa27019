package kafkasource

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestSplitCodecRoundTrip(t *testing.T) {
	tests := []Split{
		{TopicPartition: tp("t", 0), StartingOffset: 0, StoppingOffset: NoStoppingOffset},
		{TopicPartition: tp("orders.v2-eu", 17), StartingOffset: 123456789, StoppingOffset: 123456790},
		{TopicPartition: tp("x", math.MaxInt32), StartingOffset: math.MaxInt64, StoppingOffset: 0},
	}
	for _, s := range tests {
		b, err := splitCodec{}.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := splitCodec{}.Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if got != s {
			t.Fatalf("round trip of %v gave %v", s, got)
		}
	}
}

func TestSplitCodecRejects(t *testing.T) {
	good, err := splitCodec{}.Encode(Split{TopicPartition: tp("t", 1), StartingOffset: 5, StoppingOffset: 9})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown format", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(append([]byte{}, good...), 0)},
		{"empty topic", []byte{splitFormat, 0, 2, 10, 18}},
		{"negative partition", []byte{splitFormat, 1, 't', 1, 10, 18}},
		{"negative start", []byte{splitFormat, 1, 't', 2, 1, 18}},
		{"stop below -1", []byte{splitFormat, 1, 't', 2, 10, 3}},
		{"overlong varint", []byte{splitFormat, 1, 't', 0x82, 0x00, 10, 18}},
		{"topic longer than input", []byte{splitFormat, 50, 't'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := (splitCodec{}).Decode(tt.b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode(%x) = %v, want ErrCorrupt", tt.b, err)
			}
		})
	}
	if _, err := (splitCodec{}).Encode(Split{TopicPartition: tp("t", -1)}); err == nil {
		t.Fatal("encoded a split with a negative partition")
	}
}

func TestStateCodecRoundTrip(t *testing.T) {
	tests := []EnumeratorState{
		{},
		{InitialDiscoveryDone: true},
		{
			Assigned: []TopicPartition{tp("a", 0), tp("a", 1), tp("b", 0)},
			Pending: []Split{
				{TopicPartition: tp("a", 2), StartingOffset: 7, StoppingOffset: NoStoppingOffset},
				{TopicPartition: tp("c", 0), StartingOffset: 0, StoppingOffset: 3},
			},
			InitialDiscoveryDone: true,
		},
	}
	for _, st := range tests {
		b, err := stateCodec{}.Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := stateCodec{}.Decode(b)
		if err != nil {
			t.Fatalf("%+v: %v", st, err)
		}
		if !reflect.DeepEqual(got, st) {
			t.Fatalf("round trip of %+v gave %+v", st, got)
		}
	}
}

func TestStateCodecRejects(t *testing.T) {
	dup := EnumeratorState{Assigned: []TopicPartition{tp("a", 0)}, Pending: []Split{{TopicPartition: tp("a", 0), StoppingOffset: NoStoppingOffset}}}
	if _, err := (stateCodec{}).Encode(dup); err == nil {
		t.Fatal("encoded a state holding a partition twice")
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"bad flag", []byte{stateFormat, 2, 0, 0}},
		{"huge count", []byte{stateFormat, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"duplicate partition", []byte{stateFormat, 0, 2, 1, 'a', 0, 1, 'a', 0, 0}},
		{"trailing", []byte{stateFormat, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := (stateCodec{}).Decode(tt.b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode(%x) = %v, want ErrCorrupt", tt.b, err)
			}
		})
	}
}

// FuzzSplitCodec checks that decoding never panics and that whatever
// decodes encodes back to the same bytes.
func FuzzSplitCodec(f *testing.F) {
	for _, s := range []Split{
		{TopicPartition: tp("t", 0), StoppingOffset: NoStoppingOffset},
		{TopicPartition: tp("events", 3), StartingOffset: 1 << 40, StoppingOffset: 1<<40 + 5},
	} {
		b, _ := splitCodec{}.Encode(s)
		f.Add(b)
	}
	f.Add([]byte{splitFormat, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := splitCodec{}.Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := splitCodec{}.Encode(s)
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", s, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%x decoded to %v, which encodes to %x", b, s, again)
		}
	})
}

// FuzzStateCodec is FuzzSplitCodec for enumerator checkpoints.
func FuzzStateCodec(f *testing.F) {
	for _, st := range []EnumeratorState{
		{},
		{Assigned: []TopicPartition{tp("a", 0), tp("b", 9)}, InitialDiscoveryDone: true},
		{Pending: []Split{{TopicPartition: tp("a", 1), StartingOffset: 4, StoppingOffset: 8}}},
	} {
		b, _ := stateCodec{}.Encode(st)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := stateCodec{}.Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := stateCodec{}.Encode(st)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", st, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", b, st, again)
		}
	})
}

func TestSplitID(t *testing.T) {
	s := Split{TopicPartition: tp("a-1", 0), StartingOffset: 3, StoppingOffset: NoStoppingOffset}
	if s.SplitID() != "a-1-0" || s.String() != "a-1-0[3,∞)" {
		t.Fatalf("%q %q", s.SplitID(), s.String())
	}
}

func TestOwner(t *testing.T) {
	// Values of Flink's KafkaSourceEnumerator.getSplitOwner, worked out
	// by hand: "topic".hashCode() = 110546223; *31 = 3426932913, which
	// wraps to -868034383 as a Java int; & 0x7FFFFFFF = 1279449265.
	tests := []struct {
		tp   TopicPartition
		p    int
		want int
	}{
		{tp("topic", 0), 1, 0},
		{tp("topic", 0), 4, 1279449265 % 4},
		{tp("topic", 1), 4, (1279449265 + 1) % 4},
		{tp("topic", 0), 7, 1279449265 % 7},
		{tp("topic", 5), 7, (1279449265 + 5) % 7},
	}
	for _, tt := range tests {
		if got := Owner(tt.tp, tt.p); got != tt.want {
			t.Errorf("Owner(%v, %d) = %d, want %d", tt.tp, tt.p, got, tt.want)
		}
	}
	// A topic's partitions spread evenly: with n partitions over p
	// readers every reader gets n/p or n/p+1.
	for _, p := range []int{1, 2, 3, 5} {
		for _, n := range []int{1, 4, 10, 13} {
			count := make([]int, p)
			for i := range n {
				count[Owner(tp("orders", int32(i)), p)]++
			}
			for r, c := range count {
				if c != n/p && c != n/p+1 {
					t.Errorf("%d partitions over %d readers: reader %d owns %d", n, p, r, c)
				}
			}
		}
	}
}
