package queries

import (
	"strconv"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// q7Size is q7.sql's TUMBLE(dateTime, INTERVAL '10' SECOND).
const q7Size = 10 * time.Second

func init() {
	register(Query{
		Name:     "q7",
		Describe: "highest bid: the bids whose price is the highest of a 10 s tumbling window (auction, bidder, price, dateTime, extra)",
		Build:    q7Build,
		Baseline: q7Baseline,
	})
}

// q7Bid is a bid headed for the window starting at Window. Edge marks a
// bid made exactly at the window's end: q7.sql joins bids to a window's
// maximum on dateTime BETWEEN window_end - 10 s AND window_end, both ends
// included, so such a bid is compared with the maximum of the window it
// closes, though it does not count towards that maximum.
type q7Bid struct {
	Auction, Bidder, Price, DateTime int64
	Extra                            string
	Window                           int64
	Edge                             bool
}

func q7Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	size := q7Size.Milliseconds()
	bids := stream.FlatMap(events, func(e generator.Event, out stream.Collector[q7Bid]) error {
		b := e.Bid
		if b == nil {
			return nil
		}
		start := window.WindowStartWithOffset(b.DateTime, 0, size)
		v := q7Bid{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime, Extra: b.Extra, Window: start}
		out.Collect(v)
		if b.DateTime == start {
			v.Window, v.Edge = start-size, true
			out.Collect(v)
		}
		return nil
	}).Name("q7-bids")
	perWindow := stream.KeyBy(bids, func(b q7Bid) int64 { return b.Window })
	return stream.KeyedProcess(perWindow, &q7Highest{size: size}).Name("q7-highest").UID("q7-highest")
}

// q7Top is one window's state: the highest price of its own bids, those
// bids, and the edge bids that may still equal it (an edge bid below the
// maximum can never match, since the maximum only grows).
type q7Top struct {
	Max  int64
	Set  bool
	Top  []q7Bid
	Edge []q7Bid
}

// q7Highest finds each window's highest bids. Its timer is at the window's
// end rather than its last millisecond, so that edge bids, stamped with
// the end itself, have all arrived when it fires.
type q7Highest struct {
	size int64
	top  state.ValueState[q7Top]
}

func (h *q7Highest) Open(rc stream.RuntimeContext) error {
	var err error
	h.top, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[q7Top]{Name: "top"})
	return err
}

func (h *q7Highest) ProcessElement(ctx stream.KeyedContext[int64], b q7Bid, _ stream.Collector[string]) error {
	t, ok, err := h.top.Value()
	if err != nil {
		return err
	}
	if !ok {
		ctx.TimerService().RegisterEventTimeTimer(b.Window + h.size)
	}
	switch {
	case b.Edge:
		if t.Set && b.Price < t.Max {
			return nil
		}
		t.Edge = append(t.Edge, b)
	case !t.Set || b.Price > t.Max:
		t.Max, t.Set, t.Top = b.Price, true, []q7Bid{b}
		t.Edge = q7AtLeast(t.Edge, b.Price)
	case b.Price == t.Max:
		t.Top = append(t.Top, b)
	default:
		return nil
	}
	return h.top.Update(t)
}

// q7AtLeast returns the bids of bs priced at least p, in a new slice so
// that a snapshot still holding bs is not changed.
func q7AtLeast(bs []q7Bid, p int64) []q7Bid {
	var out []q7Bid
	for _, b := range bs {
		if b.Price >= p {
			out = append(out, b)
		}
	}
	return out
}

func (h *q7Highest) OnTimer(_ stream.OnTimerContext[int64], _ int64, out stream.Collector[string]) error {
	t, ok, err := h.top.Value()
	if err != nil || !ok {
		return err
	}
	h.top.Clear()
	if !t.Set {
		return nil // only edge bids: the window they close had no bids
	}
	for _, b := range t.Top {
		out.Collect(q7Line(b.Auction, b.Bidder, b.Price, b.DateTime, b.Extra))
	}
	for _, b := range t.Edge {
		if b.Price == t.Max {
			out.Collect(q7Line(b.Auction, b.Bidder, b.Price, b.DateTime, b.Extra))
		}
	}
	return nil
}

// q7Baseline finds every window's highest price in a first pass over the
// events and, in a second, emits each bid that equals the highest price of
// its own window or, when made exactly at a window boundary, of the window
// that boundary ends.
func q7Baseline(g *generator.Generator, n int64, emit func(string)) {
	size := q7Size.Milliseconds()
	highest := map[int64]int64{}
	for i := range n {
		e, _ := g.NextEvent(i)
		if e.Bid == nil {
			continue
		}
		start := window.WindowStartWithOffset(e.Bid.DateTime, 0, size)
		if m, ok := highest[start]; !ok || e.Bid.Price > m {
			highest[start] = e.Bid.Price
		}
	}
	for i := range n {
		e, _ := g.NextEvent(i)
		b := e.Bid
		if b == nil {
			continue
		}
		start := window.WindowStartWithOffset(b.DateTime, 0, size)
		if b.Price == highest[start] {
			emit(q7Line(b.Auction, b.Bidder, b.Price, b.DateTime, b.Extra))
		}
		if m, ok := highest[start-size]; ok && b.DateTime == start && b.Price == m {
			emit(q7Line(b.Auction, b.Bidder, b.Price, b.DateTime, b.Extra))
		}
	}
}

func q7Line(auction, bidder, price, dateTime int64, extra string) string {
	b := make([]byte, 0, 64+len(extra))
	b = strconv.AppendInt(b, auction, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, bidder, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, price, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, dateTime, 10)
	b = append(b, ',')
	b = append(b, extra...)
	return string(b)
}
