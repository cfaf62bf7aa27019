package kafkasink

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCommittableCodec(t *testing.T) {
	valid := []Committable{
		{TransactionalID: "job-0-1", ProducerID: 0, Epoch: 0},
		{TransactionalID: "job-12-345", ProducerID: math.MaxInt64, Epoch: math.MaxInt16},
		{TransactionalID: strings.Repeat("x", math.MaxInt16), ProducerID: 7, Epoch: 3},
	}
	for _, c := range valid {
		b, err := committableCodec{}.Encode(c)
		if err != nil {
			t.Fatalf("Encode(%v): %v", c, err)
		}
		got, err := committableCodec{}.Decode(b)
		if err != nil || got != c {
			t.Fatalf("Decode(Encode(%v)) = %v, %v", c, got, err)
		}
		// Any truncation is rejected, never decoded as something else.
		for i := range len(b) {
			if got, err := (committableCodec{}).Decode(b[:i]); err == nil {
				t.Fatalf("Decode of the first %d of %d bytes of %v = %v, want an error", i, len(b), c, got)
			}
		}
		if _, err := (committableCodec{}).Decode(append(b, 0)); !errors.Is(err, errCommittableFormat) {
			t.Fatalf("Decode with a trailing byte: %v, want errCommittableFormat", err)
		}
	}
	for _, c := range []Committable{
		{TransactionalID: "", ProducerID: 1},
		{TransactionalID: "a", ProducerID: -1},
		{TransactionalID: "a", ProducerID: 1, Epoch: -1},
		{TransactionalID: strings.Repeat("x", math.MaxInt16+1), ProducerID: 1},
	} {
		if _, err := (committableCodec{}).Encode(c); err == nil {
			t.Errorf("Encode(%+v) succeeded, want an error", c)
		}
	}
	if _, err := (committableCodec{}).Decode([]byte{2, 1, 'a', 2, 0}); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("Decode of version 2 = %v, want an error naming the version", err)
	}
}

func FuzzCommittableDecode(f *testing.F) {
	for _, c := range []Committable{{TransactionalID: "job-0-1", ProducerID: 42, Epoch: 1}, {TransactionalID: "p-3-9", ProducerID: 1 << 40}} {
		b, _ := committableCodec{}.Encode(c)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := committableCodec{}.Decode(b)
		if err != nil {
			if !errors.Is(err, errCommittableFormat) {
				t.Fatalf("Decode error %v does not wrap errCommittableFormat", err)
			}
			return
		}
		if err := c.validate(); err != nil {
			t.Fatalf("Decode returned an invalid committable %+v: %v", c, err)
		}
		enc, err := committableCodec{}.Encode(c)
		if err != nil {
			t.Fatalf("Encode(Decode(b)) = %v", err)
		}
		back, err := committableCodec{}.Decode(enc)
		if err != nil || back != c {
			t.Fatalf("Decode(Encode(%+v)) = %+v, %v", c, back, err)
		}
	})
}
