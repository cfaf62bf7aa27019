package kafka

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/weirstream/weir/internal/editdist"
)

// spec is one client key ClientOpts understands.
type spec struct {
	Key string
	// Maps names the franz-go option(s) the key turns into.
	Maps string
	// Default is the value in effect when the key is not set.
	Default string
	set     func(s *settings, v string) error
}

// specs are the client keys, in the order docs/kafka.md lists them.
var specs = []spec{
	// Connection.
	{"bootstrap.servers", "SeedBrokers", "(required)", setBrokers},
	{"client.id", "ClientID", "kgo", func(s *settings, v string) error {
		if v == "" || len(v) > 256 {
			return badValue("client.id", v, "1 to 256 characters")
		}
		s.opts = append(s.opts, kgo.ClientID(v))
		return nil
	}},
	{"client.rack", "Rack", "(none)", func(s *settings, v string) error {
		if v == "" || len(v) > 512 {
			return badValue("client.rack", v, "1 to 512 characters")
		}
		s.opts = append(s.opts, kgo.Rack(v))
		return nil
	}},
	{"socket.connection.setup.timeout.ms", "DialTimeout", "10000", ms(1, math.MaxInt32, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.DialTimeout(d))
	})},
	{"connections.max.idle.ms", "ConnIdleTimeout", "30000", ms(100, 900_000, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.ConnIdleTimeout(d))
	})},
	{"request.timeout.ms", "RequestTimeoutOverhead, ProduceRequestTimeout", "10000", ms(100, 900_000, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.RequestTimeoutOverhead(d), kgo.ProduceRequestTimeout(d))
	})},
	{"metadata.max.age.ms", "MetadataMaxAge (and MetadataMinAge when below 5000)", "300000", ms(10, 3_600_000, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.MetadataMaxAge(d))
		if d < 5*time.Second {
			s.opts = append(s.opts, kgo.MetadataMinAge(d))
		}
	})},
	{"retry.backoff.ms", "RetryBackoffFn", "250", ms(1, math.MaxInt32, func(s *settings, d time.Duration) {
		s.retryBackoff = d
	})},
	{"retry.backoff.max.ms", "RetryBackoffFn", "5000", ms(1, math.MaxInt32, func(s *settings, d time.Duration) {
		s.retryBackoffMax = d
	})},

	// Security.
	{"security.protocol", "DialTLSConfig, SASL", "PLAINTEXT", func(s *settings, v string) error {
		switch p := strings.ToUpper(v); p {
		case "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
			s.protocol = p
			return nil
		}
		return badValue("security.protocol", v, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
	}},
	{"sasl.mechanism", "SASL (sasl/plain, sasl/scram)", "PLAIN", func(s *settings, v string) error {
		switch m := strings.ToUpper(v); m {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
			s.mechanism = m
			return nil
		case "GSSAPI", "OAUTHBEARER", "AWS_MSK_IAM":
			return fmt.Errorf("kafka: sasl.mechanism=%s is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", m)
		}
		return badValue("sasl.mechanism", v, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}},
	{"sasl.username", "SASL (the mechanism's user)", "(none)", func(s *settings, v string) error {
		if v == "" {
			return badValue("sasl.username", v, "a non-empty user name")
		}
		s.username = &v
		return nil
	}},
	{"sasl.password", "SASL (the mechanism's password)", "(none)", func(s *settings, v string) error {
		s.password = &v
		return nil
	}},
	{"sasl.jaas.config", "SASL (user and password from the login module)", "(none)", func(s *settings, v string) error {
		cfg, err := parseJAAS(v)
		if err != nil {
			return err
		}
		s.jaas = &cfg
		return nil
	}},
	{"ssl.ca.location", "DialTLSConfig (RootCAs)", "the system's roots", func(s *settings, v string) error {
		return s.setFile("ssl.ca.location", &s.caFile, v)
	}},
	{"ssl.certificate.location", "DialTLSConfig (Certificates)", "(none)", func(s *settings, v string) error {
		return s.setFile("ssl.certificate.location", &s.certFile, v)
	}},
	{"ssl.key.location", "DialTLSConfig (Certificates)", "(none)", func(s *settings, v string) error {
		return s.setFile("ssl.key.location", &s.keyFile, v)
	}},
	{"ssl.endpoint.identification.algorithm", "DialTLSConfig (host name check)", "https", func(s *settings, v string) error {
		s.sslKeys = append(s.sslKeys, "ssl.endpoint.identification.algorithm")
		switch strings.ToLower(v) {
		case "https":
			s.skipHostname = false
		case "", "none":
			s.skipHostname = true
		default:
			return badValue("ssl.endpoint.identification.algorithm", v, `"https" (check the broker's host name) or "" (do not)`)
		}
		return nil
	}},

	// Consumer.
	{"fetch.max.bytes", "FetchMaxBytes (and BrokerMaxReadBytes above 100 MiB)", "52428800", bytesIn(1, 1<<30, func(s *settings, n int32) {
		s.opts = append(s.opts, kgo.FetchMaxBytes(n))
		if n > 100<<20 {
			s.opts = append(s.opts, kgo.BrokerMaxReadBytes(1<<30))
		}
	})},
	{"max.partition.fetch.bytes", "FetchMaxPartitionBytes", "1048576", bytesIn(1, 1<<30, func(s *settings, n int32) {
		s.opts = append(s.opts, kgo.FetchMaxPartitionBytes(n))
	})},
	{"fetch.min.bytes", "FetchMinBytes", "1", bytesIn(1, 1<<30, func(s *settings, n int32) {
		s.opts = append(s.opts, kgo.FetchMinBytes(n))
	})},
	{"fetch.max.wait.ms", "FetchMaxWait", "5000 (Kafka source: 500)", ms(10, math.MaxInt32, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.FetchMaxWait(d))
	})},
	{"check.crcs", "DisableFetchCRCValidation (when false)", "true", boolean("check.crcs", func(s *settings, b bool) {
		if !b {
			s.opts = append(s.opts, kgo.DisableFetchCRCValidation())
		}
	})},
	{"session.timeout.ms", "SessionTimeout", "45000", ms(100, math.MaxInt32, func(s *settings, d time.Duration) {
		s.sessionTimeout = d
	})},
	{"heartbeat.interval.ms", "HeartbeatInterval", "3000", ms(1, math.MaxInt32, func(s *settings, d time.Duration) {
		s.heartbeat = d
	})},

	// Producer.
	{"acks", "RequiredAcks", "all", func(s *settings, v string) error {
		switch strings.ToLower(v) {
		case "all", "-1":
			s.acks, s.acksAll = kgo.AllISRAcks(), true
		case "1":
			s.acks = kgo.LeaderAck()
		case "0":
			s.acks = kgo.NoAck()
		default:
			return badValue("acks", v, "all, -1, 1 or 0")
		}
		s.acksText = v
		return nil
	}},
	{"enable.idempotence", "DisableIdempotentWrite (when false)", "true", boolean("enable.idempotence", func(s *settings, b bool) {
		s.idempotence = &b
	})},
	{"max.in.flight.requests.per.connection", "MaxProduceRequestsInflightPerBroker", "5 (1 without idempotence)", func(s *settings, v string) error {
		n, err := parseInt("max.in.flight.requests.per.connection", v, 1, math.MaxInt32, "")
		if err != nil {
			return err
		}
		s.maxInflight = int(n)
		return nil
	}},
	{"linger.ms", "ProducerLinger", "10", ms(0, 60_000, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.ProducerLinger(d))
	})},
	{"compression.type", "ProducerBatchCompression", "snappy, else none", func(s *settings, v string) error {
		var c kgo.CompressionCodec
		switch strings.ToLower(v) {
		case "none":
			c = kgo.NoCompression()
		case "gzip":
			c = kgo.GzipCompression()
		case "snappy":
			c = kgo.SnappyCompression()
		case "lz4":
			c = kgo.Lz4Compression()
		case "zstd":
			c = kgo.ZstdCompression()
		default:
			return badValue("compression.type", v, "none, gzip, snappy, lz4 or zstd")
		}
		s.opts = append(s.opts, kgo.ProducerBatchCompression(c))
		return nil
	}},
	{"max.request.size", "ProducerBatchMaxBytes (and BrokerMaxWriteBytes above 100 MiB)", "1000012", bytesIn(512, 1<<30, func(s *settings, n int32) {
		s.opts = append(s.opts, kgo.ProducerBatchMaxBytes(n))
		if n > 100<<20 {
			s.opts = append(s.opts, kgo.BrokerMaxWriteBytes(1<<30))
		}
	})},
	{"buffer.memory", "MaxBufferedBytes", "(no byte limit; at most 50000 records)", func(s *settings, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return badValue("buffer.memory", v, "a positive integer (bytes)")
		}
		s.opts = append(s.opts, kgo.MaxBufferedBytes(int(n)))
		return nil
	}},
	{"delivery.timeout.ms", "RecordDeliveryTimeout", "(none: retry until written)", ms(1000, math.MaxInt32, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.RecordDeliveryTimeout(d))
	})},
	{"transaction.timeout.ms", "TransactionTimeout", "40000 (Kafka sink: 900000)", ms(1, math.MaxInt32, func(s *settings, d time.Duration) {
		s.opts = append(s.opts, kgo.TransactionTimeout(d))
	})},
}

