package kafkatest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirstream/weir/connector/kafka/kafkatest"
)

func values(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = fmt.Sprintf("%d:%s", r.Partition, r.Value)
	}
	return out
}

func rec(topic string, partition int32, value string) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: partition, Value: []byte(value)}
}

// txnProducer returns a transactional client writing to the partitions
// records name.
func txnProducer(t *testing.T, c *kafkatest.Cluster, id string, opts ...kgo.Opt) *kgo.Client {
	return c.Client(t, append([]kgo.Opt{
		kgo.TransactionalID(id),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}, opts...)...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestClusterBasics(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	if got := c.Brokers(); len(got) != 3 {
		t.Fatalf("brokers %v, want 3", got)
	}
	if got := c.Properties()["bootstrap.servers"]; got != strings.Join(c.Brokers(), ",") {
		t.Fatalf("bootstrap.servers %q", got)
	}
	c.CreateTopic(t, "t", 2)
	c.Produce(t, rec("t", 1, "b"), rec("t", 0, "a"), &kgo.Record{Topic: "t", Value: []byte("c")})
	if got, want := values(c.ReadCommitted(t, "t")), []string{"0:a", "0:c", "1:b"}; !slices.Equal(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	c.CreateTopic(t, "empty", 3)
	if got := c.ReadCommitted(t, "empty"); len(got) != 0 {
		t.Fatalf("empty topic read %v", got)
	}
}

// Transactions over a 3-broker cluster: coordinators are spread over the
// brokers, committed records are read, aborted ones are not, and an open
// transaction hides its records and everything after them until it ends.
func TestTransactionsThreeBrokers(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "t", 3)

	// Transactional ids land on different coordinators.
	coordinators := map[int32]bool{}
	for i := range 20 {
		coordinators[c.Kfake().CoordinatorFor(fmt.Sprintf("txn-%d", i))] = true
	}
	if len(coordinators) < 2 {
		t.Fatalf("20 transactional ids all on coordinator %v", coordinators)
	}

	commit := txnProducer(t, c, "txn-commit")
	abort := txnProducer(t, c, "txn-abort")
	open := txnProducer(t, c, "txn-open")
	// run writes recs in a transaction of cl and commits it, aborts it
	// or leaves it open.
	run := func(cl *kgo.Client, end string, recs ...*kgo.Record) {
		t.Helper()
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx(t), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if end != "open" {
			if err := cl.EndTransaction(ctx(t), kgo.TransactionEndTry(end == "commit")); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(commit, "commit", rec("t", 0, "c1"), rec("t", 1, "c1"), rec("t", 2, "c1"))
	run(abort, "abort", rec("t", 0, "a1"), rec("t", 1, "a1")) // partition 1 ends in an abort marker
	run(commit, "commit", rec("t", 0, "c2"))
	run(open, "open", rec("t", 2, "o1"))
	c.Produce(t, rec("t", 2, "after-open"), rec("t", 0, "plain"))

	want := []string{"0:c1", "0:c2", "0:plain", "1:c1", "2:c1"}
	if got := values(c.ReadCommitted(t, "t")); !slices.Equal(got, want) {
		t.Fatalf("read_committed with a transaction open: %v, want %v", got, want)
	}
	if err := open.EndTransaction(ctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	want = []string{"0:c1", "0:c2", "0:plain", "1:c1", "2:c1", "2:o1", "2:after-open"}
	if got := values(c.ReadCommitted(t, "t")); !slices.Equal(got, want) {
		t.Fatalf("read_committed after the commit: %v, want %v", got, want)
	}
}

func TestAddPartitions(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "t", 2)
	c.Produce(t, rec("t", 0, "a"), rec("t", 1, "b"))
	c.AddPartitions(t, "t", 4)
	c.Produce(t, rec("t", 3, "d"), rec("t", 2, "c"))

	td, err := kadm.NewClient(c.Client(t)).ListTopics(ctx(t), "t")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(td["t"].Partitions); n != 4 {
		t.Fatalf("topic has %d partitions, want 4", n)
	}
	if got, want := values(c.ReadCommitted(t, "t")), []string{"0:a", "1:b", "2:c", "3:d"}; !slices.Equal(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	// A transaction can write to the new partitions.
	p := txnProducer(t, c, "grown")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx(t), rec("t", 3, "txn")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := p.EndTransaction(ctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if got := values(c.ReadCommitted(t, "t")); got[len(got)-1] != "3:txn" {
		t.Fatalf("read %v, want 3:txn last", got)
	}
}

// ListTransactions and DescribeTransactions as kfake answers them: an open
// transaction is "Ongoing" with its partitions; an ended one is "Empty"
// (Kafka would say CompleteCommit or CompleteAbort).
func TestListAndDescribeTransactions(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "t", 2)
	adm := kadm.NewClient(c.Client(t))

	open := txnProducer(t, c, "sink-0-1")
	done := txnProducer(t, c, "sink-1-1")
	for _, cl := range []*kgo.Client{open, done} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx(t), rec("t", 1, "x")).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := done.EndTransaction(ctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	listed, err := adm.ListTransactions(ctx(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for id, lt := range listed {
		states[id] = lt.State
	}
	if want := map[string]string{"sink-0-1": "Ongoing", "sink-1-1": "Empty"}; fmt.Sprint(states) != fmt.Sprint(want) {
		t.Fatalf("listed %v, want %v", states, want)
	}
	ongoing, err := adm.ListTransactions(ctx(t), nil, []string{"Ongoing"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := slices.Sorted(func(yield func(string) bool) {
		for id := range ongoing {
			if !yield(id) {
				return
			}
		}
	}); !slices.Equal(ids, []string{"sink-0-1"}) {
		t.Fatalf("ongoing %v, want [sink-0-1]", ids)
	}

	described, err := adm.DescribeTransactions(ctx(t), "sink-0-1", "sink-1-1", "never-used")
	if err != nil {
		t.Fatal(err)
	}
	d := described["sink-0-1"]
	if d.Err != nil || d.State != "Ongoing" || d.ProducerID < 0 || len(d.Topics["t"]) != 1 {
		t.Fatalf("open transaction described as %+v", d)
	}
	if d := described["sink-1-1"]; d.Err != nil || d.State != "Empty" {
		t.Fatalf("ended transaction described as %+v", d)
	}
	if d := described["never-used"]; !errors.Is(d.Err, kerr.TransactionalIDNotFound) {
		t.Fatalf("unknown transactional id described as %+v", d)
	}

	// A new producer with the same transactional id fences the open
	// transaction and aborts it on InitProducerID, as Kafka does.
	fence := txnProducer(t, c, "sink-0-1")
	if err := fence.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := fence.EndTransaction(ctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if got := values(c.ReadCommitted(t, "t")); !slices.Equal(got, []string{"1:x"}) {
		t.Fatalf("after fencing read %v, want only the committed 1:x", got)
	}
	if err := open.EndTransaction(ctx(t), kgo.TryCommit); err == nil {
		t.Fatal("the fenced producer committed")
	}
}

// kfake aborts a transaction that stays open longer than its timeout, so
// read_committed readers move on.
func TestTransactionTimeoutAborts(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "t", 1)
	p := txnProducer(t, c, "slow", kgo.TransactionTimeout(300*time.Millisecond))
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx(t), rec("t", 0, "late")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	c.Produce(t, rec("t", 0, "plain"))
	if got := c.ReadCommitted(t, "t"); len(got) != 0 {
		t.Fatalf("read %v while the transaction is open", values(got))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := values(c.ReadCommitted(t, "t"))
		if slices.Equal(got, []string{"0:plain"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transaction not aborted by its timeout; read %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.EndTransaction(ctx(t), kgo.TryCommit); err == nil {
		t.Fatal("committed a transaction the broker aborted")
	}
}

// A raw EndTxn with a transaction's (transactional id, producer id, epoch)
// commits it from another client, as a restored sink does; repeating it
// is no error.
func TestRawEndTxnCommitsFromAnotherClient(t *testing.T) {
	c := kafkatest.NewCluster(t, 3)
	c.CreateTopic(t, "t", 2)
	p := txnProducer(t, c, "resume")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx(t), rec("t", 0, "a"), rec("t", 1, "b")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	id, epoch, err := p.ProducerID(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ReadCommitted(t, "t"); len(got) != 0 {
		t.Fatalf("read %v before the commit", values(got))
	}

	other := c.Client(t)
	for range 2 {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = "resume", id, epoch, true
		resp, err := req.RequestWith(ctx(t), other)
		if err != nil {
			t.Fatal(err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			t.Fatalf("EndTxn: %v", err)
		}
	}
	if got, want := values(c.ReadCommitted(t, "t")), []string{"0:a", "1:b"}; !slices.Equal(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
}
