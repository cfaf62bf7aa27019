package kafka_test

import (
	"context"
	"crypto/tls"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka"
	"github.com/weirstream/weir/connector/kafka/kafkatest"
)

// ping connects a client built from p to the cluster and asks it for
// metadata, which needs a finished TLS handshake and SASL exchange.
func ping(t *testing.T, p kafka.Properties) error {
	t.Helper()
	cl, err := newClient(t, p)
	if err != nil {
		t.Fatalf("ClientOpts: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

// TLS settings from PEM files against a kfake cluster that listens with
// TLS, requiring a client certificate where the case says so.
func TestTLSConnects(t *testing.T) {
	pk := newPKI(t, "127.0.0.1")
	other := newPKI(t, "127.0.0.1")
	named := newPKI(t, "kafka.internal") // a certificate that does not name 127.0.0.1

	tests := []struct {
		name     string
		server   tls.Certificate
		mutual   bool
		props    kafka.Properties
		wantFail string // substring of the connection error; "" connects
	}{
		{name: "server auth", server: pk.serverCert,
			props: kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile}},
		{name: "mutual TLS", server: pk.serverCert, mutual: true,
			props: kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile,
				"ssl.certificate.location": pk.clientCert, "ssl.key.location": pk.clientKey}},
		{name: "mutual TLS without a client certificate", server: pk.serverCert, mutual: true,
			props:    kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile},
			wantFail: "certificate"},
		{name: "client certificate from another CA", server: pk.serverCert, mutual: true,
			props: kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile,
				"ssl.certificate.location": other.clientCert, "ssl.key.location": other.clientKey},
			wantFail: "certificate"},
		{name: "server certificate from an unknown CA", server: other.serverCert,
			props:    kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile},
			wantFail: "certificate signed by unknown authority"},
		{name: "system roots do not know the test CA", server: pk.serverCert,
			props:    kafka.Properties{"security.protocol": "SSL"},
			wantFail: "certificate signed by unknown authority"},
		{name: "host name mismatch", server: named.serverCert,
			props:    kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": named.caFile},
			wantFail: "127.0.0.1"},
		{name: "host name check off", server: named.serverCert,
			props: kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": named.caFile,
				"ssl.endpoint.identification.algorithm": ""}},
		{name: "host name check off still checks the chain", server: other.serverCert,
			props: kafka.Properties{"security.protocol": "SSL", "ssl.ca.location": pk.caFile,
				"ssl.endpoint.identification.algorithm": ""},
			wantFail: "certificate signed by unknown authority"},
		{name: "plaintext client against a TLS listener", server: pk.serverCert,
			props:    kafka.Properties{},
			wantFail: "is TLS missing?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := &tls.Config{Certificates: []tls.Certificate{tt.server}, MinVersion: tls.VersionTLS12}
			if tt.mutual {
				server.ClientAuth = tls.RequireAndVerifyClientCert
				server.ClientCAs = pk.pool
			}
			c := kafkatest.NewCluster(t, 1, kfake.TLS(server))
			p := c.Properties()
			maps.Copy(p, tt.props)
			err := ping(t, p)
			switch {
			case tt.wantFail == "" && err != nil:
				t.Fatalf("no connection: %v", err)
			case tt.wantFail != "" && err == nil:
				t.Fatal("connected, want a failure")
			case tt.wantFail != "" && !strings.Contains(err.Error(), tt.wantFail):
				t.Fatalf("error %q does not mention %q", err, tt.wantFail)
			}
		})
	}
}

// kfakeAuthFailed is how a kfake broker turns down bad credentials: it
// closes the connection, where Kafka answers SASL_AUTHENTICATION_FAILED.
const kfakeAuthFailed = "EOF"

// SASL credentials, given as user and password or as a JAAS config,
// against a kfake cluster that requires SASL; one case also runs over TLS.
func TestSASLConnects(t *testing.T) {
	pk := newPKI(t, "127.0.0.1")
	users := []kfake.Opt{
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "alice", "alice-pw"),
		kfake.Superuser("SCRAM-SHA-256", "bob", "bob-pw"),
		kfake.Superuser("SCRAM-SHA-512", "carol", `car"ol\pw`),
	}
	plainCluster := kafkatest.NewCluster(t, 3, users...)
	tlsCluster := kafkatest.NewCluster(t, 1, append(users,
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{pk.serverCert}, MinVersion: tls.VersionTLS12}))...)

	tests := []struct {
		name     string
		cluster  *kafkatest.Cluster
		props    kafka.Properties
		wantFail string
	}{
		{name: "PLAIN user and password", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-pw"}},
		{name: "PLAIN is the default mechanism", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.username": "alice", "sasl.password": "alice-pw"}},
		{name: "PLAIN JAAS", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "sasl_plaintext",
			"sasl.jaas.config":  `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-pw";`}},
		{name: "SCRAM-SHA-256 JAAS", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
			"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-pw";`}},
		{name: "SCRAM-SHA-512 JAAS with escapes", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="car\"ol\\pw";`}},
		{name: "SCRAM-SHA-512 user and password", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "carol", "sasl.password": `car"ol\pw`}},
		{name: "SASL_SSL", cluster: tlsCluster, props: kafka.Properties{
			"security.protocol": "SASL_SSL", "ssl.ca.location": pk.caFile, "sasl.mechanism": "SCRAM-SHA-256",
			"sasl.username": "bob", "sasl.password": "bob-pw"}},
		{name: "wrong PLAIN password", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.username": "alice", "sasl.password": "nope"},
			wantFail: kfakeAuthFailed},
		{name: "wrong SCRAM password", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": "bob", "sasl.password": "nope"},
			wantFail: kfakeAuthFailed},
		{name: "user of another mechanism", cluster: plainCluster, props: kafka.Properties{
			"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": "alice", "sasl.password": "alice-pw"},
			wantFail: kfakeAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.cluster.Properties()
			maps.Copy(p, tt.props)
			err := ping(t, p)
			switch {
			case tt.wantFail == "" && err != nil:
				t.Fatalf("no connection: %v", err)
			case tt.wantFail != "" && err == nil:
				t.Fatal("connected, want a failure")
			case tt.wantFail != "" && !strings.Contains(err.Error(), tt.wantFail):
				t.Fatalf("error %q does not mention %q", err, tt.wantFail)
			}
		})
	}

	// Without SASL the cluster answers nothing but the handshake.
	t.Run("no SASL", func(t *testing.T) {
		if err := ping(t, plainCluster.Properties()); err == nil {
			t.Fatal("a client without SASL was served")
		}
	})

	// Records go through an authenticated client and come back.
	t.Run("produce and read", func(t *testing.T) {
		p := plainCluster.Properties()
		maps.Copy(p, kafka.Properties{"security.protocol": "SASL_PLAINTEXT", "sasl.username": "alice", "sasl.password": "alice-pw"})
		opts, err := p.ClientOpts()
		if err != nil {
			t.Fatal(err)
		}
		plainCluster.UseClientOpts(opts...)
		plainCluster.CreateTopic(t, "authed", 1)
		plainCluster.Produce(t, &kgo.Record{Topic: "authed", Value: []byte("hello")})
		got := plainCluster.ReadCommitted(t, "authed")
		if len(got) != 1 || string(got[0].Value) != "hello" {
			t.Fatalf("read %v, want one record hello", got)
		}
	})
}