var specByKey = func() map[string]*spec {
	m := make(map[string]*spec, len(specs))
	for i := range specs {
		m[specs[i].Key] = &specs[i]
	}
	return m
}()

// connectorKeys are read by sources and sinks, never by ClientOpts; the
// value says who reads it, for the error when none did.
var connectorKeys = map[string]string{
	"group.id":                        "the Kafka source commits offsets under it, for monitoring",
	"auto.offset.reset":               "the Kafka source resets out-of-range and missing committed offsets by it",
	"enable.auto.commit":              "the Kafka source commits offsets on checkpoints, not automatically",
	"auto.commit.interval.ms":         "the Kafka source commits offsets on checkpoints, not periodically",
	"isolation.level":                 "the Kafka source reads read_committed or read_uncommitted by it",
	"partition.discovery.interval.ms": "the Kafka source discovers partitions this often",
	"commit.offsets.on.checkpoint":    "the Kafka source commits offsets on checkpoints by it",
	"client.id.prefix":                "the Kafka source names its clients by it",
	"transactional.id":                "the exactly-once Kafka sink builds its transactional ids from it",
}

// SourceKeys are the connector keys only the Kafka source reads; a job
// that passes one property set to a source and a sink removes them from
// the sink's (Properties.Split).
var SourceKeys = []string{"group.id", "auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms",
	"isolation.level", "partition.discovery.interval.ms", "commit.offsets.on.checkpoint", "client.id.prefix"}

