// Package socket is a text source for demos and interactive jobs: lines
// from a TCP server, the counterpart of Flink's socketTextStream, or from
// standard input or any io.Reader.
//
// TextStream connects as a client (start the server first, e.g.
// `nc -lk 9999`) and emits one string per delimiter-terminated record; with
// the delimiter '\n' a trailing "\r" is dropped too. The source is
// unbounded, but ends, as Flink's does, when the server closes the
// connection. A failed connection attempt is retried WithMaxRetries times,
// a retry delay apart, before the job fails naming the address.
//
// Stdin and FromReader read lines from a reader and end at its EOF.
//
// All of these are a single stream, so the source has one split, which
// subtask 0 reads; the other subtasks end at once. Nothing is replayable:
// a restored job reconnects (or continues with the reader where it is), so
// these sources are at-most-once and meant for demos, not production.
package socket
