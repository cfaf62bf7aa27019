// Command wordcount counts words with keyed state: for every word of the
// input it writes "word,count" (the count after that word) to part files
// under --output.
//
//	go run ./examples/wordcount --input PATH --output DIR [-D parallelism.default=4]
package main

import (
	"flag"
	"os"

	"github.com/weirstream/weir/connector/filesink"
	"github.com/weirstream/weir/connector/filesource"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/examples/internal/wordcount"
	"github.com/weirstream/weir/internal/jobcli"
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
	counts := wordcount.Count(lines)
	stream.SinkTo(counts, filesink.New(*output, filesink.StringLines())).Name("Part files")
	jobcli.Run(env, "wordcount")
}
