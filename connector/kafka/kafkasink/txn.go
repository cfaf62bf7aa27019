package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// transactionalID names subtask's n-th transaction (see the package doc).
func transactionalID(prefix string, subtask int, n int64) string {
	return prefix + "-" + strconv.Itoa(subtask) + "-" + strconv.FormatInt(n, 10)
}

// parseTransactionalID is the inverse of transactionalID: ok only for ids
// of exactly that shape, so the ids of a prefix that merely starts with
// this one ("job-2" against "job") never match.
func parseTransactionalID(prefix, id string) (subtask int, n int64, ok bool) {
	rest, found := strings.CutPrefix(id, prefix+"-")
	if !found {
		return 0, 0, false
	}
	sub, num, found := strings.Cut(rest, "-")
	if !found || !decimal(sub) || !decimal(num) {
		return 0, 0, false
	}
	s, err := strconv.Atoi(sub)
	if err != nil {
		return 0, 0, false
	}
	n, err = strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return s, n, true
}

// decimal reports whether s is a canonical non-negative decimal (no sign,
// no leading zero), as strconv.Itoa writes it.
func decimal(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// abortLingering aborts every open transaction of prefix whose subtask
// index mine accepts, and returns the ids it aborted. See the package doc
// for the method and its limits.
func abortLingering(ctx context.Context, cl *kgo.Client, prefix string, mine func(subtask int) bool, txnTimeout time.Duration) ([]string, error) {
	req := kmsg.NewPtrListTransactionsRequest()
	req.StateFilters = []string{"Ongoing"}
	// Brokers before KIP-1152 drop the pattern and list every open
	// transaction; the prefix is checked below either way.
	pattern := "^" + regexp.QuoteMeta(prefix) + `-[0-9]+-[0-9]+$`
	req.TransactionalIDPattern = &pattern
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return nil, fmt.Errorf("kafkasink: list the open transactions of prefix %q to abort those a failed run left: %w (%s)", prefix, err, listAdvice(err))
	}
	var aborted []string
	for _, st := range resp.TransactionStates {
		sub, _, ok := parseTransactionalID(prefix, st.TransactionalID)
		if !ok || !mine(sub) {
			continue
		}
		if err := fence(ctx, cl, st.TransactionalID, txnTimeout); err != nil {
			return aborted, err
		}
		aborted = append(aborted, st.TransactionalID)
	}
	return aborted, nil
}

func listAdvice(err error) string {
	switch {
	case errors.Is(err, kerr.ClusterAuthorizationFailed), errors.Is(err, kerr.TransactionalIDAuthorizationFailed):
		return "grant the sink's principal DESCRIBE and WRITE on transactional ids starting with the prefix"
	case isUnsupported(err):
		return "exactly-once needs ListTransactions (KIP-664, Kafka 3.0 or later) to find transactions a failure left open; upgrade the brokers or use at-least-once"
	default:
		return unreachableAdvice(err)
	}
}

// fence makes the transaction coordinator abort id's open transaction and
// bump its epoch, as a new producer with that id would (InitProducerId).
// It returns once the abort is complete, so read_committed consumers are
// no longer held back by it.
func fence(ctx context.Context, cl *kgo.Client, id string, txnTimeout time.Duration) error {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = &id
	req.TransactionTimeoutMillis = int32(txnTimeout.Milliseconds())
	return retrying(ctx, func() error {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		return kerr.ErrorForCode(resp.ErrorCode)
	}, func(err error) error {
		return fmt.Errorf("kafkasink: abort open transaction %s: %w (%s)", id, err, txnAdvice(err))
	})
}

// retryBackoff is the pause between attempts of a request Kafka answered
// with a retriable error (CONCURRENT_TRANSACTIONS while a transaction
// completes, a coordinator loading).
const retryBackoff = 50 * time.Millisecond

// retriable reports errors that pass: CONCURRENT_TRANSACTIONS (which kerr
// does not count as retriable) while the coordinator completes an earlier
// end or abort of the transaction, a loading coordinator, a broker that
// did not answer this time.
func retriable(err error) bool {
	return kerr.IsRetriable(err) || errors.Is(err, kerr.ConcurrentTransactions) || isUnreachable(err)
}

// retrying runs op until it succeeds, fails with an error that is not
// retriable, or ctx ends; wrap describes the final error.
func retrying(ctx context.Context, op func() error, wrap func(error) error) error {
	var timer *time.Timer
	for {
		err := op()
		if err == nil {
			return nil
		}
		if !retriable(err) || ctx.Err() != nil {
			return wrap(err)
		}
		if timer == nil {
			timer = time.NewTimer(retryBackoff)
			defer timer.Stop()
		} else {
			timer.Reset(retryBackoff)
		}
		select {
		case <-ctx.Done():
			return wrap(fmt.Errorf("%w (last answer: %w)", ctx.Err(), err))
		case <-timer.C:
		}
	}
}
