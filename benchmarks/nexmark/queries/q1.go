package queries

import (
	"strconv"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/stream"
)

// q1 converts every bid's price from dollars to euros (nexmark-flink
// q1.sql: 0.908 * price). Row: auction,bidder,price,dateTime,extra.
//
// The SQL result type is DECIMAL(23, 3), so the price is computed exactly
// as price*908 thousandths and printed with three decimals ("908.000"),
// as Flink prints that decimal, rather than as a float64 product that
// would carry binary rounding (0.908*3 is 2.7239999999999998).
func init() {
	register(Query{
		Name:     "q1",
		Describe: "currency conversion: every bid with its price times 0.908",
		Build: func(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
			return stream.FlatMap(events, func(e generator.Event, out stream.Collector[string]) error {
				if e.Bid != nil {
					out.Collect(q1Row(e.Bid))
				}
				return nil
			}).Name("q1-euros")
		},
		Baseline: func(g *generator.Generator, n int64, emit func(row string)) {
			for i := range n {
				if e, _ := g.NextEvent(i); e.Bid != nil {
					emit(q1Row(e.Bid))
				}
			}
		},
	})
}

func q1Row(b *generator.Bid) string {
	var arr [192]byte
	buf := strconv.AppendInt(arr[:0], b.Auction, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, b.Bidder, 10)
	buf = append(buf, ',')
	buf = q1AppendThousandths(buf, b.Price*908)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, b.DateTime, 10)
	buf = append(buf, ',')
	buf = append(buf, b.Extra...)
	return string(buf)
}

// q1AppendThousandths appends v/1000 as a decimal with exactly three
// fractional digits.
func q1AppendThousandths(buf []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		buf = append(buf, '-')
		u = -u
	}
	buf = strconv.AppendUint(buf, u/1000, 10)
	f := u % 1000
	return append(buf, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}
