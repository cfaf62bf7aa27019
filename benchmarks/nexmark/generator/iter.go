package generator

import "fmt"

// Span is a contiguous range [From, To) of event numbers: a split.
type Span struct {
	From, To int64
}

// Len is the number of events in the span.
func (s Span) Len() int64 { return s.To - s.From }

// SplitSpan cuts [from, to) into n contiguous spans whose lengths differ
// by at most one, in order. Because every event is a function of its
// number alone, the spans together yield exactly the events of the whole.
func SplitSpan(from, to int64, n int) ([]Span, error) {
	if from < 0 || to < from {
		return nil, fmt.Errorf("generator: event range [%d, %d) is invalid; it needs 0 <= from <= to", from, to)
	}
	if n < 1 {
		return nil, fmt.Errorf("generator: cannot split into %d spans; ask for at least 1", n)
	}
	total := to - from
	spans := make([]Span, n)
	start := from
	for i := range n {
		size := total / int64(n)
		if int64(i) < total%int64(n) {
			size++
		}
		spans[i] = Span{From: start, To: start + size}
		start += size
	}
	return spans, nil
}

// Iterator walks the events of a span in order. Its whole state is the
// next event number, so a source checkpoints Position and resumes with
// Range(position, to).
type Iterator struct {
	g        *Generator
	next, to int64
}

// Range returns an iterator over the events numbered [from, to).
func (g *Generator) Range(from, to int64) (*Iterator, error) {
	if from < 0 || to < from {
		return nil, fmt.Errorf("generator: event range [%d, %d) is invalid; it needs 0 <= from <= to", from, to)
	}
	return &Iterator{g: g, next: from, to: to}, nil
}

// Position is the number of the next event the iterator returns.
func (it *Iterator) Position() int64 { return it.next }

// Remaining is the number of events left.
func (it *Iterator) Remaining() int64 { return it.to - it.next }

// Next returns the next event and its event time, or ok false at the end.
func (it *Iterator) Next() (e Event, timestamp int64, ok bool) {
	if it.next >= it.to {
		return Event{}, 0, false
	}
	e, timestamp = it.g.NextEvent(it.next)
	it.next++
	return e, timestamp, true
}

// Fill writes the next events into events and their event times into
// timestamps (which must be at least as long) and returns how many it
// wrote; 0 means the span is exhausted. The bids of one call share one
// allocation, so a batch costs a handful of allocations instead of one
// per event; the memory is freed when none of them is referenced.
func (it *Iterator) Fill(events []Event, timestamps []int64) int {
	n := int(min(int64(len(events)), it.to-it.next))
	if len(timestamps) < n {
		panic(fmt.Sprintf("generator: Fill given %d timestamps for %d events", len(timestamps), n))
	}
	bids := make([]Bid, n)
	used := 0
	for i := range n {
		e, ts := it.g.event(it.next, &bids[used])
		if e.Bid != nil {
			used++
		}
		events[i], timestamps[i] = e, ts
		it.next++
	}
	return n
}
