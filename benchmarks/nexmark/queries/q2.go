package queries

import (
	"strconv"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/stream"
)

// q2 selects the bids on every 123rd auction (nexmark-flink q2.sql:
// MOD(auction, 123) = 0). Row: auction,price.
func init() {
	register(Query{
		Name:     "q2",
		Describe: "selection: auction,price of the bids on auctions whose id is a multiple of 123",
		Build: func(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
			return stream.FlatMap(events, func(e generator.Event, out stream.Collector[string]) error {
				if q2Selects(e) {
					out.Collect(q2Row(e.Bid))
				}
				return nil
			}).Name("q2-select")
		},
		Baseline: func(g *generator.Generator, n int64, emit func(row string)) {
			for i := range n {
				if e, _ := g.NextEvent(i); q2Selects(e) {
					emit(q2Row(e.Bid))
				}
			}
		},
	})
}

func q2Selects(e generator.Event) bool { return e.Bid != nil && e.Bid.Auction%123 == 0 }

func q2Row(b *generator.Bid) string {
	var arr [48]byte
	buf := strconv.AppendInt(arr[:0], b.Auction, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, b.Price, 10)
	return string(buf)
}