// unsupportedKeys are Kafka client keys with no franz-go counterpart; the
// value says what to do instead.
var unsupportedKeys = map[string]string{
	"ssl.truststore.location":           "weir reads PEM files: export the truststore's CA certificates (keytool -exportcert -rfc) and set ssl.ca.location",
	"ssl.truststore.password":           "weir reads PEM files, which have no password: set ssl.ca.location",
	"ssl.truststore.type":               "weir reads PEM files: set ssl.ca.location",
	"ssl.keystore.location":             "weir reads PEM files: set ssl.certificate.location and ssl.key.location (the key unencrypted)",
	"ssl.keystore.password":             "weir reads unencrypted PEM keys: set ssl.certificate.location and ssl.key.location",
	"ssl.keystore.type":                 "weir reads PEM files: set ssl.certificate.location and ssl.key.location",
	"ssl.key.password":                  "weir reads unencrypted PEM keys (openssl pkey -in enc.pem -out key.pem): set ssl.key.location",
	"sasl.kerberos.service.name":        "GSSAPI (Kerberos) is not supported: use PLAIN or SCRAM",
	"sasl.login.callback.handler.class": "custom login handlers (OAUTHBEARER) are not supported: use PLAIN or SCRAM",
	"batch.size":                        "franz-go fills a batch up to max.request.size while linger.ms lasts: set those",
	"retries":                           "franz-go retries a record until delivery.timeout.ms passes: set that",
	"max.poll.records":                  "the Kafka source fetches continuously and has no poll loop: remove it",
	"max.poll.interval.ms":              "the Kafka source assigns partitions itself and joins no group: remove it",
	"key.serializer":                    "set a serializer on the Kafka sink",
	"value.serializer":                  "set a serializer on the Kafka sink",
	"key.deserializer":                  "set a deserializer on the Kafka source",
	"value.deserializer":                "set a deserializer on the Kafka source",
	"partitioner.class":                 "set a partitioner on the Kafka sink",
	"interceptor.classes":               "there are no client interceptors: remove it",
}

