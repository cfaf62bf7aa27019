package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/internal/stopctx"
	"github.com/weirstream/weir/sink"
)

// DeliveryGuarantee says what a failure may do to the records written
// (see the package doc).
type DeliveryGuarantee int

const (
	// None waits for nothing at checkpoints.
	None DeliveryGuarantee = iota + 1
	// AtLeastOnce waits at every checkpoint until Kafka acknowledged every
	// record written before it.
	AtLeastOnce
	// ExactlyOnce writes one Kafka transaction per checkpoint and subtask
	// and commits it when the checkpoint completes.
	ExactlyOnce
)

func (g DeliveryGuarantee) String() string {
	switch g {
	case None:
		return "none"
	case AtLeastOnce:
		return "at-least-once"
	case ExactlyOnce:
		return "exactly-once"
	}
	return fmt.Sprintf("DeliveryGuarantee(%d)", int(g))
}

// ParseDeliveryGuarantee reads "none", "at-least-once" or "exactly-once"
// (Flink's option values; its enum names NONE, AT_LEAST_ONCE and
// EXACTLY_ONCE are accepted too).
func ParseDeliveryGuarantee(s string) (DeliveryGuarantee, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-") {
	case "none":
		return None, nil
	case "at-least-once":
		return AtLeastOnce, nil
	case "exactly-once":
		return ExactlyOnce, nil
	}
	return 0, fmt.Errorf("kafkasink: delivery guarantee %q is not one of none, at-least-once, exactly-once", s)
}

// Defaults.
const (
	// DefaultTransactionTimeout is transaction.timeout.ms when it is not
	// set: Kafka's default transaction.max.timeout.ms, the largest value a
	// default broker accepts.
	DefaultTransactionTimeout = 15 * time.Minute
	// DefaultTimeout bounds one wait for Kafka (see WithTimeout).
	DefaultTimeout = time.Minute
	// TransactionTimeoutMargin is what transaction.timeout.ms must exceed
	// the checkpoint interval by: the time a checkpoint may take between
	// the pre-commit and the commit of a transaction.
	TransactionTimeoutMargin = time.Minute
)

// Option configures a Sink.
type Option func(*options)

type options struct {
	guarantee   DeliveryGuarantee
	prefix      string
	partitioner kgo.Partitioner
	extra       []kgo.Opt
	timeout     time.Duration
}

// WithDeliveryGuarantee sets the guarantee (default AtLeastOnce).
func WithDeliveryGuarantee(g DeliveryGuarantee) Option {
	return func(o *options) { o.guarantee = g }
}

// WithTransactionalIDPrefix sets the prefix of the sink's transactional ids
// (required for ExactlyOnce, ignored otherwise). It must be unique to this
// sink across every job writing to the cluster; the transactional.id
// property sets it as well.
func WithTransactionalIDPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// WithPartitioner replaces franz-go's default partitioner (sticky for
// records without a key, murmur2 of the key otherwise). kgo.ManualPartitioner
// lets the Serializer choose Record.Partition.
func WithPartitioner(p kgo.Partitioner) Option {
	return func(o *options) { o.partitioner = p }
}

// WithClientOpts adds franz-go options after those of the properties, for
// settings the properties do not cover (a custom dialer, hooks). Set
// transaction.timeout.ms through the properties: the sink checks that
// value.
func WithClientOpts(opts ...kgo.Opt) Option {
	return func(o *options) { o.extra = append(o.extra, opts...) }
}

// WithTimeout bounds how long the sink waits for Kafka in one step: the
// connection check at start, the flush at a checkpoint, a commit, the abort
// of transactions left open, and a Write waiting for room in the client's
// buffer (buffer.memory, 50000 records). When it passes, the job fails and
// restarts from its last checkpoint. Default DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// Sink writes a stream to Kafka. It is immutable after New and creates the
// writers of every subtask. It implements sink.TwoPhaseCommittingSink,
// sink.Committing and sink.Cleaner, so stream.SinkTo commits its
// transactions on checkpoints and recovers them after failures.
type Sink[T any] struct {
	ser       Serializer[T]
	guarantee DeliveryGuarantee
	prefix    string
	timeout   time.Duration
	brokers   string
	// clientOpts are the options of every client the sink creates, without
	// a transactional id.
	clientOpts []kgo.Opt
	// err is a configuration error, reported when the job starts because
	// New returns none.
	err error
}

var (
	_ sink.TwoPhaseCommittingSink[string, Committable] = (*Sink[string])(nil)
	_ sink.Committing[string]                          = (*Sink[string])(nil)
	_ sink.Cleaner                                     = (*Sink[string])(nil)
)

