package kafkasink_test

import (
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/connector/kafka/kafkasink"
	"github.com/weirstream/weir/connector/kafka/kafkatest"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/sink"
)

type committingWriter = sink.CommittingWriter[string, kafkasink.Committable]

func newWriter(t *testing.T, s *kafkasink.Sink[string], ctx sink.InitContext) committingWriter {
	t.Helper()
	w, err := s.CreateWriter(ctx)
	if err != nil {
		t.Fatalf("CreateWriter: %v", err)
	}
	return w.(committingWriter)
}

func write(t *testing.T, w sink.Writer[string], vals []string) {
	t.Helper()
	for _, v := range vals {
		if err := w.Write(v, sink.Context{Timestamp: eventtime.NoTimestamp}); err != nil {
			t.Fatalf("Write(%q): %v", v, err)
		}
	}
}

func commit(t *testing.T, s *kafkasink.Sink[string], cs []kafkasink.Committable) {
	t.Helper()
	cm, err := s.CreateCommitter()
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	if err := cm.Commit(cs); err != nil {
		t.Fatalf("Commit(%v): %v", cs, err)
	}
}

// Each guarantee delivers every record; at-least-once has them acknowledged
// by the checkpoint (PrepareCommit), exactly-once makes them visible to
// read_committed readers only once the transaction is committed.
func TestDeliveryGuarantees(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	for _, g := range []kafkasink.DeliveryGuarantee{kafkasink.None, kafkasink.AtLeastOnce, kafkasink.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			topic := "out-" + g.String()
			c.CreateTopic(t, topic, 3)
			s := kafkasink.New(c.Properties(), kafkasink.StringValues(topic),
				kafkasink.WithDeliveryGuarantee(g), kafkasink.WithTransactionalIDPrefix("dg"))
			w := newWriter(t, s, fresh(t, 0, 1))
			defer w.Close()
			want := numbered(0, 100)
			write(t, w, want)
			cs, err := w.PrepareCommit()
			if err != nil {
				t.Fatalf("PrepareCommit: %v", err)
			}
			switch g {
			case kafkasink.None:
				if len(cs) != 0 {
					t.Fatalf("none pre-committed %v", cs)
				}
				if err := w.Flush(true); err != nil {
					t.Fatal(err)
				}
			case kafkasink.AtLeastOnce:
				if len(cs) != 0 {
					t.Fatalf("at-least-once pre-committed %v", cs)
				}
				// No flush: the checkpoint already waited for every record.
			case kafkasink.ExactlyOnce:
				if len(cs) != 1 || cs[0].TransactionalID != "dg-0-1" {
					t.Fatalf("exactly-once pre-committed %v, want transaction dg-0-1", cs)
				}
				if got := c.ReadCommitted(t, topic); len(got) != 0 {
					t.Fatalf("read_committed sees %d records before the commit", len(got))
				}
				commit(t, s, cs)
			}
			if got := values(c.ReadCommitted(t, topic)); !sameSet(got, want) {
				t.Fatalf("topic holds %d records %v, want %v", len(got), got, want)
			}
		})
	}
}

// Exactly-once: one transaction per checkpoint with records, ids counting
// up; none for a checkpoint without records; a commit repeated (as after a
// restore) is harmless; Close aborts the transaction no checkpoint covers.
func TestExactlyOnceTransactions(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 3)
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("out"),
		kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("eo"))
	w := newWriter(t, s, fresh(t, 1, 2))

	write(t, w, numbered(0, 10))
	first, err := w.PrepareCommit()
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := w.PrepareCommit(); err != nil || len(cs) != 0 {
		t.Fatalf("PrepareCommit without records = %v, %v; want nothing", cs, err)
	}
	write(t, w, numbered(10, 20))
	second, err := w.PrepareCommit()
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || len(second) != 1 || first[0].TransactionalID != "eo-1-1" || second[0].TransactionalID != "eo-1-2" {
		t.Fatalf("transactions %v then %v, want eo-1-1 then eo-1-2", first, second)
	}
	// Commits may come in any order (a restore commits them together).
	commit(t, s, second)
	commit(t, s, first)
	commit(t, s, append(first, second...)) // again: harmless
	write(t, w, numbered(20, 30))          // never pre-committed
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := values(c.ReadCommitted(t, "out")); !sameSet(got, numbered(0, 20)) {
		t.Fatalf("topic holds %v, want 0..19 (20..29 were never pre-committed)", got)
	}
	unblocked(t, c, "out")
}

