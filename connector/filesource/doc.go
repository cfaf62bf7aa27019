// Package filesource reads text files line by line, the counterpart of
// Flink's FileSource with a text line format.
//
// TextLines emits every line as a string; Lines decodes every line into a
// typed record. Lines end at "\n"; a trailing "\r" is dropped, and so is
// the final newline of a file (a file "a\nb" and a file "a\nb\n" both have
// the lines "a" and "b").
//
// # Splits
//
// An input path is a file or a directory; a directory stands for every
// regular file below it, recursively, in lexical order, except files and
// directories whose names start with '.' or '_' (hidden files and the
// markers other tools leave, as Flink skips them). Each non-empty file is
// one split, or several when it is larger than the block size: a block
// split covers the bytes [Offset, Offset+Length) and owns exactly the
// lines that start in that range. A reader of a block that does not start
// at 0 skips the partial line it lands in (the previous block reads it
// whole) and reads its last line past the block end. So every line is read
// exactly once, whatever the block size, and a split's progress is one
// number: Position, the byte offset of the next line to read, which
// SnapshotState reports and a restored reader seeks to.
//
// # Discovery
//
// By default the file list is fixed when the job starts and the source is
// bounded. MonitorContinuously makes it unbounded: the enumerator lists the
// paths again every interval and turns files it has not seen before into
// splits. A file is read as it was when discovered, so files should be
// moved into a monitored directory complete (written elsewhere, then
// renamed), as with Flink.
//
// Readers ask the enumerator for a split whenever they have none and read
// their splits one at a time in a fetcher goroutine, so the subtask never
// blocks on the file system.
package filesource
