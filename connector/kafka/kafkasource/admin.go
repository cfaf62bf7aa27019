package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// connWatch remembers whether a client ever connected and the last
// connection error, so that a request failing before any connection says
// the brokers are unreachable and why.
type connWatch struct {
	mu        sync.Mutex
	connected bool
	lastErr   error
}

var _ kgo.HookBrokerConnect = (*connWatch)(nil)

func (w *connWatch) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.connected = true
	} else {
		w.lastErr = err
	}
}

func (w *connWatch) state() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.connected, w.lastErr
}

// admin makes the enumerator's requests: topic metadata and offsets. Each
// call gives up after timeout.
type admin struct {
	cl            *kgo.Client
	adm           *kadm.Client
	watch         *connWatch
	brokers       []string
	group         string
	readCommitted bool
	timeout       time.Duration
}

// do runs fn until it succeeds, fails for good, or the admin timeout
// passes, and turns a failure into an error that says what to check.
// Connection failures and Kafka's retriable errors are retried with
// backoff: franz-go gives up on a broker it cannot dial after a few tries,
// while brokers that restart or start after the job deserve the whole
// timeout.
func (a *admin) do(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	backoff := 100 * time.Millisecond
	var wait *time.Timer
	var err error
	for {
		if err = fn(cctx); err == nil {
			return nil
		}
		if !retriable(err) || cctx.Err() != nil {
			break
		}
		if wait == nil {
			wait = time.NewTimer(backoff)
			defer wait.Stop()
		} else {
			wait.Reset(backoff)
		}
		select {
		case <-wait.C:
		case <-cctx.Done():
		}
		if cctx.Err() != nil {
			break
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	if ctx.Err() != nil {
		return ctx.Err() // the coordinator is stopping; nobody reads this
	}
	connected, connErr := a.watch.state()
	if !connected {
		last := ""
		if connErr != nil {
			last = fmt.Sprintf(" (last connection error: %v)", connErr)
		}
		return fmt.Errorf("kafkasource: %s: cannot reach the Kafka brokers %s within %v%s; check bootstrap.servers, that the brokers are running and reachable from this host, and the security settings (security.protocol, sasl.*, ssl.*): %w",
			what, strings.Join(a.brokers, ","), a.timeout, last, err)
	}
	if cctx.Err() != nil {
		return fmt.Errorf("kafkasource: %s: no answer from the Kafka brokers %s within %v (raise it with WithTimeout): %w", what, strings.Join(a.brokers, ","), a.timeout, err)
	}
	return fmt.Errorf("kafkasource: %s: %w", what, err)
}

// retriable reports whether a request may succeed when repeated: network
// failures and errors Kafka marks retriable.
func retriable(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var kErr *kerr.Error
	if errors.As(err, &kErr) {
		return kErr.Retriable
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// subscription is what the source reads: a topic list or a pattern.
type subscription struct {
	topics  []string
	pattern *regexp.Regexp
}

func (s subscription) String() string {
	if s.pattern != nil {
		return fmt.Sprintf("topics matching %q", s.pattern.String())
	}
	return fmt.Sprintf("topics %q", s.topics)
}

// partitions lists the partitions the subscription covers, from fresh
// metadata (not the client's cache, so new partitions show at once).
func (a *admin) partitions(ctx context.Context, sub subscription) ([]TopicPartition, error) {
	var out []TopicPartition
	err := a.do(ctx, "discover partitions of "+sub.String(), func(ctx context.Context) error {
		req := kmsg.NewPtrMetadataRequest()
		if sub.pattern == nil {
			for _, t := range sub.topics {
				rt := kmsg.NewMetadataRequestTopic()
				rt.Topic = kmsg.StringPtr(t)
				req.Topics = append(req.Topics, rt)
			}
		}
		resp, err := req.RequestWith(ctx, a.cl)
		if err != nil {
			return err
		}
		var missing []string
		for _, t := range resp.Topics {
			if t.Topic == nil {
				continue
			}
			name := *t.Topic
			if sub.pattern != nil && (t.IsInternal || !sub.pattern.MatchString(name)) {
				continue
			}
			switch err := kerr.ErrorForCode(t.ErrorCode); {
			case errors.Is(err, kerr.UnknownTopicOrPartition) && sub.pattern == nil:
				missing = append(missing, name)
				continue
			case errors.Is(err, kerr.TopicAuthorizationFailed):
				return fmt.Errorf("not authorized to describe topic %q; grant DESCRIBE and READ on it to this client's principal", name)
			case err != nil && sub.pattern == nil:
				return fmt.Errorf("topic %q: %w", name, err)
			case err != nil:
				continue // a matching topic being created or deleted; the next discovery sees it
			}
			for _, p := range t.Partitions {
				out = append(out, TopicPartition{Topic: name, Partition: p.Partition})
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("topic %q does not exist on the brokers %s; create it, or fix the topic list", missing[0], strings.Join(a.brokers, ","))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareTP)
	return out, nil
}

// retriever implements OffsetsRetriever with the admin client.
type retriever struct{ a *admin }

var _ OffsetsRetriever = retriever{}

func topicsOf(tps []TopicPartition) []string {
	var ts []string
	for _, tp := range tps {
		if !slices.Contains(ts, tp.Topic) {
			ts = append(ts, tp.Topic)
		}
	}
	return ts
}

// pick takes the offsets of tps out of a listing; a partition missing or
// failing in it is an error naming the partition.
func pick(what string, tps []TopicPartition, listed kadm.ListedOffsets) (map[TopicPartition]int64, error) {
	out := make(map[TopicPartition]int64, len(tps))
	for _, tp := range tps {
		lo, ok := listed.Lookup(tp.Topic, tp.Partition)
		if !ok {
			if ps, ok := listed[tp.Topic]; ok {
				if e, ok := ps[-1]; ok && e.Err != nil {
					return nil, fmt.Errorf("kafkasource: %s offset of %s: %w", what, tp, e.Err)
				}
			}
			return nil, fmt.Errorf("kafkasource: %s offset of %s: the broker did not list the partition (was the topic deleted?)", what, tp)
		}
		if lo.Err != nil {
			return nil, fmt.Errorf("kafkasource: %s offset of %s: %w", what, tp, lo.Err)
		}
		if lo.Offset < 0 {
			return nil, fmt.Errorf("kafkasource: %s offset of %s: the broker answered %d", what, tp, lo.Offset)
		}
		out[tp] = lo.Offset
	}
	return out, nil
}

func (r retriever) list(ctx context.Context, what string, tps []TopicPartition, fn func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error)) (map[TopicPartition]int64, error) {
	if len(tps) == 0 {
		return map[TopicPartition]int64{}, nil
	}
	var out map[TopicPartition]int64
	err := r.a.do(ctx, "list "+what+" offsets", func(ctx context.Context) error {
		listed, err := fn(ctx, topicsOf(tps)...)
		if err != nil {
			return err
		}
		out, err = pick(what, tps, listed)
		return err
	})
	return out, err
}

func (r retriever) Earliest(ctx context.Context, tps []TopicPartition) (map[TopicPartition]int64, error) {
	return r.list(ctx, "earliest", tps, r.a.adm.ListStartOffsets)
}

func (r retriever) Latest(ctx context.Context, tps []TopicPartition) (map[TopicPartition]int64, error) {
	if r.a.readCommitted {
		// The last stable offset: a read_committed reader reads up to it.
		return r.list(ctx, "latest", tps, r.a.adm.ListCommittedOffsets)
	}
	return r.list(ctx, "latest", tps, r.a.adm.ListEndOffsets)
}

func (r retriever) AtTimestamp(ctx context.Context, ms int64, tps []TopicPartition) (map[TopicPartition]int64, error) {
	return r.list(ctx, "timestamp", tps, func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
		return r.a.adm.ListOffsetsAfterMilli(ctx, ms, topics...)
	})
}

func (r retriever) Committed(ctx context.Context, tps []TopicPartition) (map[TopicPartition]int64, error) {
	if r.a.group == "" {
		return nil, errors.New("kafkasource: committed offsets need a consumer group; set group.id (or WithGroupID)")
	}
	out := map[TopicPartition]int64{}
	err := r.a.do(ctx, fmt.Sprintf("fetch committed offsets of group %q", r.a.group), func(ctx context.Context) error {
		resps, err := r.a.adm.FetchOffsets(ctx, r.a.group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			// Kafka answers offset -1 for a group it has never seen,
			// kfake GROUP_ID_NOT_FOUND: both mean nothing committed.
			return nil
		}
		if err != nil {
			return err
		}
		for _, tp := range tps {
			resp, ok := resps.Lookup(tp.Topic, tp.Partition)
			if !ok {
				continue
			}
			if resp.Err != nil {
				return fmt.Errorf("committed offset of %s: %w", tp, resp.Err)
			}
			if resp.At >= 0 {
				out[tp] = resp.At
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
