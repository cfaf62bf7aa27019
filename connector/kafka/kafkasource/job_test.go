package kafkasource_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/kafka/kafkasource"
	"github.com/weirstream/weir/connector/kafka/kafkatest"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source/sourcetest"
	"github.com/weirstream/weir/stream"
)

type order struct {
	ID     int    `json:"id"`
	Amount string `json:"amount"`
}

// TestJobReadsTopicOnce runs a bounded job through the stream API: every
// record of a three-partition topic reaches the sink once, undecodable
// ones reach the side output, and the offsets of the final checkpoint are
// committed to the group.
func TestJobReadsTopicOnce(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "orders", 3)
	const n = 3000
	var recs []*kgo.Record
	var want []order
	var wantBad []int64 // offsets in partition 2
	for i := range n {
		p := int32(i % 3)
		v := fmt.Sprintf(`{"id":%d,"amount":"%d.00"}`, i, i)
		if i%300 == 2 {
			v = "not json"
			wantBad = append(wantBad, int64(i/3))
		} else {
			want = append(want, order{ID: i, Amount: fmt.Sprintf("%d.00", i)})
		}
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: p, Value: []byte(v)})
	}
	c.Produce(t, recs...)

	env := stream.NewEnvironment(nil).SetParallelism(2).SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for k, v := range map[string]string{
		"execution.checkpointing.interval": "30ms",
		"state.checkpoints.dir":            t.TempDir(),
	} {
		if err := env.Config().Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	props := c.Properties()
	props["group.id"] = "orders-job"
	bad := stream.NewOutputTag[kafkasource.BadRecord]("bad-orders")
	src := kafkasource.New(props, kafkasource.JSON[order]()).
		Topics("orders").
		Bounded(kafkasource.Latest()).
		SideOutputBadRecords(bad)
	orders := stream.FromSource(env, src, eventtime.ForMonotonousTimestamps[order](), "orders")
	out := collect.New[order]()
	stream.SinkTo(orders, out)
	badOut := collect.New[kafkasource.BadRecord]()
	stream.SinkTo(stream.SideOutput(orders, bad), badOut)

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := env.Execute(ctx, "kafka-orders"); err != nil {
		t.Fatal(err)
	}
	sourcetest.CheckExactlyOnce(t, out.Values(), want)
	var gotBad []int64
	for _, b := range badOut.Values() {
		if b.Topic != "orders" || b.Partition != 2 || string(b.Value) != "not json" || b.Error == "" {
			t.Fatalf("bad record %+v", b)
		}
		gotBad = append(gotBad, b.Offset)
	}
	sourcetest.CheckExactlyOnce(t, gotBad, wantBad)

	adm := kadm.NewClient(c.Client(t))
	resps, err := adm.FetchOffsets(ctx, "orders-job")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]int64{}
	resps.Each(func(o kadm.OffsetResponse) { got[o.Partition] = o.At })
	if want := map[int32]int64{0: n / 3, 1: n / 3, 2: n / 3}; !maps.Equal(got, want) {
		t.Fatalf("committed offsets %v, want the ends %v", got, want)
	}
}
