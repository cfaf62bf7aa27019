package queries

import (
	"slices"
	"strconv"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// q11Gap is the session gap of q11.sql: SESSION(dateTime, INTERVAL '10' SECOND).
const q11Gap = 10 * time.Second

func init() {
	register(Query{
		Name:     "q11",
		Describe: "user sessions: bids per bidder in event-time sessions with a 10 s gap (bidder, bid_count, starttime, endtime)",
		Build:    q11Build,
		Baseline: q11Baseline,
	})
}

func q11Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	bids := stream.Filter(events, q11IsBid).Name("q11-bids")
	keyed := stream.KeyBy(bids, q11Bidder)
	w := stream.Window(keyed, window.EventTimeSessionWindows[generator.Event](q11Gap))
	return stream.WindowAggregateProcess(w, q11Count{}, window.ProcessFunc[int64, string, int64, window.TimeWindow](q11Row)).
		Name("q11-sessions").UID("q11-sessions")
}

// q11Baseline sorts each bidder's bid times and cuts a session wherever two
// consecutive bids are more than the gap apart; bids exactly a gap apart
// share a session, because Flink merges session windows that touch.
func q11Baseline(g *generator.Generator, n int64, emit func(string)) {
	times := map[int64][]int64{}
	for i := range n {
		e, _ := g.NextEvent(i)
		if e.Bid != nil {
			times[e.Bid.Bidder] = append(times[e.Bid.Bidder], e.Bid.DateTime)
		}
	}
	gap := q11Gap.Milliseconds()
	for bidder, ts := range times {
		slices.Sort(ts)
		start, last, count := ts[0], ts[0], int64(0)
		for _, t := range ts {
			if t-last > gap {
				emit(q11Line(bidder, count, start, last+gap))
				start, count = t, 0
			}
			last = t
			count++
		}
		emit(q11Line(bidder, count, start, last+gap))
	}
}

func q11IsBid(e generator.Event) (bool, error) { return e.Bid != nil, nil }

func q11Bidder(e generator.Event) int64 { return e.Bid.Bidder }

// q11Count counts a window's records; the accumulator is a plain int64
// so adding a record allocates nothing.
type q11Count struct{}

func (q11Count) CreateAccumulator() int64               { return 0 }
func (q11Count) Add(_ generator.Event, acc int64) int64 { return acc + 1 }
func (q11Count) GetResult(acc int64) int64              { return acc }
func (q11Count) Merge(a, b int64) int64                 { return a + b }

// q11Row writes "key,count,start,end", the row shape of q11 and q12.
func q11Row(key int64, ctx window.ProcessContext[window.TimeWindow], counts []int64, out operator.Collector[string]) error {
	w := ctx.Window()
	for _, c := range counts {
		out.Collect(q11Line(key, c, w.Start, w.End))
	}
	return nil
}

func q11Line(key, count, start, end int64) string {
	b := make([]byte, 0, 64)
	b = strconv.AppendInt(b, key, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, count, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, start, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, end, 10)
	return string(b)
}
