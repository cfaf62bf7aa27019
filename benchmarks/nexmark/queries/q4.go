package queries

import (
	"fmt"
	"strconv"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

// q4 averages the winning bids per category (nexmark-flink q4.sql): for
// each auction the highest price among its bids whose dateTime lies in
// [auction dateTime, expires] (both ends included, SQL BETWEEN), then per
// category the average of those maxima over the auctions that have at
// least one such bid. Row: category,average.
//
// The average is AVG over a BIGINT column, which Flink computes as a
// BIGINT: the sum divided by the count, truncated. The join is a regular
// join (no time attribute bounds it), so a bid that arrives before its
// auction still counts.
//
// Rows: the SQL job emits a changelog, an update of a category's average
// whenever an auction's maximum changes. A changelog depends on arrival
// order and so on the parallelism, and only its final state is
// comparable, so this query's rows are that final state: one row per
// category, its average once every event has been read. The job keeps
// the changelog's state incrementally (each auction's maximum, each
// category's sum and count, updated per record) and writes the rows when
// event time ends (an event-time timer at eventtime.MaxWatermark, which
// the bounded source's last watermark fires). The baseline writes the same
// rows after its loop. State is kept for every auction, as the SQL job
// keeps it without a state TTL.
func init() {
	register(Query{
		Name:     "q4",
		Describe: "average price per category: category,average of the auctions' winning bids, final values",
		Build:    q4Build,
		Baseline: q4Baseline,
	})
}

// q4Auction is the part of an auction q4 reads.
type q4Auction struct {
	ID, Category, DateTime, Expires int64
}

// q4Bid is the part of a bid q4 reads.
type q4Bid struct {
	Auction, Price, DateTime int64
}

// q4Winning is an auction's state once it has arrived: its window and
// the highest bid in it so far (HasMax false while there is none).
type q4Winning struct {
	Category, DateTime, Expires, Max int64
	HasMax                           bool
}

// q4Delta changes a category's sum of maxima by Sum and its count of
// auctions by Count: Count is 1 for an auction's first bid, 0 for a
// higher one.
type q4Delta struct {
	Category, Sum, Count int64
}

// q4Avg is a category's running sum and count.
type q4Avg struct {
	Sum, Count int64
}

// offer folds a bid into w and returns the change to its category, or
// false when the bid is outside the window or not higher.
func (w *q4Winning) offer(price, ts int64) (q4Delta, bool) {
	if ts < w.DateTime || ts > w.Expires || (w.HasMax && price <= w.Max) {
		return q4Delta{}, false
	}
	d := q4Delta{Category: w.Category, Sum: price, Count: 1}
	if w.HasMax {
		d.Sum, d.Count = price-w.Max, 0
	}
	w.Max, w.HasMax = price, true
	return d, true
}

func q4Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	auctions := stream.FlatMap(events, func(e generator.Event, out stream.Collector[q4Auction]) error {
		if a := e.Auction; a != nil {
			out.Collect(q4Auction{ID: a.ID, Category: a.Category, DateTime: a.DateTime, Expires: a.Expires})
		}
		return nil
	}).Name("q4-auctions")
	bids := stream.FlatMap(events, func(e generator.Event, out stream.Collector[q4Bid]) error {
		if b := e.Bid; b != nil {
			out.Collect(q4Bid{Auction: b.Auction, Price: b.Price, DateTime: b.DateTime})
		}
		return nil
	}).Name("q4-bids")
	deltas := stream.KeyedCoProcess(stream.ConnectKeyed(
		stream.KeyBy(auctions, func(a q4Auction) int64 { return a.ID }),
		stream.KeyBy(bids, func(b q4Bid) int64 { return b.Auction }),
	), &q4MaxBid{}).Name("q4-max-bid").UID("q4-max-bid")
	return stream.KeyedProcess(
		stream.KeyBy(deltas, func(d q4Delta) int64 { return d.Category }),
		&q4Average{},
	).Name("q4-average").UID("q4-average")
}

// q4MaxBid keeps each auction's highest bid in its window (input 1:
// auctions, input 2: bids, keyed by auction id) and emits the change to
// its category whenever that maximum rises.
type q4MaxBid struct {
	winning state.ValueState[q4Winning]
	early   state.ListState[q4Bid] // bids that arrived before their auction
}

