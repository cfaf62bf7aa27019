package kafka_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/kafka"
)

const seed = "127.0.0.1:9092"

// newClient builds a franz-go client from p (it validates the options but
// does not connect).
func newClient(t *testing.T, p kafka.Properties) (*kgo.Client, error) {
	t.Helper()
	opts, err := p.ClientOpts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("ClientOpts(%v) gave options franz-go rejects: %v", p, err)
	}
	t.Cleanup(cl.Close)
	return cl, nil
}

func withSeed(p kafka.Properties) kafka.Properties {
	if _, ok := p["bootstrap.servers"]; !ok {
		p["bootstrap.servers"] = seed
	}
	return p
}

type validCase struct {
	props kafka.Properties
	opt   any // the kgo option function to read back
	want  any // its value, or a func(any) error checking it
}

func validCases(t *testing.T) []validCase {
	pk := newPKI(t, "127.0.0.1")
	isTLS := func(check func(*tls.Config) error) func(any) error {
		return func(v any) error {
			c, _ := v.(*tls.Config)
			if c == nil {
				return fmt.Errorf("no TLS config")
			}
			return check(c)
		}
	}
	saslNamed := func(name string) func(any) error {
		return func(v any) error {
			ms, _ := v.([]sasl.Mechanism)
			if len(ms) != 1 || ms[0].Name() != name {
				return fmt.Errorf("SASL mechanisms %v, want one %s", ms, name)
			}
			return nil
		}
	}
	return []validCase{
		{kafka.Properties{"bootstrap.servers": " a:1 , b:2,,"}, kgo.SeedBrokers, []string{"a:1", "b:2"}},
		{kafka.Properties{"bootstrap.servers": "[::1]:9092,kafka"}, kgo.SeedBrokers, []string{"[::1]:9092", "kafka"}},
		{kafka.Properties{"client.id": " weir-1 "}, kgo.ClientID, "weir-1"},
		{kafka.Properties{"client.rack": "eu-1a"}, kgo.Rack, "eu-1a"},
		{kafka.Properties{"socket.connection.setup.timeout.ms": "2500"}, kgo.DialTimeout, 2500 * time.Millisecond},
		{kafka.Properties{"connections.max.idle.ms": "60000"}, kgo.ConnIdleTimeout, time.Minute},
		{kafka.Properties{"request.timeout.ms": "30000"}, kgo.RequestTimeoutOverhead, 30 * time.Second},
		{kafka.Properties{"request.timeout.ms": "30000"}, kgo.ProduceRequestTimeout, 30 * time.Second},
		{kafka.Properties{"metadata.max.age.ms": "60000"}, kgo.MetadataMaxAge, time.Minute},
		{kafka.Properties{"metadata.max.age.ms": "1000"}, kgo.MetadataMinAge, time.Second},
		{kafka.Properties{"retry.backoff.ms": "100"}, kgo.RetryBackoffFn, backoffBetween(100*time.Millisecond, 5*time.Second)},
		{kafka.Properties{"retry.backoff.ms": "10000"}, kgo.RetryBackoffFn, backoffBetween(10*time.Second, 10*time.Second)},
		{kafka.Properties{"retry.backoff.max.ms": "1000"}, kgo.RetryBackoffFn, backoffBetween(250*time.Millisecond, time.Second)},
		{kafka.Properties{"security.protocol": "plaintext"}, kgo.DialTLSConfig, (*tls.Config)(nil)},
		{kafka.Properties{"security.protocol": "Ssl"}, kgo.DialTLSConfig, isTLS(func(c *tls.Config) error {
			if c.RootCAs != nil || c.InsecureSkipVerify || c.MinVersion != tls.VersionTLS12 {
				return fmt.Errorf("want system roots, host name checks and TLS 1.2+, got %+v", c)
			}
			return nil
		})},
		{kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile, "ssl.certificate.location": pk.clientCert, "ssl.key.location": pk.clientKey},
			kgo.DialTLSConfig, isTLS(func(c *tls.Config) error {
				if c.RootCAs == nil || len(c.Certificates) != 1 {
					return fmt.Errorf("want the CA and a client certificate, got %+v", c)
				}
				return nil
			})},
		{kafka.Properties{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": ""}, kgo.DialTLSConfig, isTLS(func(c *tls.Config) error {
			if !c.InsecureSkipVerify || c.VerifyConnection == nil {
				return fmt.Errorf("want the chain verified without the host name")
			}
			return nil
		})},
		{kafka.Properties{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "HTTPS"}, kgo.DialTLSConfig, isTLS(func(c *tls.Config) error {
			if c.InsecureSkipVerify {
				return fmt.Errorf("host name check is off")
			}
			return nil
		})},
		{kafka.Properties{"security.protocol": "sasl_plaintext", "sasl.username": "u", "sasl.password": "p"}, kgo.SASL, saslNamed("PLAIN")},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.mechanism": "scram-sha-256", "sasl.username": "u", "sasl.password": ""}, kgo.SASL, saslNamed("SCRAM-SHA-256")},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`}, kgo.SASL, saslNamed("SCRAM-SHA-512")},
		{kafka.Properties{"security.protocol": "SASL_PLAINTEXT",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`}, kgo.SASL, saslNamed("PLAIN")},
		{kafka.Properties{"fetch.max.bytes": "1048576"}, kgo.FetchMaxBytes, int32(1 << 20)},
		{kafka.Properties{"fetch.max.bytes": "209715200"}, kgo.BrokerMaxReadBytes, int32(1 << 30)},
		{kafka.Properties{"max.partition.fetch.bytes": "65536"}, kgo.FetchMaxPartitionBytes, int32(65536)},
		{kafka.Properties{"fetch.min.bytes": "1024"}, kgo.FetchMinBytes, int32(1024)},
		{kafka.Properties{"fetch.max.wait.ms": "500"}, kgo.FetchMaxWait, 500 * time.Millisecond},
		{kafka.Properties{"check.crcs": "false"}, kgo.DisableFetchCRCValidation, true},
		{kafka.Properties{"check.crcs": "TRUE"}, kgo.DisableFetchCRCValidation, false},
		{kafka.Properties{"session.timeout.ms": "10000"}, kgo.SessionTimeout, 10 * time.Second},
		{kafka.Properties{"heartbeat.interval.ms": "1000"}, kgo.HeartbeatInterval, time.Second},
		{kafka.Properties{"acks": "all"}, kgo.RequiredAcks, kgo.AllISRAcks()},
		{kafka.Properties{"acks": "-1"}, kgo.DisableIdempotentWrite, false},
		{kafka.Properties{"acks": "1"}, kgo.RequiredAcks, kgo.LeaderAck()},
		{kafka.Properties{"acks": "1"}, kgo.DisableIdempotentWrite, true},
		{kafka.Properties{"acks": "0"}, kgo.RequiredAcks, kgo.NoAck()},
		{kafka.Properties{"enable.idempotence": "false"}, kgo.DisableIdempotentWrite, true},
		{kafka.Properties{"enable.idempotence": "true"}, kgo.DisableIdempotentWrite, false},
		{kafka.Properties{"max.in.flight.requests.per.connection": "5"}, kgo.MaxProduceRequestsInflightPerBroker, 1},
		{kafka.Properties{"max.in.flight.requests.per.connection": "3", "enable.idempotence": "false"}, kgo.MaxProduceRequestsInflightPerBroker, 3},
		{kafka.Properties{"linger.ms": "0"}, kgo.ProducerLinger, time.Duration(0)},
		{kafka.Properties{"linger.ms": "50"}, kgo.ProducerLinger, 50 * time.Millisecond},
		{kafka.Properties{"compression.type": "none"}, kgo.ProducerBatchCompression, []kgo.CompressionCodec{kgo.NoCompression()}},
		{kafka.Properties{"compression.type": "gzip"}, kgo.ProducerBatchCompression, []kgo.CompressionCodec{kgo.GzipCompression()}},
		{kafka.Properties{"compression.type": "Snappy"}, kgo.ProducerBatchCompression, []kgo.CompressionCodec{kgo.SnappyCompression()}},
		{kafka.Properties{"compression.type": "lz4"}, kgo.ProducerBatchCompression, []kgo.CompressionCodec{kgo.Lz4Compression()}},
		{kafka.Properties{"compression.type": "zstd"}, kgo.ProducerBatchCompression, []kgo.CompressionCodec{kgo.ZstdCompression()}},
		{kafka.Properties{"max.request.size": "2097152"}, kgo.ProducerBatchMaxBytes, int32(2 << 20)},
		{kafka.Properties{"max.request.size": "209715200"}, kgo.BrokerMaxWriteBytes, int32(1 << 30)},
		{kafka.Properties{"buffer.memory": "33554432"}, kgo.MaxBufferedBytes, int64(32 << 20)},
		{kafka.Properties{"delivery.timeout.ms": "120000"}, kgo.RecordDeliveryTimeout, 2 * time.Minute},
		{kafka.Properties{"transaction.timeout.ms": "900000"}, kgo.TransactionTimeout, 15 * time.Minute},
	}
}

func TestClientOptsValid(t *testing.T) {
	for _, tt := range validCases(t) {
		t.Run(fmt.Sprint(tt.props), func(t *testing.T) {
			cl, err := newClient(t, withSeed(tt.props))
			if err != nil {
				t.Fatalf("ClientOpts: %v", err)
			}
			got := cl.OptValue(tt.opt)
			if check, ok := tt.want.(func(any) error); ok {
				if err := check(got); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("option value %#v, want %#v", got, tt.want)
			}
		})
	}
}

// backoffBetween checks a retry backoff function starts near lo and ends
// near hi (±20% jitter).
func backoffBetween(lo, hi time.Duration) func(any) error {
	return func(v any) error {
		fn, ok := v.(func(int) time.Duration)
		if !ok {
			return fmt.Errorf("no backoff function: %T", v)
		}
		near := func(got, want time.Duration) bool {
			return float64(got) >= 0.8*float64(want)-1 && float64(got) <= 1.2*float64(want)+1
		}
		if first, last := fn(1), fn(100); !near(first, lo) || !near(last, hi) {
			return fmt.Errorf("backoff goes from %v to %v, want %v to %v", first, last, lo, hi)
		}
		return nil
	}
}

type invalidCase struct {
	props kafka.Properties
	want  []string // substrings of the error
}

func invalidCases(t *testing.T) []invalidCase {
	pk := newPKI(t, "127.0.0.1")
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	const plainJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2";`
	const scramJAAS = `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="hunter2";`

	return []invalidCase{
		{kafka.Properties{"bootstrap.servers": " , "}, []string{"bootstrap.servers", "host:port"}},
		{kafka.Properties{"bootstrap.servers": "SASL_SSL://k:9092"}, []string{"bootstrap.servers", `"SASL_SSL://k:9092"`, "host:port"}},
		{kafka.Properties{"bootstrap.servers": "k:99999"}, []string{"bootstrap.servers", "1 to 65535"}},
		{kafka.Properties{"client.id": "  "}, []string{"client.id", "1 to 256"}},
		{kafka.Properties{"client.id": strings.Repeat("x", 257)}, []string{"client.id", "1 to 256"}},
		{kafka.Properties{"client.rack": ""}, []string{"client.rack"}},
		{kafka.Properties{"socket.connection.setup.timeout.ms": "0"}, []string{"socket.connection.setup.timeout.ms", `"0"`, "milliseconds"}},
		{kafka.Properties{"socket.connection.setup.timeout.ms": "1s"}, []string{"socket.connection.setup.timeout.ms", `"1s"`, "integer"}},
		{kafka.Properties{"connections.max.idle.ms": "50"}, []string{"connections.max.idle.ms", "from 100 to 900000"}},
		{kafka.Properties{"request.timeout.ms": "900001"}, []string{"request.timeout.ms", "from 100 to 900000"}},
		{kafka.Properties{"metadata.max.age.ms": "3600001"}, []string{"metadata.max.age.ms", "3600000"}},
		{kafka.Properties{"retry.backoff.ms": "-1"}, []string{"retry.backoff.ms", `"-1"`}},
		{kafka.Properties{"retry.backoff.max.ms": "0"}, []string{"retry.backoff.max.ms", `"0"`}},
		{kafka.Properties{"retry.backoff.ms": "2000", "retry.backoff.max.ms": "1000"}, []string{"retry.backoff.ms (2000)", "retry.backoff.max.ms (1000)"}},
		{kafka.Properties{"security.protocol": "TLS"}, []string{"security.protocol", `"TLS"`, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI", "sasl.username": "u", "sasl.password": "p"}, []string{"sasl.mechanism=GSSAPI is not supported"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM", "sasl.username": "u", "sasl.password": "p"}, []string{"sasl.mechanism", `"SCRAM"`, "SCRAM-SHA-256"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.username": "", "sasl.password": "p"}, []string{"sasl.username", "non-empty"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.username": "u"}, []string{"needs credentials", "sasl.password"}},
		{kafka.Properties{"security.protocol": "SASL_SSL"}, []string{"needs credentials"}},
		{kafka.Properties{"sasl.password": "hunter2"}, []string{"sasl.password is set but security.protocol is PLAINTEXT"}},
		{kafka.Properties{"security.protocol": "SSL", "sasl.username": "u"}, []string{"sasl.username is set but security.protocol is SSL"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2"`}, []string{"sasl.jaas.config", "want ';'"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.jaas.config": `com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;`}, []string{"login module", "Krb5LoginModule", "not supported"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.jaas.config": scramJAAS}, []string{"ScramLoginModule", "set sasl.mechanism"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256", "sasl.jaas.config": plainJAAS}, []string{"sasl.mechanism=SCRAM-SHA-256 does not match"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.jaas.config": scramJAAS}, []string{"sasl.mechanism=PLAIN does not match"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.jaas.config": plainJAAS, "sasl.username": "u", "sasl.password": "hunter2"}, []string{"either sasl.jaas.config or sasl.username"}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2" user_admin="x";`}, []string{`option "user_admin" is not supported`}},
		{kafka.Properties{"security.protocol": "SASL_SSL", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u";`}, []string{"must give username"}},
		{kafka.Properties{"ssl.ca.location": pk.caFile}, []string{"ssl.ca.location is set but security.protocol is PLAINTEXT"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": missing}, []string{"ssl.ca.location", "missing.pem"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": notPEM}, []string{"ssl.ca.location", "no PEM certificate"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": ""}, []string{"ssl.ca.location", "PEM file"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.certificate.location": pk.clientCert}, []string{"ssl.certificate.location is set without ssl.key.location"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.key.location": pk.clientKey}, []string{"ssl.key.location is set without ssl.certificate.location"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.certificate.location": pk.clientCert, "ssl.key.location": notPEM}, []string{"ssl.certificate.location", "ssl.key.location", "unencrypted PEM key"}},
		{kafka.Properties{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "http"}, []string{"ssl.endpoint.identification.algorithm", `"http"`}},
		{kafka.Properties{"fetch.max.bytes": "0"}, []string{"fetch.max.bytes", "bytes"}},
		{kafka.Properties{"fetch.max.bytes": "2147483648"}, []string{"fetch.max.bytes", "1073741824"}},
		{kafka.Properties{"max.partition.fetch.bytes": "1MB"}, []string{"max.partition.fetch.bytes", `"1MB"`}},
		{kafka.Properties{"fetch.min.bytes": "0"}, []string{"fetch.min.bytes"}},
		{kafka.Properties{"fetch.max.wait.ms": "5"}, []string{"fetch.max.wait.ms", "from 10"}},
		{kafka.Properties{"check.crcs": "yes"}, []string{"check.crcs", "true or false"}},
		{kafka.Properties{"session.timeout.ms": "99"}, []string{"session.timeout.ms", "from 100"}},
		{kafka.Properties{"session.timeout.ms": "2000"}, []string{"heartbeat.interval.ms (3000) must be less than session.timeout.ms (2000)"}},
		{kafka.Properties{"heartbeat.interval.ms": "0"}, []string{"heartbeat.interval.ms"}},
		{kafka.Properties{"heartbeat.interval.ms": "10000", "session.timeout.ms": "10000"}, []string{"must be less than"}},
		{kafka.Properties{"acks": "2"}, []string{"acks", `"2"`, "all, -1, 1 or 0"}},
		{kafka.Properties{"enable.idempotence": "1"}, []string{"enable.idempotence", "true or false"}},
		{kafka.Properties{"enable.idempotence": "true", "acks": "1"}, []string{"enable.idempotence=true requires acks=all"}},
		{kafka.Properties{"max.in.flight.requests.per.connection": "0"}, []string{"max.in.flight.requests.per.connection"}},
		{kafka.Properties{"max.in.flight.requests.per.connection": "6"}, []string{"above 5"}},
		{kafka.Properties{"linger.ms": "60001"}, []string{"linger.ms", "from 0 to 60000"}},
		{kafka.Properties{"compression.type": "brotli"}, []string{"compression.type", `"brotli"`, "zstd"}},
		{kafka.Properties{"max.request.size": "511"}, []string{"max.request.size", "from 512"}},
		{kafka.Properties{"buffer.memory": "0"}, []string{"buffer.memory"}},
		{kafka.Properties{"delivery.timeout.ms": "999"}, []string{"delivery.timeout.ms", "from 1000"}},
		{kafka.Properties{"transaction.timeout.ms": "0"}, []string{"transaction.timeout.ms"}},
		{kafka.Properties{"transaction.timeout.ms": "2147483648"}, []string{"transaction.timeout.ms", "2147483647"}},
		{kafka.Properties{"bootstrap.server": seed}, []string{`unknown property "bootstrap.server"`, "did you mean bootstrap.servers?"}},
		{kafka.Properties{"lnger.ms": "5"}, []string{"did you mean linger.ms?"}},
		{kafka.Properties{"foo": "bar"}, []string{`unknown property "foo"`, "docs/kafka.md"}},
		{kafka.Properties{"group.id": "g"}, []string{"group.id is not a Kafka client setting (the Kafka source", "remove it"}},
		{kafka.Properties{"transactional.id": "t"}, []string{"transactional.id is not a Kafka client setting (the exactly-once Kafka sink"}},
		{kafka.Properties{"isolation.level": "read_committed"}, []string{"isolation.level is not a Kafka client setting (the Kafka source"}},
		{kafka.Properties{"ssl.truststore.location": "/x.jks"}, []string{"ssl.truststore.location is not supported", "ssl.ca.location"}},
		{kafka.Properties{"batch.size": "16384"}, []string{"batch.size is not supported", "linger.ms"}},
	}
}

func TestClientOptsInvalid(t *testing.T) {
	for _, tt := range invalidCases(t) {
		p := withSeed(tt.props)
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			_, err := newClient(t, p)
			if err == nil {
				t.Fatalf("ClientOpts(%v) accepted invalid properties", p)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "kafka: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error %q leaks the password", msg)
			}
		})
	}
}

// Every client key has a valid and an invalid case above, and a row in
// docs/kafka.md.
func TestEveryKeyIsCoveredAndDocumented(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range validCases(t) {
		for k := range c.props {
			covered["valid "+k] = true
		}
	}
	for _, c := range invalidCases(t) {
		for k := range c.props {
			covered["invalid "+k] = true
		}
	}
	doc, err := os.ReadFile("../../docs/kafka.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kafka.SpecKeys() {
		if !covered["valid "+k] {
			t.Errorf("key %s has no valid case in TestClientOptsValid", k)
		}
		if !covered["invalid "+k] {
			t.Errorf("key %s has no invalid case in TestClientOptsInvalid", k)
		}
		if row := kafka.DocRowPrefix(k); !strings.Contains(string(doc), "\n"+row) {
			t.Errorf("docs/kafka.md has no row starting %s", row)
		}
	}
}

func TestMissingBootstrapServers(t *testing.T) {
	_, err := kafka.Properties{"client.id": "x"}.ClientOpts()
	if err == nil || !strings.Contains(err.Error(), "bootstrap.servers is not set") {
		t.Fatalf("ClientOpts without bootstrap.servers: %v", err)
	}
}

func TestSplitAndGet(t *testing.T) {
	p := kafka.Properties{"bootstrap.servers": seed, "group.id": "g", "isolation.level": "read_committed"}
	client, taken := p.Split("group.id", "isolation.level", "auto.offset.reset")
	if want := (kafka.Properties{"bootstrap.servers": seed}); !reflect.DeepEqual(client, want) {
		t.Fatalf("client properties %v, want %v", client, want)
	}
	if want := map[string]string{"group.id": "g", "isolation.level": "read_committed"}; !reflect.DeepEqual(taken, want) {
		t.Fatalf("taken %v, want %v", taken, want)
	}
	if len(p) != 3 {
		t.Fatalf("Split changed its receiver: %v", p)
	}
	if _, err := client.ClientOpts(); err != nil {
		t.Fatalf("ClientOpts after Split: %v", err)
	}
	if v, ok := p.Get("group.id"); !ok || v != "g" {
		t.Fatalf("Get(group.id) = %q, %v", v, ok)
	}
	if _, ok := p.Get("auto.offset.reset"); ok {
		t.Fatal("Get of an unset key reports it set")
	}
	client, taken = kafka.Properties(nil).Split("x")
	if client == nil || len(client) != 0 || len(taken) != 0 {
		t.Fatalf("Split of nil = %v, %v", client, taken)
	}
}

func TestFromConfig(t *testing.T) {
	c := config.New()
	err := c.SetAll(map[string]string{
		"properties.bootstrap.servers": seed,
		"properties.sasl.mechanism":    "PLAIN",
		"properties.group.id":          "g",
		"parallelism.default":          "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.Properties{"bootstrap.servers": seed, "sasl.mechanism": "PLAIN", "group.id": "g"}
	if got := kafka.FromConfig(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("FromConfig = %v, want %v", got, want)
	}
	if got := kafka.FromConfig(config.New()); got == nil || len(got) != 0 {
		t.Fatalf("FromConfig of an empty configuration = %v", got)
	}
	for key, want := range map[string]string{
		"properties.bootstrap.server":     "did you mean bootstrap.servers",
		"properties.ssl.truststore.type":  "set ssl.ca.location",
		"properties.no.such.kafka.option": "unknown property",
	} {
		err := c.Set(key, "x")
		if !errors.Is(err, config.ErrBadValue) || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%s) = %v, want an error containing %q", key, err, want)
		}
	}
}

func TestBrokers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a:1", []string{"a:1"}},
		{" a:1 ,b:2, ,c", []string{"a:1", "b:2", "c"}},
	} {
		if got := (kafka.Properties{"bootstrap.servers": tt.in}).Brokers(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Brokers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStringMasksSecrets(t *testing.T) {
	p := kafka.Properties{
		"sasl.password":     "hunter2",
		"sasl.jaas.config":  `x required password="hunter2";`,
		"bootstrap.servers": seed,
	}
	got := fmt.Sprint(p)
	if want := "{bootstrap.servers=" + seed + ", sasl.jaas.config=******, sasl.password=******}"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

// SourceKeys are connector keys: ClientOpts rejects each, naming who reads
// it, so a sink given one by mistake fails instead of ignoring it.
func TestSourceKeysAreConnectorKeys(t *testing.T) {
	for _, k := range kafka.SourceKeys {
		_, err := kafka.Properties{"bootstrap.servers": seed, k: "x"}.ClientOpts()
		if err == nil || !strings.Contains(err.Error(), "not a Kafka client setting") {
			t.Errorf("ClientOpts with %s = %v, want the connector-key error", k, err)
		}
	}
}
