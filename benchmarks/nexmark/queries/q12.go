package queries

import (
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// q12Size is q12.sql's TUMBLE(p_time, INTERVAL '10' SECOND).
const q12Size = 10 * time.Second

func init() {
	register(Query{
		Name:           "q12",
		Describe:       "processing-time windows: bids per bidder in 10 s processing-time tumbling windows (bidder, bid_count, starttime, endtime)",
		Build:          q12Build,
		Baseline:       q12Baseline,
		ProcessingTime: true,
	})
}

func q12Build(events *stream.DataStream[generator.Event]) *stream.DataStream[string] {
	bids := stream.Filter(events, q11IsBid).Name("q12-bids")
	keyed := stream.KeyBy(bids, q11Bidder)
	w := stream.Window(keyed, window.TumblingProcessingTimeWindows[generator.Event](q12Size)).
		Trigger(q12Trigger{})
	return stream.WindowAggregateProcess(w, q11Count{}, window.ProcessFunc[int64, string, int64, window.TimeWindow](q11Row)).
		Name("q12-windows").UID("q12-windows")
}

// q12Baseline cannot know the wall clock the job will see, so it counts as
// if processing time advanced with event time: tumbling 10 s windows over
// the bids' event times. Only totals (the bid count) are comparable.
func q12Baseline(g *generator.Generator, n int64, emit func(string)) {
	size := q12Size.Milliseconds()
	type key struct{ bidder, start int64 }
	counts := map[key]int64{}
	for i := range n {
		e, _ := g.NextEvent(i)
		if e.Bid != nil {
			counts[key{e.Bid.Bidder, window.WindowStartWithOffset(e.Bid.DateTime, 0, size)}]++
		}
	}
	for k, c := range counts {
		emit(q11Line(k.bidder, c, k.start, k.start+size))
	}
}

// q12Trigger fires a window when the wall clock passes its end, as
// ProcessingTimeTrigger does, and also at the end of input: a bounded run
// ends long before most processing-time windows close, and the final
// watermark (eventtime.MaxWatermark) is the only signal that no more bids
// will come. Without it the last windows' bids would never be counted.
type q12Trigger struct{}

func (q12Trigger) OnElement(_ generator.Event, _ int64, w window.TimeWindow, ctx window.TriggerContext) (window.TriggerResult, error) {
	ctx.RegisterProcessingTimeTimer(w.MaxTimestamp())
	ctx.RegisterEventTimeTimer(eventtime.MaxWatermark)
	return window.Continue, nil
}

func (q12Trigger) OnEventTime(t int64, _ window.TimeWindow, _ window.TriggerContext) (window.TriggerResult, error) {
	if t == eventtime.MaxWatermark {
		return window.FireAndPurge, nil
	}
	return window.Continue, nil
}

func (q12Trigger) OnProcessingTime(int64, window.TimeWindow, window.TriggerContext) (window.TriggerResult, error) {
	return window.FireAndPurge, nil
}

func (q12Trigger) CanMerge() bool { return false }

func (q12Trigger) OnMerge(window.TimeWindow, window.OnMergeContext) error { return nil }

func (q12Trigger) Clear(w window.TimeWindow, ctx window.TriggerContext) error {
	ctx.DeleteProcessingTimeTimer(w.MaxTimestamp())
	ctx.DeleteEventTimeTimer(eventtime.MaxWatermark)
	return nil
}

func (q12Trigger) String() string { return "ProcessingTimeOrEndOfInputTrigger()" }
