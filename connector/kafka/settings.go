package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// franz-go defaults that cross-key checks compare against.
const (
	defaultSessionTimeout  = 45 * time.Second
	defaultHeartbeat       = 3 * time.Second
	defaultRetryBackoff    = 250 * time.Millisecond
	defaultRetryBackoffMax = 5 * time.Second
)

// settings collects the keys of one ClientOpts call. Keys that depend on
// each other are kept here and turned into options by finish; the others
// append to opts directly.
type settings struct {
	opts    []kgo.Opt
	brokers []string

	protocol           string // upper case; "" is PLAINTEXT
	mechanism          string // upper case; "" is unset
	username, password *string
	jaas               *jaasConfig

	caFile, certFile, keyFile string
	sslKeys                   []string // ssl.* keys given, for the protocol check
	skipHostname              bool

	acks        kgo.Acks
	acksText    string // "" when acks is unset
	acksAll     bool
	idempotence *bool
	maxInflight int // 0 when unset

	sessionTimeout, heartbeat     time.Duration // 0 when unset
	retryBackoff, retryBackoffMax time.Duration // 0 when unset
}

func newSettings() *settings { return &settings{} }

func (s *settings) setFile(key string, dst *string, v string) error {
	s.sslKeys = append(s.sslKeys, key)
	if v == "" {
		return badValue(key, v, "the path of a PEM file")
	}
	*dst = v
	return nil
}

func (s *settings) finish() ([]kgo.Opt, error) {
	if len(s.brokers) == 0 {
		return nil, errors.New("kafka: property bootstrap.servers is not set: set it to the brokers' host:port list, e.g. kafka-0:9092,kafka-1:9092")
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(s.brokers...)}, s.opts...)

	sec, err := s.securityOpts()
	if err != nil {
		return nil, err
	}
	opts = append(opts, sec...)

	prod, err := s.producerOpts()
	if err != nil {
		return nil, err
	}
	opts = append(opts, prod...)

	if s.sessionTimeout != 0 || s.heartbeat != 0 {
		session, hb := orDefault(s.sessionTimeout, defaultSessionTimeout), orDefault(s.heartbeat, defaultHeartbeat)
		if hb >= session {
			return nil, fmt.Errorf("kafka: heartbeat.interval.ms (%d) must be less than session.timeout.ms (%d); unset keys have their defaults (3000 and 45000)",
				hb.Milliseconds(), session.Milliseconds())
		}
		if s.sessionTimeout != 0 {
			opts = append(opts, kgo.SessionTimeout(s.sessionTimeout))
		}
		if s.heartbeat != 0 {
			opts = append(opts, kgo.HeartbeatInterval(s.heartbeat))
		}
	}

	if s.retryBackoff != 0 || s.retryBackoffMax != 0 {
		base, ceiling := orDefault(s.retryBackoff, defaultRetryBackoff), s.retryBackoffMax
		switch {
		case ceiling == 0:
			// Only the start is given: a start above the default ceiling
			// is a constant backoff, as in Kafka's clients.
			ceiling = max(base, defaultRetryBackoffMax)
		case base > ceiling:
			return nil, fmt.Errorf("kafka: retry.backoff.ms (%d) must not be larger than retry.backoff.max.ms (%d)", base.Milliseconds(), ceiling.Milliseconds())
		}
		opts = append(opts, kgo.RetryBackoffFn(retryBackoff(base, ceiling)))
	}
	return opts, nil
}

// orDefault returns v, or def when v is unset (0).
func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func (s *settings) producerOpts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	idempotent := s.idempotence == nil || *s.idempotence
	if s.acksText != "" {
		opts = append(opts, kgo.RequiredAcks(s.acks))
		if !s.acksAll {
			if s.idempotence != nil && *s.idempotence {
				return nil, fmt.Errorf("kafka: enable.idempotence=true requires acks=all, not acks=%s: set acks=all or enable.idempotence=false", s.acksText)
			}
			// Kafka's clients turn idempotence off when acks rules it
			// out and it was not asked for explicitly.
			idempotent = false
		}
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
		if s.maxInflight != 0 {
			opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(s.maxInflight))
		}
		return opts, nil
	}
	// With idempotence franz-go keeps up to 5 requests in flight itself
	// and refuses the option; Kafka's clients accept 1 to 5 there.
	if s.maxInflight > 5 {
		return nil, fmt.Errorf("kafka: max.in.flight.requests.per.connection=%d is above 5, which idempotent producers allow: lower it or set enable.idempotence=false", s.maxInflight)
	}
	return opts, nil
}

