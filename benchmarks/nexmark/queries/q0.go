package queries

import (
	"strconv"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/stream"
)

// q0 passes every bid through unchanged (nexmark-flink q0.sql): it
// measures what the source and the record path cost on their own.
// Row: auction,bidder,price,dateTime,extra.
func init() {
	register(Query{
		Name:     "q0",
		Describe: "pass-through: every bid as auction,bidder,price,dateTime,extra",
		Build: func(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
			return stream.FlatMap(events, func(e generator.Event, out stream.Collector[string]) error {
				if e.Bid != nil {
					out.Collect(q0Row(e.Bid))
				}
				return nil
			}).Name("q0-bids")
		},
		Baseline: func(g *generator.Generator, n int64, emit func(row string)) {
			for i := range n {
				if e, _ := g.NextEvent(i); e.Bid != nil {
					emit(q0Row(e.Bid))
				}
			}
		},
	})
}

// q0Row formats a bid in a stack buffer, so the row string is the only
// allocation.
func q0Row(b *generator.Bid) string {
	var arr [192]byte
	buf := strconv.AppendInt(arr[:0], b.Auction, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, b.Bidder, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, b.Price, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, b.DateTime, 10)
	buf = append(buf, ',')
	buf = append(buf, b.Extra...)
	return string(buf)
}