func (m *q4MaxBid) Open(rc stream.RuntimeContext) error {
	var err error
	if m.winning, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[q4Winning]{Name: "winning"}); err != nil {
		return fmt.Errorf("queries: q4 auction state: %w", err)
	}
	if m.early, err = state.GetListState(rc.KeyedState(), state.ListDescriptor[q4Bid]{Name: "early-bids"}); err != nil {
		return fmt.Errorf("queries: q4 early bid state: %w", err)
	}
	return nil
}

func (m *q4MaxBid) ProcessElement1(_ stream.KeyedContext[int64], a q4Auction, out stream.Collector[q4Delta]) error {
	w := q4Winning{Category: a.Category, DateTime: a.DateTime, Expires: a.Expires}
	early, err := m.early.Get()
	if err != nil {
		return err
	}
	var d q4Delta
	changed := false
	for _, b := range early {
		if bd, ok := w.offer(b.Price, b.DateTime); ok {
			d.Category, d.Sum, d.Count = bd.Category, d.Sum+bd.Sum, d.Count+bd.Count
			changed = true
		}
	}
	if early != nil {
		m.early.Clear()
	}
	if changed {
		out.Collect(d)
	}
	return m.winning.Update(w)
}

func (m *q4MaxBid) ProcessElement2(_ stream.KeyedContext[int64], b q4Bid, out stream.Collector[q4Delta]) error {
	w, ok, err := m.winning.Value()
	if err != nil {
		return err
	}
	if !ok {
		return m.early.Add(b)
	}
	d, ok := w.offer(b.Price, b.DateTime)
	if !ok {
		return nil
	}
	out.Collect(d)
	return m.winning.Update(w)
}

// q4Average sums the changes per category and writes the category's
// average when event time ends.
type q4Average struct {
	avg state.ValueState[q4Avg]
}

func (a *q4Average) Open(rc stream.RuntimeContext) error {
	var err error
	if a.avg, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[q4Avg]{Name: "average"}); err != nil {
		return fmt.Errorf("queries: q4 average state: %w", err)
	}
	return nil
}

func (a *q4Average) ProcessElement(ctx stream.KeyedContext[int64], d q4Delta, _ stream.Collector[string]) error {
	v, ok, err := a.avg.Value()
	if err != nil {
		return err
	}
	if !ok {
		// Registering once per category is enough; the timer service
		// would deduplicate repeats, but they still cost a lookup.
		ctx.TimerService().RegisterEventTimeTimer(eventtime.MaxWatermark)
	}
	v.Sum += d.Sum
	v.Count += d.Count
	return a.avg.Update(v)
}

func (a *q4Average) OnTimer(ctx stream.OnTimerContext[int64], _ int64, out stream.Collector[string]) error {
	v, ok, err := a.avg.Value()
	if err != nil || !ok {
		return err
	}
	out.Collect(q4Row(ctx.CurrentKey(), v))
	return nil
}

func q4Baseline(g *generator.Generator, n int64, emit func(row string)) {
	winning := map[int64]*q4Winning{}
	early := map[int64][]q4Bid{}
	avgs := map[int64]*q4Avg{}
	var order []int64 // categories in first-seen order, so rows come out deterministically
	apply := func(d q4Delta) {
		v := avgs[d.Category]
		if v == nil {
			v = &q4Avg{}
			avgs[d.Category] = v
			order = append(order, d.Category)
		}
		v.Sum += d.Sum
		v.Count += d.Count
	}
	for i := range n {
		e, _ := g.NextEvent(i)
		switch {
		case e.Auction != nil:
			a := e.Auction
			w := &q4Winning{Category: a.Category, DateTime: a.DateTime, Expires: a.Expires}
			winning[a.ID] = w
			for _, b := range early[a.ID] {
				if d, ok := w.offer(b.Price, b.DateTime); ok {
					apply(d)
				}
			}
			delete(early, a.ID)
		case e.Bid != nil:
			b := e.Bid
			w := winning[b.Auction]
			if w == nil {
				early[b.Auction] = append(early[b.Auction], q4Bid{Auction: b.Auction, Price: b.Price, DateTime: b.DateTime})
				continue
			}
			if d, ok := w.offer(b.Price, b.DateTime); ok {
				apply(d)
			}
		}
	}
	for _, c := range order {
		emit(q4Row(c, *avgs[c]))
	}
}

func q4Row(category int64, v q4Avg) string {
	var arr [48]byte
	buf := strconv.AppendInt(arr[:0], category, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, v.Sum/v.Count, 10)
	return string(buf)
}
