// Package kafka holds what the Kafka source (kafkasource) and sink
// (kafkasink) share: client settings under Kafka's own property names,
// turned into franz-go options.
//
// Users write the properties they know from Flink and Kafka's Java client
// (bootstrap.servers, security.protocol, sasl.jaas.config, linger.ms, ...),
// in code or as -D properties.<key>=<value> in the job's configuration
// (FromConfig), and
// Properties.ClientOpts maps them onto kgo options. docs/kafka.md has the
// table of every key, what it maps to and its default.
//
// # Two kinds of keys
//
// Client keys configure the connection, security, fetching and producing;
// ClientOpts understands them and nothing else. Connector keys say how a
// source or sink behaves (group.id, auto.offset.reset, enable.auto.commit,
// auto.commit.interval.ms, isolation.level, transactional.id,
// partition.discovery.interval.ms, commit.offsets.on.checkpoint,
// client.id.prefix): the connector that interprets one takes it out of the
// properties with Split, and passes the rest to ClientOpts. ClientOpts
// rejects a connector key that is still there, with a message saying
// which connector reads it, so a key is either used or reported, never
// silently dropped (for example group.id given to a sink).
//
// Unknown keys are errors that suggest the closest known key; Java client
// keys without a franz-go counterpart (ssl.truststore.location, batch.size,
// retries, ...) are errors that say what to set instead.
//
// # Defaults
//
// A key that is not set keeps franz-go's default, which sometimes differs
// from the Java client's (fetch.max.wait.ms is 5000, linger.ms 10,
// compression snappy); the source sets fetch.max.wait.ms to 500 and the
// sink transaction.timeout.ms to 900000 when they are unset. The table in
// docs/kafka.md gives the values.
//
// # Security
//
// security.protocol is PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. TLS
// reads PEM files (ssl.ca.location, ssl.certificate.location and
// ssl.key.location for mutual TLS) when ClientOpts runs, so a bad file
// fails the job at build time; a rotated certificate is picked up by the
// next ClientOpts call (a restarted job). SASL is PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512, with credentials from sasl.username and sasl.password or
// from a sasl.jaas.config as Flink users write it. ssl.* keys without a
// TLS protocol, or sasl.* keys without a SASL one, are errors rather than
// being ignored. Passwords never appear in errors, and Properties.String
// masks them.
package kafka
