package generator

import "math/bits"

// rng is splitmix64: one word of state, so seeding a fresh stream per
// event costs nothing and the stream depends only on (seed, key).
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Domains keep the streams for events, channel URLs and the padding pool
// apart even when their keys coincide.
const (
	domainEvent   uint64 = 0x4556454e54 // "EVENT"
	domainChannel uint64 = 0x4348414e   // "CHAN"
	domainHotURL  uint64 = 0x484f54     // "HOT"
	domainPool    uint64 = 0x504f4f4c   // "POOL"
)

func newRNG(seed, domain uint64, key int64) rng {
	return rng{s: mix64(seed ^ mix64(domain*golden+uint64(key)))}
}

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a number in [0, n) for n > 0 by multiply-shift; the bias
// is at most n/2^64, far below anything the benchmark could observe.
func (r *rng) intn(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// float64 returns a number in [0, 1).
func (r *rng) float64() float64 {
	return float64(r.next()>>11) * (1.0 / (1 << 53))
}
