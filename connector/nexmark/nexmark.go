package nexmark

import (
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

// Source returns a bounded source of the first n events of g (positions
// 0..n-1), each timestamped with its event time.
func Source(g *generator.Generator, n int64) *datagen.Source[generator.Event] {
	return datagen.New(n, func(i int64) (generator.Event, error) {
		e, _ := g.NextEvent(i)
		return e, nil
	}, datagen.WithTimestamps(generator.Event.DateTime))
}

// Strategy generates watermarks that trail event time by one out-of-order
// group of g, so no event is late.
func Strategy(g *generator.Generator) eventtime.WatermarkStrategy[generator.Event] {
	c := g.Config()
	if c.OutOfOrderGroupSize <= 1 {
		return eventtime.ForMonotonousTimestamps[generator.Event]()
	}
	span := time.Duration(g.TimestampForEvent(c.OutOfOrderGroupSize)-g.TimestampForEvent(0)) * time.Millisecond
	return eventtime.ForBoundedOutOfOrderness[generator.Event](span)
}

// Events adds the source of the first n events of g to env.
func Events(env *stream.Environment, g *generator.Generator, n int64) *stream.DataStream[generator.Event] {
	return stream.FromSource(env, Source(g, n), Strategy(g), "Nexmark").UID("nexmark-source")
}
