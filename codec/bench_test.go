package codec

import (
	"testing"
	"time"
)

// benchValue is a typical keyed-state value.
type benchValue struct {
	User   string
	Count  int64
	Sum    float64
	Window time.Time
	Tags   []string
}

// benchCodecs runs encode+decode of v with the default binary codec (once
// through Encode, once through AppendEncode into a reused buffer), gob and
// JSON, in the same run so they compare.
func benchCodecs[T any](b *testing.B, v T) {
	run := func(name string, c Codec[T]) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				enc, err := c.Encode(v)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("binary", For[T]())
	b.Run("binary-append", func(b *testing.B) {
		c := For[T]()
		a := c.(AppendEncoder[T])
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = a.AppendEncode(buf[:0], v); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Decode(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	run("gob", Gob[T]{})
	run("json", JSON[T]{})
}

func BenchmarkForString(b *testing.B) {
	benchCodecs(b, "user-0000012345")
}

func BenchmarkForInt64(b *testing.B) {
	benchCodecs(b, int64(1234567890))
}

func BenchmarkForStruct(b *testing.B) {
	benchCodecs(b, benchValue{
		User: "user-0000012345", Count: 42, Sum: 1234.5,
		Window: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Tags:   []string{"a", "bb"},
	})
}

// BenchmarkForFlatStruct has no strings or slices, so decoding allocates
// nothing either.
func BenchmarkForFlatStruct(b *testing.B) {
	benchCodecs(b, struct {
		P     point
		Count int64
		Sum   float64
		Seen  bool
	}{point{1, 2}, 3, 4.5, true})
}

func BenchmarkForMap(b *testing.B) {
	m := make(map[string]int64, 16)
	for i := range 16 {
		m[string(rune('a'+i))] = int64(i)
	}
	benchCodecs(b, m)
}
