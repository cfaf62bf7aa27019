package codec

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

// canonical decodes b as a T; bad input must fail with ErrCorrupt, and
// input that decodes must encode back to exactly b.
func canonical[T any](t *testing.T, b []byte) {
	t.Helper()
	c := For[T]()
	v, err := c.Decode(b)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%T: decode error %v does not wrap ErrCorrupt", v, err)
		}
		return
	}
	again, err := c.Encode(v)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("%T: %x decoded to %#v, which encodes to %x, %v", v, b, v, again, err)
	}
}

func FuzzBinaryDecode(f *testing.F) {
	add := func(b []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	add(For[outer]().Encode(sampleOuter()))
	add(For[outer]().Encode(outer{}))
	add(For[string]().Encode("seed"))
	add(For[map[string][]int]().Encode(map[string][]int{"a": {1, 2}, "b": nil}))
	add(For[*node]().Encode(&node{1, &node{2, nil}}))
	add(For[time.Time]().Encode(time.Date(2026, 1, 1, 0, 0, 0, 1, time.FixedZone("", 3600))))
	add(For[map[float64]int]().Encode(map[float64]int{math.NaN(): 1, math.NaN(): 2, 0: 3}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		canonical[string](t, b)
		canonical[int64](t, b)
		canonical[int16](t, b)
		canonical[uint32](t, b)
		canonical[float32](t, b)
		canonical[bool](t, b)
		canonical[[]byte](t, b)
		canonical[time.Time](t, b)
		canonical[outer](t, b)
		canonical[[]inner](t, b)
		canonical[map[string][]int](t, b)
		canonical[map[float64]int](t, b)
		canonical[map[point]struct{}](t, b)
		canonical[*node](t, b)
		canonical[[]kelvin](t, b)
		canonical[[3]complex64](t, b)
		canonical[[]struct{}](t, b)
	})
}

func FuzzBinaryRoundTrip(f *testing.F) {
	f.Add("key", int64(-1), uint64(300), 1.5, []byte("raw"), true, uint8(3))
	f.Add("", int64(math.MinInt64), uint64(math.MaxUint64), math.NaN(), []byte(nil), false, uint8(0))
	f.Fuzz(func(t *testing.T, s string, i int64, u uint64, x float64, raw []byte, flag bool, n uint8) {
		v := outer{
			ID: userID(s), Level: level(i), Flags: flags(u), Temp: celsius(x),
			Tags:   tags{s, ""},
			ByName: map[string]inner{s: {Name: s, Score: x, When: time.Unix(i, int64(u%1e9)).UTC()}},
			Raw:    raw, C: complex(x, -x), C64: complex(float32(x), 1), F32: float32(x),
			Wait: time.Duration(i), U: uint(u), Ptr: uintptr(u),
			Set: map[int64]struct{}{i: {}, int64(u): {}, int64(n): {}},
		}
		for j := range n % 8 {
			v.Points = append(v.Points, point{int32(i) + int32(j), int32(u)})
			v.Nested = append(v.Nested, []string{s[:min(len(s), int(j))]})
		}
		if flag {
			v.Opt = new(int)
			*v.Opt = int(i)
			v.Next = &outer{ID: userID(s), Raw: raw}
		}
		c := For[outer]()
		b, err := c.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(b)
		if err != nil {
			t.Fatalf("decode %x: %v", b, err)
		}
		if again, _ := c.Encode(got); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", again, b)
		}
		if !math.IsNaN(x) && !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", got, v)
		}

		basic := func(ok bool, what string) {
			t.Helper()
			if !ok {
				t.Fatalf("%s did not round-trip", what)
			}
		}
		sb, _ := For[string]().Encode(s)
		sv, err := For[string]().Decode(sb)
		basic(err == nil && sv == s, "string")
		ib, _ := For[int64]().Encode(i)
		iv, err := For[int64]().Decode(ib)
		basic(err == nil && iv == i, "int64")
		ub, _ := For[uint64]().Encode(u)
		uv, err := For[uint64]().Decode(ub)
		basic(err == nil && uv == u, "uint64")
		xb, _ := For[float64]().Encode(x)
		xv, err := For[float64]().Decode(xb)
		basic(err == nil && math.Float64bits(xv) == math.Float64bits(x), "float64")
		rb, _ := For[[]byte]().Encode(raw)
		rv, err := For[[]byte]().Decode(rb)
		basic(err == nil && bytes.Equal(rv, raw) && (rv == nil) == (raw == nil), "[]byte")
	})
}