// The crash window: a checkpoint completed (its committable is durable)
// but the commit was never sent, and another subtask of an earlier
// parallelism left a transaction open. A new sink restoring the
// checkpoint commits the recorded transaction and aborts the other, so
// read_committed readers see exactly the recorded records and are not held
// back; a transaction of another prefix is left alone.
func TestRecoveryOfInDoubtTransactions(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 3)
	c.CreateTopic(t, "other", 1)
	opts := []kafkasink.Option{kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("wc")}

	before := kafkasink.New(c.Properties(), kafkasink.StringValues("out"), opts...)
	w := newWriter(t, before, fresh(t, 0, 2))
	recorded := numbered(0, 10)
	write(t, w, recorded)
	cs, err := w.PrepareCommit()
	if err != nil || len(cs) != 1 {
		t.Fatalf("PrepareCommit = %v, %v", cs, err)
	}
	enc, err := before.CommittableCodec().Encode(cs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil { // nothing open: the pre-committed transaction stays
		t.Fatal(err)
	}
	lingering(t, c, "wc-3-7", "out", []string{"lost-1", "lost-2"})
	lingering(t, c, "wc-x-0-1", "other", []string{"not ours"})
	if got := c.ReadCommitted(t, "out"); len(got) != 0 {
		t.Fatalf("read_committed sees %v before recovery", values(got))
	}

	after := kafkasink.New(c.Properties(), kafkasink.StringValues("out"), opts...)
	if err := after.CommitRestored([][]byte{enc}); err != nil {
		t.Fatalf("CommitRestored: %v", err)
	}
	if err := after.CleanupAfterRestore(); err != nil {
		t.Fatalf("CleanupAfterRestore: %v", err)
	}
	if got := values(c.ReadCommitted(t, "out")); !sameSet(got, recorded) {
		t.Fatalf("after recovery read_committed sees %v, want exactly %v", got, recorded)
	}
	unblocked(t, c, "out")
	if open := openTransactions(t, c); !slices.Equal(open, []string{"wc-x-0-1"}) {
		t.Fatalf("open transactions after cleanup: %v, want only the other prefix's wc-x-0-1", open)
	}

	// Restoring the same checkpoint again (another failure before the next
	// one) commits again, harmlessly.
	if err := after.CommitRestored([][]byte{enc}); err != nil {
		t.Fatalf("second CommitRestored: %v", err)
	}
	// The restored writer numbers its transactions after the checkpoint.
	w2 := newWriter(t, after, initCtx{sub: 0, par: 2, cfg: checkpointing(t, "10s"), restored: 5})
	defer w2.Close()
	write(t, w2, []string{"new"})
	cs2, err := w2.PrepareCommit()
	if err != nil || len(cs2) != 1 || cs2[0].TransactionalID != "wc-0-6" {
		t.Fatalf("restored writer pre-committed %v, %v; want transaction wc-0-6", cs2, err)
	}
	commit(t, after, cs2)
	if got := values(c.ReadCommitted(t, "out")); !sameSet(got, append(recorded, "new")) {
		t.Fatalf("read_committed sees %v", got)
	}
}

