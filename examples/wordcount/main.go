// Command wordcount counts words with keyed state: for every word of the
// input it writes "word,count" (the count after that word) to part files
// under --output.
//
//	go run ./examples/wordcount --input PATH --output DIR [-D parallelism.default=4]
package main

import (
	"flag"
	"os"
	"strconv"
	"strings"

	"github.com/weirstream/weir/connector/filesink"
	"github.com/weirstream/weir/connector/filesource"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/internal/jobcli"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

func main() {
	fs := flag.NewFlagSet("wordcount", flag.ExitOnError)
	input := fs.String("input", "", "text file, or directory of text files, to count")
	output := fs.String("output", "", "directory for the word,count part files")
	fs.Usage = jobcli.Usage(fs, "wordcount --input PATH --output DIR [-D key=value ...]")
	cfg := jobcli.Parse(fs, os.Args[1:])
	jobcli.Require(fs, "input", "output")

	env := stream.NewEnvironment(cfg)
	lines := stream.FromSource(env, filesource.TextLines(*input), eventtime.NoWatermarks[string](), "lines")
	words := stream.FlatMap(lines, splitWords).Name("Split words")
	counts := stream.KeyedProcess(stream.KeyBy(words, func(w string) string { return w }), &counter{}).
		Name("Count").UID("word-count")
	stream.SinkTo(counts, filesink.New(*output, filesink.StringLines())).Name("Part files")
	jobcli.Run(env, "wordcount")
}

// splitWords splits on Unicode white space and lowercases.
func splitWords(line string, out stream.Collector[string]) error {
	for _, w := range strings.Fields(line) {
		out.Collect(strings.ToLower(w))
	}
	return nil
}

// counter keeps each word's running count in keyed state.
type counter struct {
	count state.ValueState[int64]
}

func (c *counter) Open(rc stream.RuntimeContext) error {
	var err error
	c.count, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[int64]{Name: "count"})
	return err
}

func (c *counter) ProcessElement(ctx stream.KeyedContext[string], word string, out stream.Collector[string]) error {
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
