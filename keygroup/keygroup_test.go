package keygroup

import (
	"fmt"
	"testing"
)

func TestDefaultMaxParallelism(t *testing.T) {
	cases := []struct{ p, want int }{
		{1, 128}, {4, 128}, {85, 128}, {86, 256}, {100, 256}, {1000, 2048}, {30000, 32768},
	}
	for _, c := range cases {
		if got := DefaultMaxParallelism(c.p); got != c.want {
			t.Errorf("DefaultMaxParallelism(%d) = %d, want %d", c.p, got, c.want)
		}
	}
}

// Hash codes must equal Java's hashCode so keys land in the key groups Flink would pick.
func TestMatchesFlinkAssignment(t *testing.T) {
	if got := StringHash("hello"); got != 99162322 {
		t.Fatalf("StringHash(hello) = %d, want Java's 99162322", got)
	}
	if got := StringHash("héllo€𝄞"); got != javaHash([]uint16{'h', 0xe9, 'l', 'l', 'o', 0x20ac, 0xD834, 0xDD1E}) {
		t.Fatalf("StringHash non-ASCII = %d", got)
	}
	if got := int64Hash(1 << 40); got != 256 {
		t.Fatalf("int64Hash(1<<40) = %d, want 256", got)
	}
}

func javaHash(units []uint16) int32 {
	var h int32
	for _, u := range units {
		h = 31*h + int32(u)
	}
	return h
}

func TestRangesPartitionAllKeyGroups(t *testing.T) {
	for _, mp := range []int{1, 7, 128, 4096} {
		for p := 1; p <= mp && p <= 40; p++ {
			next := 0
			for i := 0; i < p; i++ {
				r := RangeFor(mp, p, i)
				if r.Start != next {
					t.Fatalf("mp=%d p=%d i=%d: range %v does not start at %d", mp, p, i, r, next)
				}
				for kg := r.Start; kg <= r.End; kg++ {
					if got := OperatorIndex(kg, mp, p); got != i {
						t.Fatalf("mp=%d p=%d: key group %d in range of %d but OperatorIndex says %d", mp, p, kg, i, got)
					}
				}
				next = r.End + 1
			}
			if next != mp {
				t.Fatalf("mp=%d p=%d: ranges end at %d", mp, p, next)
			}
		}
	}
}

func TestMurmurNonNegative(t *testing.T) {
	for _, c := range []int32{0, 1, -1, 1 << 30, -1 << 31, 99162322} {
		if Murmur(c) < 0 {
			t.Fatalf("Murmur(%d) negative", c)
		}
	}
}

func FuzzStringHash(f *testing.F) {
	f.Add("hello")
	f.Add("日本語")
	f.Fuzz(func(t *testing.T, s string) {
		kg := Of(s, 128)
		if kg < 0 || kg >= 128 {
			t.Fatalf("key group %d out of range", kg)
		}
	})
}

type (
	word      string
	count     int64
	small     uint16
	flag      bool
	customKey string
	named     struct{ A, B int }
)

func (c customKey) HashCode() int32 { return int32(len(c)) }
func (n named) String() string      { return fmt.Sprint(n.A, "/", n.B) }

// checkHasher asserts that HasherFor[K] and HashCode agree on k, and that
// both give want.
func checkHasher[K comparable](t *testing.T, k K, want int32) {
	t.Helper()
	if got := HasherFor[K]()(k); got != want {
		t.Errorf("HasherFor[%T](%v) = %d, want %d", k, k, got, want)
	}
	if got := HashCode(k); got != want {
		t.Errorf("HashCode(%T %v) = %d, want %d", k, k, got, want)
	}
}

func TestHasherForMatchesHashCode(t *testing.T) {
	checkHasher(t, "hello", 99162322) // Java "hello".hashCode()
	checkHasher(t, word("hello"), 99162322)
	checkHasher(t, int64(-1<<40), int64Hash(-1<<40))
	checkHasher(t, count(-1<<40), int64Hash(-1<<40))
	checkHasher(t, int32(-7), -7)
	checkHasher(t, uint32(1<<31), -1<<31)
	checkHasher(t, uint16(65535), 65535)
	checkHasher(t, small(65535), 65535)
	checkHasher(t, int8(-3), -3)
	checkHasher(t, true, 1231)
	checkHasher(t, flag(false), 1237)
	checkHasher(t, customKey("abcd"), 4)
	checkHasher(t, named{1, 2}, StringHash("1/2"))
	type pair struct{ A, B int }
	checkHasher(t, pair{1, 2}, StringHash(fmt.Sprintf("%#v", pair{1, 2})))
}

func BenchmarkHasherForString(b *testing.B) {
	h := HasherFor[string]()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = h("some-key-value")
	}
}
