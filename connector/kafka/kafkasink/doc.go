// Package kafkasink writes a stream to Kafka (Flink's KafkaSink) on weir's
// two-phase-commit sink framework (package sink), with one of three
// delivery guarantees:
//
//   - [None]: records are handed to the client and not waited for at
//     checkpoints; a failure can lose the records still buffered (only the
//     end of a bounded input waits for every acknowledgement).
//   - [AtLeastOnce] (the default; Flink's default is none): every
//     checkpoint waits until each record written before it has been
//     acknowledged by Kafka, so a restore replays nothing that was not
//     written; records written after the checkpoint are written again after
//     a failure (duplicates).
//   - [ExactlyOnce]: each subtask writes into one Kafka transaction per
//     checkpoint. At the checkpoint the writer waits for every record of the
//     transaction to be acknowledged and hands out a [Committable]
//     (transactional id, producer id, epoch) without ending the
//     transaction; the checkpoint stores it; when the checkpoint completes
//     the [Committer] commits the transaction with a raw EndTxn request
//     carrying those three values, from a client of its own. Consumers with
//     isolation.level=read_committed therefore see a record only once the
//     checkpoint that covers it has completed.
//
// # Transactional ids
//
// Exactly-once needs a prefix ([WithTransactionalIDPrefix], or the
// transactional.id property). Subtask i names its n-th transaction
//
//	<prefix>-<i>-<n>
//
// where n starts at r+1 after a restore from checkpoint r and at 1 on a
// fresh start, and grows by one for every transaction that received a
// record (a checkpoint without records opens none). A subtask pre-commits
// at most one transaction per checkpoint and checkpoint ids grow after a
// restore, so n never exceeds the id of the checkpoint that pre-committed
// it: an id that a restored checkpoint refers to is never reused, and
// committing it again after another failure stays harmless. Flink names
// the transaction after the next checkpoint id instead; the counter gives
// the same guarantee without the writer knowing checkpoint ids. The prefix
// must be unique to one sink of one job: two sinks sharing it abort each
// other's transactions.
//
// # Recovery of in-doubt transactions
//
// After a failure between a checkpoint and the commit of its
// transactions, the restore commits the transactions recorded in the
// checkpoint ([Sink.CommitRestored]) and then aborts every other
// transaction of the prefix that is still open ([Sink.CleanupAfterRestore]),
// whatever its subtask index or counter, so a parallelism change leaves
// nothing behind. On a start without a restore each writer aborts the open
// transactions of the prefix whose subtask index j satisfies
// j mod parallelism = its own index (so the writers never touch each
// other's new transactions), which cleans up what an earlier run left.
//
// Open transactions are found with ListTransactions (KIP-664), filtered to
// the Ongoing state and, where the broker supports ListTransactions v2
// (KIP-1152), to the prefix's ids; the sink filters by prefix itself as
// well. Each one is aborted by InitProducerId on its transactional id,
// which makes the coordinator abort the transaction and fence any producer
// still using it; the sink retries while the broker answers
// CONCURRENT_TRANSACTIONS, so when cleanup returns the abort markers are
// written and read_committed consumers move past the transaction. Limits:
// ListTransactions needs Kafka 3.0 or later (or another broker that
// implements it, as kfake does); it lists only ids the sink's principal may
// DESCRIBE (WRITE, which the sink needs anyway, implies it); an older
// broker makes exactly-once fail at start with an error saying so. Unlike
// probing candidate ids (Flink's older method), listing finds transactions
// of any name, so gaps in the counters or a changed parallelism cannot
// hide one.
//
// # Timeouts
//
// A transaction stays open from its first record until the checkpoint
// after it has completed and the commit reached Kafka: about one
// checkpoint interval plus the time a checkpoint takes. If Kafka aborts it
// first (transaction.timeout.ms), its records are lost; the commit then
// fails with an error saying so, never silently. In a restore the same
// answer usually means an earlier commit (an older savepoint restored
// again, expired ids): CommitRestored logs it at ERROR level and the
// restore goes on, as Flink's committer does, instead of failing every
// restore of that checkpoint. The sink therefore
// requires transaction.timeout.ms >= execution.checkpointing.interval + 1
// minute (the margin for the checkpoint itself) and fails at job start
// otherwise, naming both values. Unset, transaction.timeout.ms is 15
// minutes, Kafka's default transaction.max.timeout.ms (a broker rejects a
// larger value). Exactly-once without checkpointing fails at job start:
// nothing would ever commit an unbounded stream's transactions (Flink
// likewise needs checkpointing for exactly-once).
//
// # Records
//
// A [Serializer] turns an element into a *kgo.Record: topic (fixed or
// chosen per record), key, value, headers. [RecordSerializer] builds one
// from functions, with helpers for string, []byte and JSON values. The
// record's timestamp is the element's event timestamp when it has one.
// franz-go measures delivery.timeout.ms from the record's timestamp, so
// the sink sets no delivery timeout by default (a Write that waits longer
// than [WithTimeout] for room in the client's buffer fails instead); with
// delivery.timeout.ms set, records whose event time is older than it fail
// at once.
// The partitioner is franz-go's default (sticky per batch for records
// without a key, murmur2 hash of the key otherwise, as Kafka's Java
// client) unless [WithPartitioner] sets another.
package kafkasink
