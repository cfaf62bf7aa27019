package state

import (
	"fmt"
	"testing"

	"github.com/weirstream/weir/keygroup"
)

// fakeClock is an injected processing-time clock in ms.
type fakeClock struct{ now int64 }

func (c *fakeClock) Now() int64 { return c.now }

// win is a window-like namespace.
type win struct{ start, end int64 }

func newBackend(t testing.TB, maxPar int, r keygroup.Range, clk *fakeClock) *HeapBackend {
	t.Helper()
	opts := HeapOptions{MaxParallelism: maxPar, KeyGroups: r}
	if clk != nil {
		opts.Now = clk.Now
	}
	b := NewHeapBackend(opts)
	t.Cleanup(b.Close)
	return b
}

// fullBackend owns all key groups of max parallelism 128.
func fullBackend(t testing.TB, clk *fakeClock) *HeapBackend {
	return newBackend(t, 128, keygroup.Range{Start: 0, End: 127}, clk)
}

// keysIn returns n distinct string keys whose key group satisfies in.
func keysIn(n, maxPar int, in func(kg int) bool) []string {
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("key-%d", i)
		if in(keygroup.Of(k, maxPar)) {
			keys = append(keys, k)
		}
	}
	return keys
}

// stored reports, per key group, the keys a table holds in namespace ns.
func stored[E any](tb *table[E], start int, ns any) map[int][]any {
	out := map[int][]any{}
	for g := range tb.groups {
		for _, sl := range tb.groups[g].slots {
			if sl.k.ns == ns {
				out[g+start] = append(out[g+start], sl.k.key)
			}
		}
	}
	return out
}

// tableCount is the number of entries behind a state handle.
func tableCount(t *testing.T, s any) int {
	t.Helper()
	switch s := s.(type) {
	case *valueState[int]:
		return s.t.count
	case *listState[int]:
		return s.t.count
	case *mapState[string, int]:
		return s.t.count
	case *reducingState[int]:
		return s.t.count
	case *aggregatingState[int, avgAcc, float64]:
		return s.t.count
	default:
		t.Fatalf("tableCount: unexpected state type %T", s)
		return 0
	}
}

// avg is an AggregateFunction computing a mean; creates counts
// CreateAccumulator calls.
type avg struct{ creates *int }

type avgAcc struct{ sum, n int }

func (a avg) CreateAccumulator() avgAcc {
	if a.creates != nil {
		*a.creates++
	}
	return avgAcc{}
}
func (avg) Add(v int, acc avgAcc) avgAcc { return avgAcc{acc.sum + v, acc.n + 1} }
func (avg) GetResult(acc avgAcc) float64 { return float64(acc.sum) / float64(acc.n) }
func (avg) Merge(a, b avgAcc) avgAcc     { return avgAcc{a.sum + b.sum, a.n + b.n} }
