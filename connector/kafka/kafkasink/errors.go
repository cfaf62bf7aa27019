package kafkasink

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// isUnsupported reports an error of a broker that does not know a request
// (or its version). franz-go's own error for it is not exported.
func isUnsupported(err error) bool {
	return errors.Is(err, kerr.UnsupportedVersion) || strings.Contains(err.Error(), "broker is too old")
}

// isUnreachable reports an error of a client that could not talk to any
// broker in time.
func isUnreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || firstReadEOF(err)
}

// firstReadEOF reports a broker that closed a new connection before
// answering: a TLS or SASL mismatch.
func firstReadEOF(err error) bool {
	var eof *kgo.ErrFirstReadEOF
	return errors.As(err, &eof)
}

// unreachableAdvice says what to check when the brokers did not answer.
func unreachableAdvice(err error) string {
	if firstReadEOF(err) {
		return "a broker closed the connection at once: the listener likely expects TLS or SASL; set security.protocol and the sasl./ssl. properties to match it"
	}
	if isUnreachable(err) {
		return "no broker answered: check bootstrap.servers, that the brokers are up and reachable from this process, and security.protocol"
	}
	return "check the broker logs"
}

// txnAdvice says what to do about an error of a transactional request.
func txnAdvice(err error) string {
	switch {
	case errors.Is(err, kerr.ProducerFenced), errors.Is(err, kerr.InvalidProducerEpoch):
		return "another producer took over this transactional id: give every exactly-once sink and job its own transactional id prefix, and make sure no second copy of the job is running"
	case errors.Is(err, kerr.TransactionalIDAuthorizationFailed):
		return "grant the sink's principal WRITE and DESCRIBE on transactional ids starting with the sink's prefix"
	case errors.Is(err, kerr.InvalidTransactionTimeout):
		return "transaction.timeout.ms is larger than the broker's transaction.max.timeout.ms: lower it (keeping it above the checkpoint interval plus one minute) or raise the broker setting"
	case errors.Is(err, kerr.ClusterAuthorizationFailed):
		return "grant the sink's principal IDEMPOTENT_WRITE on the cluster"
	case isUnsupported(err):
		return "the broker does not support transactions (Kafka 0.11 or later is needed); use at-least-once"
	default:
		return unreachableAdvice(err)
	}
}

// produceAdvice says what to do about a record Kafka did not accept.
func produceAdvice(err error) string {
	switch {
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return "the topic does not exist: create it before starting the job (the sink does not create topics)"
	case errors.Is(err, kerr.TopicAuthorizationFailed):
		return "grant the sink's principal WRITE on the topic"
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return "the record is larger than max.request.size or the topic's max.message.bytes: raise them or write smaller records"
	case errors.Is(err, kgo.ErrRecordTimeout):
		return "Kafka did not acknowledge the record within delivery.timeout.ms: " + unreachableAdvice(context.DeadlineExceeded)
	default:
		return txnAdvice(err)
	}
}
