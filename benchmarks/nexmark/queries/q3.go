package queries

import (
	"fmt"
	"strconv"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

// q3 suggests local items (nexmark-flink q3.sql): the people in Oregon,
// Idaho or California joined with the auctions of category 10 they sell.
// Row: name,city,state,id (the auction's id).
//
// The SQL is a regular inner join, which emits a row whenever a match
// arrives from either side, in any order. The job keys both sides by
// person id: a person is kept for the auctions still to come, and an
// auction whose seller has not arrived yet waits for them. Person ids are
// unique, so once the person is known an auction needs no state of its
// own. Nothing expires, as in the SQL job without a state TTL.
func init() {
	register(Query{
		Name:     "q3",
		Describe: "local item suggestion: name,city,state,auction of OR/ID/CA sellers of category 10 auctions",
		Build:    q3Build,
		Baseline: q3Baseline,
	})
}

// q3Seller is a person of one of the selected states.
type q3Seller struct {
	ID                int64
	Name, City, State string
}

// q3Auction is an auction of category 10.
type q3Auction struct {
	ID, Seller int64
}

func q3Person(p *generator.Person) (q3Seller, bool) {
	switch p.State {
	case "OR", "ID", "CA":
		return q3Seller{ID: p.ID, Name: p.Name, City: p.City, State: p.State}, true
	}
	return q3Seller{}, false
}

func q3Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	auctions := stream.FlatMap(events, func(e generator.Event, out stream.Collector[q3Auction]) error {
		if a := e.Auction; a != nil && a.Category == 10 {
			out.Collect(q3Auction{ID: a.ID, Seller: a.Seller})
		}
		return nil
	}).Name("q3-auctions")
	people := stream.FlatMap(events, func(e generator.Event, out stream.Collector[q3Seller]) error {
		if e.Person != nil {
			if s, ok := q3Person(e.Person); ok {
				out.Collect(s)
			}
		}
		return nil
	}).Name("q3-people")
	return stream.KeyedCoProcess(stream.ConnectKeyed(
		stream.KeyBy(auctions, func(a q3Auction) int64 { return a.Seller }),
		stream.KeyBy(people, func(s q3Seller) int64 { return s.ID }),
	), &q3Join{}).Name("q3-join").UID("q3-join")
}

// q3Join joins auctions (input 1) with their sellers (input 2).
type q3Join struct {
	seller  state.ValueState[q3Seller]
	waiting state.ListState[int64] // ids of auctions whose seller has not arrived
}

func (j *q3Join) Open(rc stream.RuntimeContext) error {
	var err error
	if j.seller, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[q3Seller]{Name: "seller"}); err != nil {
		return fmt.Errorf("queries: q3 seller state: %w", err)
	}
	if j.waiting, err = state.GetListState(rc.KeyedState(), state.ListDescriptor[int64]{Name: "waiting-auctions"}); err != nil {
		return fmt.Errorf("queries: q3 auction state: %w", err)
	}
	return nil
}

func (j *q3Join) ProcessElement1(_ stream.KeyedContext[int64], a q3Auction, out stream.Collector[string]) error {
	s, ok, err := j.seller.Value()
	if err != nil {
		return err
	}
	if !ok {
		return j.waiting.Add(a.ID)
	}
	out.Collect(q3Row(&s, a.ID))
	return nil
}

func (j *q3Join) ProcessElement2(_ stream.KeyedContext[int64], s q3Seller, out stream.Collector[string]) error {
	if err := j.seller.Update(s); err != nil {
		return err
	}
	ids, err := j.waiting.Get()
	if err != nil {
		return err
	}
	for _, id := range ids {
		out.Collect(q3Row(&s, id))
	}
	if ids != nil {
		j.waiting.Clear()
	}
	return nil
}

func q3Baseline(g *generator.Generator, n int64, emit func(row string)) {
	sellers := map[int64]q3Seller{}
	waiting := map[int64][]int64{}
	for i := range n {
		e, _ := g.NextEvent(i)
		switch {
		case e.Person != nil:
			s, ok := q3Person(e.Person)
			if !ok {
				continue
			}
			sellers[s.ID] = s
			for _, id := range waiting[s.ID] {
				emit(q3Row(&s, id))
			}
			delete(waiting, s.ID)
		case e.Auction != nil && e.Auction.Category == 10:
			if s, ok := sellers[e.Auction.Seller]; ok {
				emit(q3Row(&s, e.Auction.ID))
			} else {
				waiting[e.Auction.Seller] = append(waiting[e.Auction.Seller], e.Auction.ID)
			}
		}
	}
}

func q3Row(s *q3Seller, auction int64) string {
	var arr [128]byte
	buf := append(arr[:0], s.Name...)
	buf = append(buf, ',')
	buf = append(buf, s.City...)
	buf = append(buf, ',')
	buf = append(buf, s.State...)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, auction, 10)
	return string(buf)
}
