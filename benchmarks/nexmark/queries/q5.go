package queries

import (
	"strconv"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// q5.sql: HOP(bid, dateTime, INTERVAL '2' SECOND, INTERVAL '10' SECOND).
const (
	q5Size  = 10 * time.Second
	q5Slide = 2 * time.Second
)

func init() {
	register(Query{
		Name:     "q5",
		Describe: "hot items: the auctions with the most bids in each 10 s window sliding by 2 s (auction, num)",
		Build:    q5Build,
		Baseline: q5Baseline,
	})
}

// q5Count is one auction's bid count in one window.
type q5Count struct {
	Auction, Num, WindowEnd int64
}

func q5Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	bids := stream.Filter(events, q11IsBid).Name("q5-bids")
	keyed := stream.KeyBy(bids, func(e generator.Event) int64 { return e.Bid.Auction })
	w := stream.Window(keyed, window.SlidingEventTimeWindows[generator.Event](q5Size, q5Slide))
	counts := stream.WindowAggregateProcess(w, q11Count{}, window.ProcessFunc[int64, q5Count, int64, window.TimeWindow](
		func(auction int64, ctx window.ProcessContext[window.TimeWindow], n []int64, out operator.Collector[q5Count]) error {
			for _, c := range n {
				out.Collect(q5Count{Auction: auction, Num: c, WindowEnd: ctx.Window().End})
			}
			return nil
		})).Name("q5-counts").UID("q5-counts")
	perWindow := stream.KeyBy(counts, func(c q5Count) int64 { return c.WindowEnd })
	return stream.KeyedProcess(perWindow, &q5Hottest{}).Name("q5-hottest").UID("q5-hottest")
}

// q5Top is a window's highest count so far and the auctions that have it.
type q5Top struct {
	Num      int64
	Auctions []int64
}

// q5Hottest keeps, per window, the auctions with the highest count. Every
// count of a window carries the window's last timestamp, and the window
// operators emit them before they pass that watermark on, so a timer at
// that timestamp fires after the window's last count has arrived.
type q5Hottest struct {
	top state.ValueState[q5Top]
}

func (h *q5Hottest) Open(rc stream.RuntimeContext) error {
	var err error
	h.top, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[q5Top]{Name: "top"})
	return err
}

func (h *q5Hottest) ProcessElement(ctx stream.KeyedContext[int64], c q5Count, _ stream.Collector[string]) error {
	top, ok, err := h.top.Value()
	if err != nil {
		return err
	}
	switch {
	case !ok:
		ctx.TimerService().RegisterEventTimeTimer(c.WindowEnd - 1)
		top = q5Top{Num: c.Num, Auctions: []int64{c.Auction}}
	case c.Num > top.Num:
		top = q5Top{Num: c.Num, Auctions: []int64{c.Auction}}
	case c.Num == top.Num:
		top.Auctions = append(top.Auctions, c.Auction)
	default:
		return nil
	}
	return h.top.Update(top)
}

func (h *q5Hottest) OnTimer(_ stream.OnTimerContext[int64], _ int64, out stream.Collector[string]) error {
	top, ok, err := h.top.Value()
	if err != nil || !ok {
		return err
	}
	for _, a := range top.Auctions {
		out.Collect(q5Line(a, top.Num))
	}
	h.top.Clear()
	return nil
}

// q5Baseline counts bids per (auction, window) for every sliding window a
// bid falls in, then emits each window's auctions with the highest count.
func q5Baseline(g *generator.Generator, n int64, emit func(string)) {
	size, slide := q5Size.Milliseconds(), q5Slide.Milliseconds()
	type key struct{ auction, start int64 }
	counts := map[key]int64{}
	for i := range n {
		e, _ := g.NextEvent(i)
		if e.Bid == nil {
			continue
		}
		last := window.WindowStartWithOffset(e.Bid.DateTime, 0, slide)
		for start := last; start > e.Bid.DateTime-size; start -= slide {
			counts[key{e.Bid.Auction, start}]++
		}
	}
	maxByWindow := map[int64]int64{}
	for k, c := range counts {
		maxByWindow[k.start] = max(maxByWindow[k.start], c)
	}
	for k, c := range counts {
		if c == maxByWindow[k.start] {
			emit(q5Line(k.auction, c))
		}
	}
}

func q5Line(auction, num int64) string {
	b := make([]byte, 0, 32)
	b = strconv.AppendInt(b, auction, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, num, 10)
	return string(b)
}
