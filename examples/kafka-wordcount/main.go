// Command kafka-wordcount counts words read from a Kafka topic with keyed
// state and writes "word,count" records (key = word), exactly once, to
// another topic: for every word of the input, its count after that word.
//
//	go run ./examples/kafka-wordcount --brokers HOST:PORT[,..] --input-topic T --output-topic T2 [--bounded] [-D ...] [-s PATH]
//
// The input is read from the earliest offsets; with --bounded the job stops
// at the offsets the input partitions had when it started. Output goes
// through Kafka transactions committed when checkpoints complete, so
// read_committed consumers see every count exactly once across failures
// and restores; checkpointing is on every 5 s unless
// execution.checkpointing.interval says otherwise. Kafka client settings
// (security, timeouts, ...) are -D properties.<key>=<value> (docs/kafka.md).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/connector/kafka/kafkasink"
	"github.com/weirstream/weir/connector/kafka/kafkasource"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/examples/internal/wordcount"
	"github.com/weirstream/weir/internal/jobcli"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/stream"
)

// defaultCheckpointInterval applies when the configuration sets none:
// exactly-once output commits only on checkpoints.
const defaultCheckpointInterval = "5s"

func main() {
	fs := flag.NewFlagSet("kafka-wordcount", flag.ExitOnError)
	brokers := fs.String("brokers", "", "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...] (sets properties.bootstrap.servers)")
	input := fs.String("input-topic", "", "topic of text lines to count, read from the earliest offsets")
	output := fs.String("output-topic", "", "topic for the word,count records (key = word), written exactly once")
	bounded := fs.Bool("bounded", false, "stop at the input's end offsets at start, then finish")
	prefix := fs.String("transactional-id-prefix", "", "prefix of the sink's Kafka transactional ids, unique to this job "+
		"(default kafka-wordcount-<input-topic>-<output-topic>)")
	fs.Usage = jobcli.Usage(fs, "kafka-wordcount --brokers HOST:PORT[,..] --input-topic T --output-topic T2 [--bounded] [-D key=value ...] [-s PATH]")
	cfg := jobcli.Parse(fs, os.Args[1:])
	jobcli.Require(fs, "brokers", "input-topic", "output-topic")
	if _, set := cfg.Raw("execution.checkpointing.interval"); !set {
		if err := cfg.Set("execution.checkpointing.interval", defaultCheckpointInterval); err != nil {
			fail(err)
		}
	}
	props := kafka.FromConfig(cfg)
	props["bootstrap.servers"] = *brokers
	if *prefix == "" {
		*prefix = "kafka-wordcount-" + *input + "-" + *output
		if id, ok := props.Get("transactional.id"); ok {
			*prefix = id // -D properties.transactional.id names the prefix too
		}
	}
	// One -D properties.* set serves both sides: each gets the client keys
	// and its own connector keys.
	sourceProps, _ := props.Split("transactional.id")
	sinkProps, _ := props.Split(kafka.SourceKeys...)

	env := stream.NewEnvironment(cfg)
	src := kafkasource.New(sourceProps, kafkasource.String()).Topics(*input).StartingOffsets(kafkasource.Earliest())
	if *bounded {
		src = src.Bounded(kafkasource.Latest())
	}
	lines := stream.FromSource(env, src, eventtime.NoWatermarks[string](), "Kafka "+*input)
	counts := wordcount.Count(lines)
	stream.SinkTo(counts, kafkasink.New(sinkProps, countRecords(*output),
		kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce),
		kafkasink.WithTransactionalIDPrefix(*prefix))).Name("Kafka " + *output)
	jobcli.Run(env, "kafka-wordcount")
}

// countRecords writes "word,count" as the value with the word as the key,
// so one word's counts stay in one partition, in order.
func countRecords(topic string) kafkasink.Serializer[string] {
	return kafkasink.SerializerFunc[string](func(v string, _ sink.Context) (*kgo.Record, error) {
		word := v[:strings.LastIndexByte(v, ',')]
		return &kgo.Record{Topic: topic, Key: []byte(word), Value: []byte(v)}, nil
	})
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "kafka-wordcount: %v\n", err)
	os.Exit(2)
}
