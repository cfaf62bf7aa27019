package wordcount

import (
	"strconv"
	"strings"

	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

// Count turns lines into "word,count" records: for every word, its count
// after that word. The counting operator has the UID "word-count", so
// savepoints restore across the examples.
func Count(lines *stream.DataStream[string]) *stream.DataStream[string] {
	words := stream.FlatMap(lines, SplitWords).Name("Split words")
	return stream.KeyedProcess(stream.KeyBy(words, func(w string) string { return w }), &Counter{}).
		Name("Count").UID("word-count")
}

// SplitWords splits on Unicode white space and lowercases.
func SplitWords(line string, out stream.Collector[string]) error {
	for _, w := range strings.Fields(line) {
		out.Collect(strings.ToLower(w))
	}
	return nil
}

// Counter keeps each word's running count in keyed state and emits
// "word,count".
type Counter struct {
	count state.ValueState[int64]
}

// Open implements stream.Opener: it gets the count state.
func (c *Counter) Open(rc stream.RuntimeContext) error {
	var err error
	c.count, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[int64]{Name: "count"})
	return err
}

// ProcessElement implements stream.KeyedProcessFunction.
func (c *Counter) ProcessElement(_ stream.KeyedContext[string], word string, out stream.Collector[string]) error {
	n, _, err := c.count.Value()
	if err != nil {
		return err
	}
	n++
	if err := c.count.Update(n); err != nil {
		return err
	}
	out.Collect(word + "," + strconv.FormatInt(n, 10))
	return nil
}
