// Package filesink writes a stream into row-encoded part files in a
// directory, with the exactly-once guarantee of Flink's FileSink.
//
// Each writer (one per subtask instance) writes into part files named as
// Flink names them. While a part is being written it is hidden from readers
// that skip dot files:
//
//	<bucket>/.<prefix>-<uuid>-<n><suffix>.inprogress.<uuid2>
//
// A [RollingPolicy] decides when a part is finished (by size, age or
// inactivity). A finished part is fsync'd and becomes pending; the writer
// hands it out from PrepareCommit as a [Committable], and the [Committer]
// publishes it by renaming it atomically to
//
//	<bucket>/<prefix>-<uuid>-<n><suffix>
//
// once the checkpoint holding the committable has completed. Readers that
// list only names starting with neither '.' nor '_' (as [ReadDir] does, and
// as Hadoop-style tools do) therefore never see data that a failure could
// still roll back.
//
// Flink resumes in-progress files after a restore from writer state. The
// unified sink API weir uses has no writer state, so by default
// PrepareCommit also rolls the open parts: every record a checkpoint has
// seen is in a committable of that checkpoint (see
// [RollingPolicy.KeepPartsOpenOnCheckpoint]). In-progress files of a failed
// attempt that no checkpoint covers are left behind; [Sink.RemoveInProgress]
// deletes them after a restore.
//
// A [BucketAssigner] spreads records over subdirectories (buckets) of the
// base directory; [DateTimeBucketAssigner] buckets by processing time as
// Flink's DateTimeBucketAssigner does.
package filesink
