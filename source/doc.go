// Package source defines FLIP-27 sources and the runtime pieces that run
// them: the Coordinator that hosts a source's SplitEnumerator, the Operator
// that hosts a SourceReader in a subtask, and the reader building blocks
// (SourceReaderBase, SplitFetcherManager, SplitFetcher, SplitReader,
// RecordEmitter) for sources whose reading blocks.
//
// # Split of work
//
// A source divides its input into splits (a file block, a Kafka partition, a
// range of numbers). Two kinds of components share the work:
//
//   - One SplitEnumerator per source runs in the source's Coordinator (in
//     the JobManager, one goroutine). It discovers splits, possibly
//     periodically through CallAsync, and assigns them to readers. It is the
//     only place that knows which splits exist and which are unassigned, and
//     its checkpoint (CheckpointCodec) stores exactly that.
//   - One SourceReader per subtask runs in that subtask's goroutine, wrapped
//     by an Operator. It reads the splits it was given, without blocking:
//     PollNext emits what is ready and reports MoreAvailable,
//     NothingAvailable (then the task waits on IsAvailable) or EndOfInput.
//     Its checkpoint is its unfinished splits with their progress
//     (SplitCodec), so the enumerator never needs to know offsets.
//
// They talk only through events, which are Go values in one process and
// encoded messages across processes, so they share no memory (the
// coordinator copies every assigned split through the SplitCodec):
//
//	reader -> coordinator   ReaderRegistrationEvent (Operator.Open; only
//	                        registered readers get splits), RequestSplitEvent
//	                        (SendSplitRequest), SourceEventWrapper
//	coordinator -> reader   AddSplitsEvent (AssignSplits), NoMoreSplitsEvent
//	                        (SignalNoMoreSplits), SourceEventWrapper
//
// Pull-based sources (files) have readers ask for a split whenever they run
// out; push-based ones (Kafka) assign splits as they are discovered. A
// bounded reader ends once it was told there are no more splits and has
// finished all of its own.
//
// Failures: a split assigned after the checkpoint a failed subtask restores
// from is in neither that subtask's restored state nor the enumerator's. The
// coordinator tracks assignments per checkpoint interval and, on
// SubtaskReset, hands such splits back to the enumerator (AddSplitsBack) to
// be assigned again. For this to be exact, events the coordinator sent
// before a checkpoint must reach the subtask before that checkpoint's
// barrier.
//
// # Blocking readers
//
// SourceReaderBase moves blocking I/O off the subtask goroutine: a
// SplitFetcherManager runs SplitFetchers, each a goroutine driving one
// SplitReader (one for all splits, or one per split). Fetchers put fetched
// batches (RecordsWithSplitIDs) into a bounded queue and fire the reader's
// availability channel; PollNext takes one batch per call and turns its
// elements into records with a RecordEmitter, which also advances the
// split's mutable state (e.g. the next offset) that snapshots turn back into
// splits. Adding splits or closing interrupts a blocked Fetch through its
// context. Close stops and waits for every fetcher goroutine.
//
// # Watermarks per split
//
// Splits are read interleaved, and each split's records are usually in
// order while the interleaving is not, so a watermark generated over the
// mixed stream would either be far too conservative or drop in-order
// records as late. The Operator therefore runs one WatermarkGenerator per
// split: a reader emits a split's records through
// ReaderOutput.CreateOutputForSplit, whose output assigns timestamps with
// the strategy's assigner and feeds that split's generator. An
// eventtime.Multiplexer combines the splits' watermarks into the subtask's
// as their minimum, skipping idle splits (WithIdleness, or MarkIdle from the
// reader); when all are idle the subtask's output is idle. A split the
// reader releases (ReleaseOutputForSplit, when it finished) stops holding
// the minimum back. Records emitted on the reader-wide output have one more
// generator, which joins the minimum only once the reader uses that output,
// so readers that use split outputs exclusively are not held back by it.
// A reader that has no outputs at all (more subtasks than partitions) is
// marked idle once it has been empty for the strategy's idle timeout, so it
// does not hold back downstream watermarks; without an idle timeout it
// holds them back, as in Flink.
// Periodic generators are asked for watermarks every
// pipeline.auto-watermark-interval on the subtask's processing-time timers;
// the combined result goes downstream once per period. When the reader
// reports EndOfInput the Operator emits eventtime.MaxWatermark once, ending
// event time for everything downstream. A strategy without generator emits
// no watermarks but that final one.
//
// # Side outputs and background work
//
// A reader may send records to a side output of the source's stream with
// SourceOutput.CollectSide (e.g. records it cannot decode); a job reads
// them with stream.SideOutput. Callables given to CallAsync that block on
// the network pass SplitEnumeratorContext.Context on, so a stopping
// coordinator need not wait for them.
//
// # Testing a source
//
// Package source/sourcetest runs a source's coordinator and readers
// in-process, checkpoints and restores them, and checks exactly-once; it
// also has fake enumerator and reader contexts for driving an enumerator or
// a reader by hand.
package source
