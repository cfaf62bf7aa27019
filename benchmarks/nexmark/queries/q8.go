package queries

import (
	"strconv"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// q8Size is q8.sql's TUMBLE(dateTime, INTERVAL '10' SECOND) on both sides.
const q8Size = 10 * time.Second

func init() {
	register(Query{
		Name:     "q8",
		Describe: "monitor new users: people who registered and opened an auction in the same 10 s tumbling window (id, name, stime)",
		Build:    q8Build,
		Baseline: q8Baseline,
	})
}

func q8Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	relevant := stream.Filter(events, func(e generator.Event) (bool, error) {
		return e.Person != nil || e.Auction != nil, nil
	}).Name("q8-people-and-auctions")
	keyed := stream.KeyBy(relevant, func(e generator.Event) int64 {
		if e.Person != nil {
			return e.Person.ID
		}
		return e.Auction.Seller
	})
	w := stream.Window(keyed, window.TumblingEventTimeWindows[generator.Event](q8Size))
	return stream.WindowAggregateProcess(w, q8Join{}, window.ProcessFunc[q8Acc, string, int64, window.TimeWindow](
		func(id int64, ctx window.ProcessContext[window.TimeWindow], accs []q8Acc, out operator.Collector[string]) error {
			for _, a := range accs {
				if a.Person && a.Seller {
					out.Collect(q8Line(id, a.Name, ctx.Window().Start))
				}
			}
			return nil
		})).Name("q8-join").UID("q8-join")
}

// q8Acc is what one window knows about one person id: whether the person
// registered in it (and their name) and whether they opened an auction.
// Both sides of q8.sql are GROUP BYs, so several auctions of one seller
// still make one row.
type q8Acc struct {
	Name           string
	Person, Seller bool
}

type q8Join struct{}

func (q8Join) CreateAccumulator() q8Acc { return q8Acc{} }

func (q8Join) Add(e generator.Event, acc q8Acc) q8Acc {
	if e.Person != nil {
		acc.Person, acc.Name = true, e.Person.Name
	} else {
		acc.Seller = true
	}
	return acc
}

func (q8Join) GetResult(acc q8Acc) q8Acc { return acc }

func (q8Join) Merge(a, b q8Acc) q8Acc {
	if b.Person {
		a.Person, a.Name = true, b.Name
	}
	a.Seller = a.Seller || b.Seller
	return a
}

// q8Baseline collects the (id, window) pairs of people and of sellers and
// emits the people whose pair is also a seller's.
func q8Baseline(g *generator.Generator, n int64, emit func(string)) {
	size := q8Size.Milliseconds()
	type key struct{ id, start int64 }
	people := map[key]string{}
	sellers := map[key]bool{}
	for i := range n {
		e, _ := g.NextEvent(i)
		switch {
		case e.Person != nil:
			people[key{e.Person.ID, window.WindowStartWithOffset(e.Person.DateTime, 0, size)}] = e.Person.Name
		case e.Auction != nil:
			sellers[key{e.Auction.Seller, window.WindowStartWithOffset(e.Auction.DateTime, 0, size)}] = true
		}
	}
	for k, name := range people {
		if sellers[k] {
			emit(q8Line(k.id, name, k.start))
		}
	}
}

func q8Line(id int64, name string, start int64) string {
	b := make([]byte, 0, 48)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ',')
	b = append(b, name...)
	b = append(b, ',')
	b = strconv.AppendInt(b, start, 10)
	return string(b)
}