// New returns a sink writing the records ser makes to the Kafka cluster
// props describes (bootstrap.servers at least; see package kafka for the
// keys). Invalid settings are reported when the job starts, by the first
// method of the sink the runtime calls.
func New[T any](props kafka.Properties, ser Serializer[T], opts ...Option) *Sink[T] {
	o := options{guarantee: AtLeastOnce, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Sink[T]{ser: ser, guarantee: o.guarantee, prefix: o.prefix, timeout: o.timeout, brokers: props["bootstrap.servers"]}
	s.err = s.configure(props, o)
	return s
}

func (s *Sink[T]) configure(props kafka.Properties, o options) error {
	if s.ser == nil {
		return errors.New("kafkasink: no serializer; pass one to kafkasink.New, e.g. kafkasink.StringValues(\"topic\")")
	}
	if v, ok := s.ser.(validator); ok {
		if err := v.validate(); err != nil {
			return err
		}
	}
	switch s.guarantee {
	case None, AtLeastOnce, ExactlyOnce:
	default:
		return fmt.Errorf("kafkasink: %v is no delivery guarantee; use kafkasink.None, AtLeastOnce or ExactlyOnce", s.guarantee)
	}
	if s.timeout <= 0 {
		return fmt.Errorf("kafkasink: WithTimeout(%v): the timeout must be positive", s.timeout)
	}
	client, taken := props.Split("transactional.id")
	if id, ok := taken["transactional.id"]; ok {
		if s.prefix != "" && s.prefix != id {
			return fmt.Errorf("kafkasink: transactional.id=%q and WithTransactionalIDPrefix(%q) disagree; set the prefix once", id, s.prefix)
		}
		s.prefix = id
	}
	if s.guarantee == ExactlyOnce && s.prefix == "" {
		return errors.New("kafkasink: exactly-once needs a transactional id prefix: pass kafkasink.WithTransactionalIDPrefix(\"<job>-<sink>\") or set the transactional.id property, unique to this sink among every job writing to the cluster")
	}
	if strings.ContainsFunc(s.prefix, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("kafkasink: transactional id prefix %q contains control characters; use letters, digits, '.', '_' and '-'", s.prefix)
	}
	kopts, err := client.ClientOpts()
	if err != nil {
		return fmt.Errorf("kafkasink: %w", err)
	}
	// Defaults first: the properties' options come later and override them.
	s.clientOpts = []kgo.Opt{kgo.TransactionTimeout(DefaultTransactionTimeout)}
	s.clientOpts = append(s.clientOpts, kopts...)
	if o.partitioner != nil {
		s.clientOpts = append(s.clientOpts, kgo.RecordPartitioner(o.partitioner))
	}
	s.clientOpts = append(s.clientOpts, o.extra...)
	return nil
}

// Guarantee is the sink's delivery guarantee.
func (s *Sink[T]) Guarantee() DeliveryGuarantee { return s.guarantee }

// TransactionalIDPrefix is the prefix of the sink's transactional ids
// ("" unless exactly-once).
func (s *Sink[T]) TransactionalIDPrefix() string {
	if s.guarantee != ExactlyOnce {
		return ""
	}
	return s.prefix
}

// newClient returns a client with the sink's options and extra ones.
func (s *Sink[T]) newClient(extra ...kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), s.clientOpts...), extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafkasink: create a Kafka client: %w", err)
	}
	return cl, nil
}

// transactionTimeout is the transaction.timeout.ms in effect for cl.
func transactionTimeout(cl *kgo.Client) time.Duration {
	d, _ := cl.OptValue(kgo.TransactionTimeout).(time.Duration)
	return d
}

// checkJob fails an exactly-once sink whose transactions could time out
// before their checkpoint commits them (see the package doc).
func (s *Sink[T]) checkJob(cfg *config.Configuration, txnTimeout time.Duration) error {
	if s.guarantee != ExactlyOnce {
		return nil
	}
	interval := config.Get(cfg, checkpoint.Interval)
	if interval <= 0 {
		return fmt.Errorf("kafkasink: exactly-once commits Kafka transactions when checkpoints complete, but checkpointing is off: set %s (e.g. 10s), or use kafkasink.AtLeastOnce", checkpoint.Interval.Key())
	}
	if need := interval + TransactionTimeoutMargin; txnTimeout < need {
		return fmt.Errorf("kafkasink: transaction.timeout.ms=%d is too short for %s=%v: a transaction stays open for a checkpoint interval plus the time its checkpoint takes, and Kafka would abort it and lose its records; set transaction.timeout.ms to at least %d (the interval plus a %v margin; the broker's transaction.max.timeout.ms, 900000 by default, caps it) or checkpoint more often",
			txnTimeout.Milliseconds(), checkpoint.Interval.Key(), interval, need.Milliseconds(), TransactionTimeoutMargin)
	}
	if worst := interval + config.Get(cfg, checkpoint.Timeout); txnTimeout < worst {
		// A checkpoint may take up to its timeout: one that slow would see
		// its transactions aborted. Too strict to fail on with the defaults
		// (10 min checkpoint timeout, 15 min broker cap), so only a warning.
		slog.Warn("kafkasink: transaction.timeout.ms is shorter than the checkpoint interval plus the checkpoint timeout: "+
			"a checkpoint that takes long would lose its transactions' records; raise transaction.timeout.ms or lower "+
			checkpoint.Timeout.Key(), "transaction.timeout.ms", txnTimeout.Milliseconds(),
			checkpoint.Interval.Key(), interval.String(), checkpoint.Timeout.Key(), config.Get(cfg, checkpoint.Timeout).String())
	}
	return nil
}