// On a start without a restore each writer aborts what an earlier run
// left open for the subtask indices it answers for (index mod parallelism),
// and nothing of another prefix.
func TestFreshStartAbortsLingering(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 2)
	c.CreateTopic(t, "other", 1)
	lingering(t, c, "fs-1-4", "out", []string{"a"})
	lingering(t, c, "fs-3-2", "out", []string{"b"})
	lingering(t, c, "fs-2-9", "out", []string{"c"})
	lingering(t, c, "fsx-1-1", "other", []string{"d"})
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("out"),
		kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("fs"))

	w1 := newWriter(t, s, fresh(t, 1, 2))
	defer w1.Close()
	if open := openTransactions(t, c); !slices.Equal(open, []string{"fs-2-9", "fsx-1-1"}) {
		t.Fatalf("after subtask 1 of 2 started, open: %v; want fs-2-9 (subtask 0's share) and fsx-1-1", open)
	}
	w0 := newWriter(t, s, fresh(t, 0, 2))
	defer w0.Close()
	if open := openTransactions(t, c); !slices.Equal(open, []string{"fsx-1-1"}) {
		t.Fatalf("after both subtasks started, open: %v; want only fsx-1-1", open)
	}
	unblocked(t, c, "out")
	if got := c.ReadCommitted(t, "out"); len(got) != 0 {
		t.Fatalf("aborted records are visible: %v", values(got))
	}
}