func unknownKeyError(key string) error {
	if who, ok := connectorKeys[key]; ok {
		return fmt.Errorf("kafka: property %s is not a Kafka client setting (%s), and the connector it was given to does not use it: remove it", key, who)
	}
	if hint, ok := unsupportedKeys[key]; ok {
		return fmt.Errorf("kafka: property %s is not supported: %s", key, hint)
	}
	if best := closestKey(key); best != "" {
		return fmt.Errorf("kafka: unknown property %q: did you mean %s? (docs/kafka.md lists every key)", key, best)
	}
	return fmt.Errorf("kafka: unknown property %q (docs/kafka.md lists every key)", key)
}

// closestKey returns the known key (client, connector or unsupported)
// with the least edit distance to key, if it is close enough to be a
// likely typo.
func closestKey(key string) string {
	best, bestD := "", math.MaxInt
	consider := func(k string) {
		if d := editdist.Levenshtein(key, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	for _, s := range specs {
		consider(s.Key)
	}
	for k := range connectorKeys {
		consider(k)
	}
	for k := range unsupportedKeys {
		consider(k)
	}
	if bestD > max(3, len(key)/3) {
		return ""
	}
	return best
}

func badValue(key, v, want string) error {
	return fmt.Errorf("kafka: property %s=%q is invalid: want %s", key, v, want)
}

func parseInt(key, v string, lo, hi int64, unit string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badValue(key, v, fmt.Sprintf("an integer from %d to %d%s", lo, hi, unit))
	}
	return n, nil
}

// ms parses a millisecond count in [lo, hi].
func ms(lo, hi int64, apply func(*settings, time.Duration)) func(*settings, string) error {
	return func(s *settings, v string) error {
		// The key is not known here; the caller wraps with it.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			return errRange{lo: lo, hi: hi, unit: " (milliseconds)"}
		}
		apply(s, time.Duration(n)*time.Millisecond)
		return nil
	}
}

// bytesIn parses a byte count in [lo, hi].
func bytesIn(lo, hi int64, apply func(*settings, int32)) func(*settings, string) error {
	return func(s *settings, v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < lo || n > hi {
			return errRange{lo: lo, hi: hi, unit: " (bytes)"}
		}
		apply(s, int32(n))
		return nil
	}
}

func boolean(key string, apply func(*settings, bool)) func(*settings, string) error {
	return func(s *settings, v string) error {
		switch strings.ToLower(v) {
		case "true":
			apply(s, true)
		case "false":
			apply(s, false)
		default:
			return badValue(key, v, "true or false")
		}
		return nil
	}
}

// errRange is a numeric value out of range; ClientOpts adds the key and
// the value.
type errRange struct {
	lo, hi int64
	unit   string
}

func (e errRange) Error() string {
	return fmt.Sprintf("an integer from %d to %d%s", e.lo, e.hi, e.unit)
}

func setBrokers(s *settings, v string) error {
	for b := range strings.SplitSeq(v, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if strings.Contains(b, ":") && !strings.HasPrefix(b, "[") || strings.Contains(b, "]:") {
			host, port, err := net.SplitHostPort(b)
			if err != nil || host == "" {
				return badValue("bootstrap.servers", v, "a comma-separated list of host:port, e.g. kafka-0:9092,kafka-1:9092")
			}
			if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
				return badValue("bootstrap.servers", v, "ports from 1 to 65535")
			}
		}
		s.brokers = append(s.brokers, b)
	}
	if len(s.brokers) == 0 {
		return badValue("bootstrap.servers", v, "a comma-separated list of host:port, e.g. kafka-0:9092,kafka-1:9092")
	}
	return nil
}

// retryBackoff grows exponentially from base to ceiling with ±20% jitter,
// as Kafka's clients do between retry.backoff.ms and retry.backoff.max.ms.
func retryBackoff(base, ceiling time.Duration) func(int) time.Duration {
	return func(fails int) time.Duration {
		d := base
		for i := 1; i < fails && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	}
}