// checkCluster fails when no broker answers or the fixed topic is missing,
// so the job fails at start with a clear error rather than on the first
// record.
func (s *Sink[T]) checkCluster(ctx context.Context, cl *kgo.Client) error {
	tc, ok := s.ser.(topicChecker)
	topic := ""
	if ok {
		topic = tc.fixedTopic()
	}
	if topic == "" {
		if err := cl.Ping(ctx); err != nil {
			return fmt.Errorf("kafkasink: cannot reach Kafka at bootstrap.servers=%s: %w (%s)", s.brokers, err, unreachableAdvice(err))
		}
		return nil
	}
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = &topic
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("kafkasink: cannot reach Kafka at bootstrap.servers=%s: %w (%s)", s.brokers, err, unreachableAdvice(err))
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("kafkasink: topic %q does not exist on bootstrap.servers=%s: create it before starting the job (the sink does not create topics)", topic, s.brokers)
			}
			return fmt.Errorf("kafkasink: topic %q: %w (%s)", topic, err, produceAdvice(err))
		}
	}
	return nil
}

// CreateWriter implements sink.Sink. It checks the configuration and that
// the cluster answers, and for exactly-once on a start without a restore
// aborts the transactions an earlier run left open for this subtask's share
// of subtask indices.
func (s *Sink[T]) CreateWriter(ctx sink.InitContext) (sink.Writer[T], error) {
	if s.err != nil {
		return nil, s.err
	}
	if ctx == nil {
		return nil, errors.New("kafkasink: CreateWriter needs an InitContext (it says which subtask writes)")
	}
	return s.newWriter(ctx)
}

// CreateCommitter implements sink.TwoPhaseCommittingSink.
func (s *Sink[T]) CreateCommitter() (sink.Committer[Committable], error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.newCommitter(), nil
}

func (s *Sink[T]) newCommitter() *Committer {
	return &Committer{newClient: func() (*kgo.Client, error) { return s.newClient() }, timeout: s.timeout, life: stopctx.New(), log: slog.Default()}
}

// CommittableCodec implements sink.TwoPhaseCommittingSink.
func (s *Sink[T]) CommittableCodec() codec.Codec[Committable] { return committableCodec{} }

// NewCommitDriver implements sink.Committing.
func (s *Sink[T]) NewCommitDriver(w sink.Writer[T]) (sink.CommitDriver, error) {
	return sink.NewDriver[T, Committable](s, w)
}

// CommitRestored implements sink.Committing: it commits the transactions
// a restored checkpoint had pre-committed (again, if they were committed
// before the failure: that is harmless).
func (s *Sink[T]) CommitRestored(encoded [][]byte) error {
	if s.err != nil {
		return s.err
	}
	if len(encoded) == 0 {
		return nil
	}
	cs, err := sink.DecodeCommittables[T, Committable](s, encoded)
	if err != nil {
		return err
	}
	c := s.newCommitter()
	c.recovering = true
	err = c.Commit(cs)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// CleanupAfterRestore implements sink.Cleaner: once the restored
// transactions are committed, every transaction of the prefix still open
// belongs to a failed attempt (of any subtask index, at any parallelism);
// its records are replayed from the checkpoint, so it is aborted.
func (s *Sink[T]) CleanupAfterRestore() error {
	if s.err != nil {
		return s.err
	}
	if s.guarantee != ExactlyOnce {
		return nil
	}
	_, err := s.AbortLingering()
	return err
}

// AbortLingering aborts every open transaction of the sink's prefix and
// returns the transactional ids it aborted. Run it only while no writer of
// the sink runs (the runtime calls it through CleanupAfterRestore); it is
// useful by hand to unblock read_committed consumers after a job was
// abandoned.
func (s *Sink[T]) AbortLingering() ([]string, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.prefix == "" {
		return nil, errors.New("kafkasink: AbortLingering needs a transactional id prefix")
	}
	cl, err := s.newClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	life := stopctx.New()
	defer life.Stop()
	ctx, cancel := context.WithTimeout(life, s.timeout)
	defer cancel()
	return abortLingering(ctx, cl, s.prefix, func(int) bool { return true }, transactionTimeout(cl))
}
