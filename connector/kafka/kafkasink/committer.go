package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirstream/weir/internal/failpoint"
	"github.com/weirstream/weir/internal/stopctx"
	"github.com/weirstream/weir/sink"
)

// Committer commits pre-committed transactions with raw EndTxn requests
// from a client of its own (created on the first commit). Use it from one
// goroutine.
type Committer struct {
	newClient func() (*kgo.Client, error)
	timeout   time.Duration
	life      *stopctx.Context
	cl        *kgo.Client
	// recovering is set for the commits of a restore: there a transaction
	// Kafka no longer has open is usually one committed before (a restore
	// from an older savepoint, ids expired), so it is reported, not fatal
	// (Flink's committer does the same); failing would make the checkpoint
	// impossible to restore, forever.
	recovering bool
	log        *slog.Logger
}

var _ sink.Committer[Committable] = (*Committer)(nil)

// Commit commits every transaction in committables and returns the errors
// of those it could not commit, joined. Committing a transaction again is
// harmless. A transaction Kafka no longer has open (aborted on its
// timeout, fenced) fails with an error saying its records were lost; a
// broker that does not answer fails with an error after the sink's timeout
// (the job then restarts and commits again from its checkpoint).
func (c *Committer) Commit(committables []Committable) error {
	if len(committables) == 0 {
		return nil
	}
	// The checkpoint holding the committables has completed (or was
	// restored) and no EndTxn has been sent: the window crash tests need.
	failpoint.Crash("kafkasink/before-commit")
	if c.cl == nil {
		cl, err := c.newClient()
		if err != nil {
			return err
		}
		c.cl = cl
	}
	ctx, cancel := context.WithTimeout(c.life, c.timeout)
	defer cancel()
	var errs []error
	for _, t := range committables {
		err := c.commit(ctx, t)
		if err != nil && c.recovering && errors.Is(err, ErrTransactionLost) {
			c.log.Error("kafkasink: a transaction of the restored checkpoint could not be committed; the restore goes on. "+
				"If the job committed it before (this checkpoint or savepoint was restored or completed earlier), nothing is lost; "+
				"otherwise its records are not in Kafka", "transaction", t.String(), "error", err)
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Committer) commit(ctx context.Context, t Committable) error {
	if err := t.validate(); err != nil {
		return err
	}
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID = t.TransactionalID
	req.ProducerID = t.ProducerID
	req.ProducerEpoch = t.Epoch
	req.Commit = true
	return retrying(ctx, func() error {
		resp, err := req.RequestWith(ctx, c.cl)
		if err != nil {
			return err
		}
		return kerr.ErrorForCode(resp.ErrorCode)
	}, func(err error) error { return c.describe(t, err) })
}

// lostTransaction reports the answers of a coordinator that no longer has
// the transaction open under that producer id and epoch.
func lostTransaction(err error) bool {
	for _, e := range []error{kerr.ProducerFenced, kerr.InvalidProducerEpoch, kerr.InvalidTxnState, kerr.InvalidProducerIDMapping, kerr.TransactionalIDNotFound} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ErrTransactionLost marks a commit that found its transaction already
// ended without it: the records of that transaction are not in Kafka.
var ErrTransactionLost = errors.New("kafkasink: data lost: a pre-committed transaction was aborted before its commit")

func (c *Committer) describe(t Committable, err error) error {
	if !lostTransaction(err) {
		return fmt.Errorf("kafkasink: commit %s: %w (%s)", t, err, txnAdvice(err))
	}
	return fmt.Errorf("%w: the commit of %s, pre-committed by a completed checkpoint, got %w: Kafka no longer has the transaction open, so the records the subtask wrote for that checkpoint were discarded. "+
		"The usual cause is transaction.timeout.ms (%d here) shorter than the time from the transaction's first record to the completion of its checkpoint: raise it (up to the broker's transaction.max.timeout.ms) or checkpoint more often. "+
		"Other causes: another job or sink using the same transactional id prefix, or a restore from a checkpoint older than the broker's transactional.id.expiration.ms (7 days by default)",
		ErrTransactionLost, t, err, transactionTimeout(c.cl).Milliseconds())
}

// Close implements sink.Committer.
func (c *Committer) Close() error {
	c.life.Stop()
	if c.cl != nil {
		c.cl.Close()
		c.cl = nil
	}
	return nil
}
