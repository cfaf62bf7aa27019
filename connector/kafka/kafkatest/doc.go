// Package kafkatest starts an in-process Kafka cluster for tests: franz-go's
// kfake, which speaks the Kafka wire protocol over TCP on 127.0.0.1, with
// helpers that fail the test on error (create and grow topics, produce,
// read a topic read_committed to its end).
//
//	c := kafkatest.NewCluster(t, 3)
//	c.CreateTopic(t, "in", 4)
//	c.Produce(t, &kgo.Record{Topic: "in", Partition: 2, Value: []byte("x")})
//	props := c.Properties() // bootstrap.servers for a source or sink
//	got := c.ReadCommitted(t, "out")
//
// # What kfake does and does not do (measured with this package's tests)
//
// Transactions
//   - Transactions work on a multi-broker cluster; transactional ids hash
//     to coordinators on different brokers (Kfake().CoordinatorFor).
//   - read_committed fetches stop at the last stable offset and drop
//     aborted records. A reader that must know it reached the end needs
//     the control records (kgo.KeepControlRecords): when a partition ends
//     in an abort marker, no data record is at the last offset.
//   - A transaction open longer than its timeout is aborted by the broker
//     and its producer's epoch bumped; that producer's commit then fails.
//     InitProducerID rejects a timeout above transaction.max.timeout.ms
//     (default 900000; change it with kfake.BrokerConfigs).
//   - InitProducerID for a transactional id whose transaction is open
//     aborts that transaction at once (Kafka answers
//     CONCURRENT_TRANSACTIONS and aborts asynchronously; the client
//     retries, so the outcome is the same), fencing the old producer.
//   - A raw kmsg.EndTxnRequest with (transactional id, producer id,
//     epoch) from any client commits a pre-committed transaction;
//     repeating it returns no error.
//   - AddPartitionsToTxn v4+ (KIP-890 broker-side batching) is not
//     implemented; franz-go does not need it.
//
// ListTransactions and DescribeTransactions
//   - Both are implemented (kadm.ListTransactions, DescribeTransactions).
//     The only states kfake reports are "Ongoing" (open) and "Empty" (no
//     open transaction); Kafka's PrepareCommit, PrepareAbort,
//     CompleteCommit, CompleteAbort and Dead never appear, so filter on
//     "Ongoing" and treat everything else as ended.
//   - Every broker lists every transaction of the cluster, where a Kafka
//     broker lists only those it coordinates; kadm merges by id, so the
//     result is the same.
//   - DescribeTransactions answers on the coordinator only (kadm routes
//     it): "Ongoing" with the partitions written and the start time, or
//     "Empty"; an id never used gets TRANSACTIONAL_ID_NOT_FOUND.
//
// Partitions
//   - CreatePartitions (AddPartitions here) works at once. Clients keep
//     their cached metadata: a franz-go producer fails records for the
//     new partitions, and a consumer does not see them, until its metadata
//     is refreshed (metadata.max.age.ms, or a new client).
//
// Security
//   - kfake.TLS(cfg) serves TLS with cfg (set ClientAuth for mutual TLS).
//   - kfake.EnableSASL with kfake.Superuser or kfake.User serves SASL
//     PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (EnableSASL alone creates
//     admin/admin for SCRAM-SHA-256). Bad credentials close the connection
//     (the client sees EOF) where Kafka answers SASL_AUTHENTICATION_FAILED;
//     there is no GSSAPI, OAUTHBEARER or re-authentication. The Cluster's
//     own clients need the credentials too: UseClientOpts.
//
// Consumer groups (from DESIGN.md, measured earlier)
//   - OffsetFetch for a group kfake has never seen answers
//     GROUP_ID_NOT_FOUND where Kafka answers offset -1.
//   - A client killed while waiting in JoinGroup stays a member until the
//     rebalance timeout; direct partition assignment is not affected.
package kafkatest
