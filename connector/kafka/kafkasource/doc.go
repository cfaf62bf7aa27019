// Package kafkasource reads Kafka topics as a FLIP-27 source, the
// counterpart of Flink's KafkaSource, on franz-go.
//
//	src := kafkasource.New(props, kafkasource.JSON[Event]()).
//		Topics("events").
//		StartingOffsets(kafkasource.Committed(kafkasource.ResetEarliest))
//	events := stream.FromSource(env, src, wm, "events")
//
// # Splits and their assignment
//
// A split is one partition with a starting offset (the next record to
// read) and, for a bounded source, a stopping offset (exclusive). The
// enumerator discovers the partitions of a topic list or of every topic
// whose name matches a pattern, once or every discovery interval
// (partition.discovery.interval.ms, default 5 minutes; bounded sources
// discover once), so partitions added later and new topics matching the
// pattern are read too. It resolves the offsets of new partitions with
// OffsetsInitializers (earliest, latest, committed with a reset strategy,
// timestamp, specific offsets with a fallback) through kadm, off the
// coordinator goroutine, and fixes them in the splits: a restored job never
// resolves them again. The partitions of the first discovery start at
// StartingOffsets, those found later at NewPartitionOffsets (earliest).
//
// Each split goes to one subtask, Owner: the topic's Java string hash
// times 31 picks a start subtask, and the topic's partitions follow
// round-robin from there (Flink's rule), so assignment is even, stable
// across restarts and rediscovery, and needs no coordination. Splits of a
// failed reader come back through AddSplitsBack and go to the same owner
// once it registers again. With discovery once, a reader is told no more
// splits come as soon as it holds all of its own. The enumerator's
// checkpoint holds the assigned partitions, the pending splits (owner not
// registered yet) and whether the first discovery is done.
//
// # Readers
//
// A reader is a SourceReaderBase with one fetcher goroutine whose split
// reader multiplexes all of the reader's partitions over one franz-go
// client with direct partition assignment (AddConsumePartitions and
// RemoveConsumePartitions; the source joins no consumer group). The
// fetcher deserializes (Deserializer, or RecordDeserializer for key,
// headers and timestamp); the subtask goroutine emits each record with its
// Kafka timestamp through its split's output, so watermarks are generated
// per partition and idleness (WatermarkStrategy.WithIdleness) applies per
// partition, and advances the split's next offset, which snapshots hold.
//
// Isolation is read_committed by default, unlike Flink's
// read_uncommitted: weir's Kafka sink is transactional, and pipelines
// built on it should pass on committed output only. isolation.level
// read_uncommitted (or ReadUncommitted) changes it.
//
// # Bounded reading
//
// A bounded split ends when the reader's position reaches its stopping
// offset, and the job ends when every split has. The position is judged
// by offsets passed, not by seeing the record at stop-1: transaction
// markers take offsets and aborted records are never returned to a
// read_committed reader, so that record may not exist for it. The client
// keeps control records, so markers move the position; a split that makes
// no progress for half a second is probed with one raw fetch at its
// position, whose parse tells how far the invisible offsets reach. Empty
// partitions and splits whose stop is at or before their start end at
// once.
//
// # Bad records, commits, metrics
//
// A record the deserializer rejects fails the job with its topic,
// partition and offset, unless SkipBadRecords drops it (counted, logged at
// most every 10 seconds) or SideOutputBadRecords sends it with the error
// as a BadRecord to a side output of the source's stream.
//
// With group.id set, the offsets a completed checkpoint holds are
// committed to that group in the background (kadm CommitOffsets), for
// monitoring only: a restore reads offsets from the checkpoint.
//
// weir has no metric registry yet; Source.Metrics returns the lag per
// partition (end offset minus next offset) and the bad-record and commit
// counters of the readers in this process.
package kafkasource