// A transaction Kafka aborted on its timeout cannot be committed: the
// commit fails saying the data was lost and why, never silently.
func TestCommitOfTimedOutTransactionFailsLoudly(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 1)
	pid, epoch := lingering(t, c, "to-0-1", "out", []string{"late"}, kgo.TransactionTimeout(100*time.Millisecond))
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(openTransactions(t, c), "to-0-1") {
		if time.Now().After(deadline) {
			t.Fatal("kfake did not abort the transaction on its timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("out"),
		kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("to"))
	cm, err := s.CreateCommitter()
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	err = cm.Commit([]kafkasink.Committable{{TransactionalID: "to-0-1", ProducerID: pid, Epoch: epoch}})
	if !errors.Is(err, kafkasink.ErrTransactionLost) || !strings.Contains(err.Error(), "transaction.timeout.ms") || !strings.Contains(err.Error(), "to-0-1") {
		t.Fatalf("Commit = %v, want ErrTransactionLost naming the transaction and transaction.timeout.ms", err)
	}
	if got := c.ReadCommitted(t, "out"); len(got) != 0 {
		t.Fatalf("records of the aborted transaction are visible: %v", values(got))
	}
	// In a restore the same answer usually means the transaction was
	// committed before (an older savepoint restored again): it is logged
	// and the restore goes on, or the checkpoint could never be restored.
	enc, err := s.CommittableCodec().Encode(kafkasink.Committable{TransactionalID: "to-0-1", ProducerID: pid, Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CommitRestored([][]byte{enc}); err != nil {
		t.Fatalf("CommitRestored of a transaction Kafka no longer has = %v, want it reported in the log only", err)
	}
}

// Settings that cannot work fail when the job starts, saying what to set.
func TestConfigurationErrors(t *testing.T) {
	nowhere := kafka.Properties{"bootstrap.servers": "127.0.0.1:1"}
	eo := kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce)
	cfgOff := config.New()
	for _, tc := range []struct {
		name  string
		props kafka.Properties
		ser   kafkasink.Serializer[string]
		opts  []kafkasink.Option
		cfg   *config.Configuration
		want  []string
	}{
		{name: "no serializer", want: []string{"no serializer"}},
		{name: "no topic", ser: &kafkasink.RecordSerializer[string]{Value: kafkasink.StringEncoder[string]()}, want: []string{"neither Topic nor TopicSelector"}},
		{name: "no value", ser: &kafkasink.RecordSerializer[string]{Topic: "t"}, want: []string{"no Value encoder"}},
		{name: "bad guarantee", opts: []kafkasink.Option{kafkasink.WithDeliveryGuarantee(9)}, want: []string{"no delivery guarantee"}},
		{name: "no prefix", opts: []kafkasink.Option{eo}, want: []string{"needs a transactional id prefix", "WithTransactionalIDPrefix"}},
		{name: "prefixes disagree", props: kafka.Properties{"transactional.id": "a"}, opts: []kafkasink.Option{eo, kafkasink.WithTransactionalIDPrefix("b")}, want: []string{"disagree"}},
		{name: "checkpointing off", opts: []kafkasink.Option{eo, kafkasink.WithTransactionalIDPrefix("p")}, cfg: cfgOff, want: []string{"checkpointing is off", "execution.checkpointing.interval", "AtLeastOnce"}},
		{name: "timeout too short", props: kafka.Properties{"transaction.timeout.ms": "60000"}, opts: []kafkasink.Option{eo, kafkasink.WithTransactionalIDPrefix("p")},
			want: []string{"transaction.timeout.ms=60000", "execution.checkpointing.interval=10s", "at least 70000"}},
		{name: "timeout too short, prefix from transactional.id", props: kafka.Properties{"transaction.timeout.ms": "1000", "transactional.id": "p"}, opts: []kafkasink.Option{eo},
			want: []string{"transaction.timeout.ms=1000"}},
		{name: "unknown property", props: kafka.Properties{"lingerms": "5"}, want: []string{"lingerms"}},
		{name: "bad timeout", opts: []kafkasink.Option{kafkasink.WithTimeout(0)}, want: []string{"WithTimeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := kafka.Properties{"bootstrap.servers": nowhere["bootstrap.servers"]}
			for k, v := range tc.props {
				props[k] = v
			}
			ser := tc.ser
			if ser == nil && tc.name != "no serializer" {
				ser = kafkasink.StringValues("t")
			}
			cfg := tc.cfg
			if cfg == nil {
				cfg = checkpointing(t, "10s")
			}
			s := kafkasink.New(props, ser, tc.opts...)
			_, err := s.CreateWriter(initCtx{sub: 0, par: 1, cfg: cfg, restored: -1})
			if err == nil {
				t.Fatal("CreateWriter succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "kafkasink: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// A broker that does not answer fails the start within the sink's timeout,
// naming the address and what to check.
func TestUnreachableBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, ser := range []kafkasink.Serializer[string]{
		kafkasink.StringValues("out"),
		&kafkasink.RecordSerializer[string]{TopicSelector: func(string) string { return "out" }, Value: kafkasink.StringEncoder[string]()},
	} {
		s := kafkasink.New(kafka.Properties{"bootstrap.servers": addr}, ser, kafkasink.WithTimeout(time.Second))
		start := time.Now()
		_, err = s.CreateWriter(fresh(t, 0, 1))
		if err == nil || !strings.Contains(err.Error(), "cannot reach Kafka at bootstrap.servers="+addr) || !strings.Contains(err.Error(), "check bootstrap.servers") {
			t.Fatalf("CreateWriter = %v, want an unreachable-broker error", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("the check took %v with a 1s timeout", d)
		}
	}
}

// A missing topic fails at start when the topic is fixed, else on the
// first records written to it.
func TestMissingTopic(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("nope"))
	if _, err := s.CreateWriter(fresh(t, 0, 1)); err == nil || !strings.Contains(err.Error(), `topic "nope" does not exist`) {
		t.Fatalf("CreateWriter = %v, want a missing-topic error", err)
	}
	s = kafkasink.New(c.Properties(), &kafkasink.RecordSerializer[string]{
		TopicSelector: func(v string) string { return v }, Value: kafkasink.StringEncoder[string](),
	}, kafkasink.WithClientOpts(kgo.UnknownTopicRetries(1)))
	w := newWriter(t, s, fresh(t, 0, 1))
	defer w.Close()
	write(t, w, []string{"missing"})
	if err := w.Flush(true); err == nil || !strings.Contains(err.Error(), "topic missing") || !strings.Contains(err.Error(), "create it") {
		t.Fatalf("Flush = %v, want an error naming the missing topic", err)
	}
}

// A second producer taking over the writer's transactional id fences the
// writer: its checkpoint fails saying what happened and what to do.
func TestFencedWriter(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 1)
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("out"),
		kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("fz"))
	w := newWriter(t, s, fresh(t, 0, 1))
	defer w.Close()
	write(t, w, []string{"a"})
	if err := w.Flush(true); err != nil {
		t.Fatal(err)
	}
	lingering(t, c, "fz-0-1", "out", []string{"intruder"})
	write(t, w, []string{"b"})
	_, err := w.PrepareCommit()
	if err == nil || !strings.Contains(err.Error(), "another producer took over") {
		t.Fatalf("PrepareCommit after fencing = %v, want a fencing error", err)
	}
}

// Records carry the serializer's topic, key, headers, the element's event
// timestamp, and land on the partitioner's partition.
func TestRecordsAndPartitioning(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "even", 4)
	c.CreateTopic(t, "odd", 4)
	type event struct {
		N    int
		User string
	}
	ser := &kafkasink.RecordSerializer[event]{
		TopicSelector: func(e event) string { return map[bool]string{true: "even", false: "odd"}[e.N%2 == 0] },
		Key:           func(e event) ([]byte, error) { return []byte(e.User), nil },
		Value:         kafkasink.JSONEncoder[event](),
		Headers:       func(e event) []kgo.RecordHeader { return []kgo.RecordHeader{{Key: "user", Value: []byte(e.User)}} },
	}
	s := kafkasink.New(c.Properties(), kafkasink.Serializer[event](ser))
	w, err := s.CreateWriter(fresh(t, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	users := []string{"ann", "bob", "cy", "dee", "eve"}
	for i := range 50 {
		e := event{N: i, User: users[i%len(users)]}
		if err := w.Write(e, sink.Context{Timestamp: int64(1_000_000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(true); err != nil {
		t.Fatal(err)
	}
	w.Close()
	partOf := map[string]int32{}
	n := 0
	for _, topic := range []string{"even", "odd"} {
		for _, r := range c.ReadCommitted(t, topic) {
			n++
			var e event
			if err := json.Unmarshal(r.Value, &e); err != nil {
				t.Fatalf("value %q: %v", r.Value, err)
			}
			if want := map[bool]string{true: "even", false: "odd"}[e.N%2 == 0]; r.Topic != want {
				t.Errorf("record %d in %s", e.N, r.Topic)
			}
			if len(r.Headers) != 1 || r.Headers[0].Key != "user" || string(r.Headers[0].Value) != string(r.Key) {
				t.Errorf("record %d headers %v, key %q", e.N, r.Headers, r.Key)
			}
			if r.Timestamp.UnixMilli() != int64(1_000_000+e.N) {
				t.Errorf("record %d timestamp %d, want its event time %d", e.N, r.Timestamp.UnixMilli(), 1_000_000+e.N)
			}
			k := r.Topic + "/" + string(r.Key)
			if p, ok := partOf[k]; ok && p != r.Partition {
				t.Errorf("key %s in partitions %d and %d: the default partitioner hashes keys", k, p, r.Partition)
			}
			partOf[k] = r.Partition
		}
	}
	if n != 50 {
		t.Fatalf("%d records written, want 50", n)
	}

	// A custom partitioner: the serializer picks the partition.
	manual := kafkasink.New(c.Properties(), kafkasink.SerializerFunc[int](func(v int, _ sink.Context) (*kgo.Record, error) {
		return &kgo.Record{Topic: "even", Partition: int32(v % 4), Value: []byte{byte(v)}}, nil
	}), kafkasink.WithPartitioner(kgo.ManualPartitioner()))
	mw, err := manual.CreateWriter(fresh(t, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	for v := range 8 {
		if err := mw.Write(v, sink.Context{Timestamp: eventtime.NoTimestamp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Flush(true); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	for _, r := range c.ReadCommitted(t, "even") {
		if len(r.Value) == 1 && int32(r.Value[0]%4) != r.Partition {
			t.Errorf("value %d in partition %d, the serializer chose %d", r.Value[0], r.Partition, r.Value[0]%4)
		}
	}
}

// A small client buffer makes Writes wait for room; that works, and a
// broker that stops acknowledging fails the waiting Write after the sink's
// timeout instead of hanging the subtask.
func TestFullBuffer(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 1)
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("out"),
		kafkasink.WithClientOpts(kgo.MaxBufferedRecords(5)), kafkasink.WithTimeout(time.Second))
	w := newWriter(t, s, fresh(t, 0, 1))
	defer w.Close()
	want := numbered(0, 200)
	write(t, w, want)
	if err := w.Flush(true); err != nil {
		t.Fatal(err)
	}
	if got := values(c.ReadCommitted(t, "out")); !slices.Equal(got, want) {
		t.Fatalf("topic holds %v, want 0..199 in order", got)
	}

	c.Kfake().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.Kfake().KeepControl()
		return nil, errors.New("broker down"), true
	})
	start := time.Now()
	var err error
	for i := 0; err == nil && time.Since(start) < 10*time.Second; i++ {
		err = w.Write("stuck", sink.Context{Timestamp: eventtime.NoTimestamp})
	}
	if err == nil || !strings.Contains(err.Error(), "make room") {
		t.Fatalf("Write against a broker that acknowledges nothing = %v after %v, want the stall error", err, time.Since(start))
	}
}

// A real coordinator answers CONCURRENT_TRANSACTIONS while it completes a
// transaction's end (kfake completes at once): the commit and the abort of
// lingering transactions wait it out.
func TestConcurrentTransactionsIsRetried(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "out", 1)
	opts := []kafkasink.Option{kafkasink.WithDeliveryGuarantee(kafkasink.ExactlyOnce), kafkasink.WithTransactionalIDPrefix("ct")}
	s := kafkasink.New(c.Properties(), kafkasink.StringValues("out"), opts...)
	busy := func(key kmsg.Key, times int) *atomic.Int32 {
		var answered atomic.Int32
		c.Kfake().ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			if answered.Load() >= int32(times) {
				return nil, nil, false
			}
			answered.Add(1)
			c.Kfake().KeepControl()
			resp := req.ResponseKind()
			switch r := resp.(type) {
			case *kmsg.EndTxnResponse:
				r.ErrorCode = kerr.ConcurrentTransactions.Code
			case *kmsg.InitProducerIDResponse:
				r.ErrorCode = kerr.ConcurrentTransactions.Code
			}
			return resp, nil, true
		})
		return &answered
	}

	w := newWriter(t, s, fresh(t, 0, 1))
	defer w.Close()
	write(t, w, []string{"a"})
	cs, err := w.PrepareCommit()
	if err != nil {
		t.Fatal(err)
	}
	answered := busy(kmsg.EndTxn, 3)
	commit(t, s, cs)
	if answered.Load() != 3 {
		t.Fatalf("the coordinator answered CONCURRENT_TRANSACTIONS %d times, want 3", answered.Load())
	}

	lingering(t, c, "ct-5-5", "out", []string{"lost"})
	answered = busy(kmsg.InitProducerID, 3)
	if err := s.CleanupAfterRestore(); err != nil {
		t.Fatalf("CleanupAfterRestore: %v", err)
	}
	if answered.Load() != 3 {
		t.Fatalf("the coordinator answered CONCURRENT_TRANSACTIONS %d times, want 3", answered.Load())
	}
	if got := values(c.ReadCommitted(t, "out")); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("read_committed sees %v, want [a]", got)
	}
	unblocked(t, c, "out")
}
