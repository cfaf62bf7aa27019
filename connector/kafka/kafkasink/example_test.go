package kafkasink_test

import (
	"fmt"

	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/connector/kafka/kafkasink"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

type wordCount struct {
	Word  string
	Count int64
}

// A job's main writes "word,count" records keyed by word, exactly once.
// The job must checkpoint (execution.checkpointing.interval); the prefix
// names this sink's transactions and must be unique to it.
func ExampleNew() {
	env := stream.NewEnvironment(nil)
	words := stream.FromSource(env, datagen.New(100, func(i int64) (string, error) { return fmt.Sprint("w", i%10), nil }),
		eventtime.NoWatermarks[string](), "words")
	counts := stream.Map(words, func(w string) (wordCount, error) { return wordCount{Word: w, Count: 1}, nil })

	props := kafka.Properties{"bootstrap.servers": "kafka-0:9092,kafka-1:9092"}
	out := kafkasink.New(props, &kafkasink.RecordSerializer[wordCount]{
		Topic: "word-counts",
		Key:   func(wc wordCount) ([]byte, error) { return []byte(wc.Word), nil },
		Value: func(wc wordCount) ([]byte, error) { return fmt.Appendf(nil, "%s,%d", wc.Word, wc.Count), nil },
	}, kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("wordcount-counts"))
	stream.SinkTo(counts, out).Name("Kafka").UID("kafka-sink")
	// env.Execute(ctx, "wordcount") runs the job.
}