func (s *settings) securityOpts() ([]kgo.Opt, error) {
	protocol := orString(s.protocol, "PLAINTEXT")
	useTLS := protocol == "SSL" || protocol == "SASL_SSL"
	useSASL := protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL"

	if !useTLS && len(s.sslKeys) > 0 {
		return nil, fmt.Errorf("kafka: property %s is set but security.protocol is %s: set security.protocol to SSL or SASL_SSL, or remove the ssl.* keys", s.sslKeys[0], protocol)
	}
	saslKeys := s.saslKeys()
	if !useSASL && len(saslKeys) > 0 {
		return nil, fmt.Errorf("kafka: property %s is set but security.protocol is %s: set security.protocol to SASL_SSL or SASL_PLAINTEXT, or remove the sasl.* keys", saslKeys[0], protocol)
	}

	var opts []kgo.Opt
	if useTLS {
		cfg, err := s.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if useSASL {
		m, err := s.saslMechanism(protocol)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (s *settings) saslKeys() []string {
	var keys []string
	if s.jaas != nil {
		keys = append(keys, "sasl.jaas.config")
	}
	if s.mechanism != "" {
		keys = append(keys, "sasl.mechanism")
	}
	if s.password != nil {
		keys = append(keys, "sasl.password")
	}
	if s.username != nil {
		keys = append(keys, "sasl.username")
	}
	return keys
}

func (s *settings) saslMechanism(protocol string) (sasl.Mechanism, error) {
	var user, pass string
	var token bool
	mechanism := s.mechanism
	switch {
	case s.jaas != nil && (s.username != nil || s.password != nil):
		return nil, errors.New("kafka: set either sasl.jaas.config or sasl.username and sasl.password, not both")
	case s.jaas != nil:
		j := s.jaas
		var want string
		switch j.Module {
		case plainLoginModule:
			want = "PLAIN"
		case scramLoginModule:
			if mechanism == "" {
				return nil, errors.New("kafka: sasl.jaas.config uses ScramLoginModule: set sasl.mechanism to SCRAM-SHA-256 or SCRAM-SHA-512")
			}
			want = "SCRAM"
		default:
			return nil, fmt.Errorf("kafka: sasl.jaas.config login module %q is not supported: use %s or %s", j.Module, plainLoginModule, scramLoginModule)
		}
		if mechanism == "" {
			mechanism = "PLAIN"
		}
		if !strings.HasPrefix(mechanism, want) {
			return nil, fmt.Errorf("kafka: sasl.mechanism=%s does not match the login module of sasl.jaas.config (%s)", mechanism, j.Module)
		}
		for _, k := range slices.Sorted(maps.Keys(j.Options)) {
			v := j.Options[k]
			switch {
			case k == "username":
				user = v
			case k == "password":
				pass = v
			case k == "tokenauth" && want == "SCRAM":
				token = strings.EqualFold(v, "true")
			default:
				return nil, fmt.Errorf("kafka: sasl.jaas.config option %q is not supported by %s: give username and password", k, j.Module)
			}
		}
		if _, ok := j.Options["password"]; !ok || user == "" {
			return nil, errors.New(`kafka: sasl.jaas.config must give username="..." and password="..."`)
		}
	default:
		if s.username == nil || s.password == nil {
			return nil, fmt.Errorf("kafka: security.protocol=%s needs credentials: set sasl.username and sasl.password, or sasl.jaas.config", protocol)
		}
		user, pass = *s.username, *s.password
	}
	switch mechanism {
	case "", "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass, IsToken: token}.AsSha256Mechanism(), nil
	default: // SCRAM-SHA-512; sasl.mechanism accepts nothing else
		return scram.Auth{User: user, Pass: pass, IsToken: token}.AsSha512Mechanism(), nil
	}
}

func (s *settings) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.caFile != "" {
		pem, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: ssl.ca.location: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: ssl.ca.location=%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", s.caFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case s.certFile != "" && s.keyFile != "":
		cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: ssl.certificate.location=%s, ssl.key.location=%s: %w (want a PEM certificate and its unencrypted PEM key)", s.certFile, s.keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.certFile != "":
		return nil, errors.New("kafka: ssl.certificate.location is set without ssl.key.location: set both for a client certificate")
	case s.keyFile != "":
		return nil, errors.New("kafka: ssl.key.location is set without ssl.certificate.location: set both for a client certificate")
	}
	if s.skipHostname {
		// Still verify the chain, only not the name: brokers addressed by
		// IP or through a proxy often present certificates for other names.
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("kafka: broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}
