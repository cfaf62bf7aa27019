package filesink

import (
	"time"

	"github.com/weirstream/weir/sink"
)

// BucketAssigner chooses the bucket (a subdirectory of the sink's base
// directory) a record is written to. The empty string is the base directory
// itself; other IDs are relative slash-separated paths that must stay inside
// the base directory (no "..", not absolute), else the write fails.
// BucketID is called once per record from the writer's goroutine; it must be
// deterministic enough that records of one bucket share a directory, and
// cheap, since it runs on the record path.
type BucketAssigner[T any] interface {
	BucketID(v T, ctx sink.Context) string
}

// ProcessingTimeBucketAssigner is a BucketAssigner that depends on
// processing time. sink.Context carries no processing time, so the writer
// calls BucketIDAt with its InitContext's clock (processingTime in
// milliseconds) instead of BucketID; tests that inject a clock thereby
// control the bucket as well. BucketID is used only by callers outside the
// writer and reads the wall clock.
type ProcessingTimeBucketAssigner[T any] interface {
	BucketAssigner[T]
	BucketIDAt(v T, ctx sink.Context, processingTime int64) string
}

// BasePathBucketAssigner writes every record directly into the base
// directory. It is the default.
type BasePathBucketAssigner[T any] struct{}

// BucketID implements BucketAssigner.
func (BasePathBucketAssigner[T]) BucketID(T, sink.Context) string { return "" }

// DefaultDateTimeFormat is Flink's "yyyy-MM-dd--HH" as a Go layout.
const DefaultDateTimeFormat = "2006-01-02--15"

// DateTimeBucketAssigner buckets records by the processing time at which
// they are written, formatted with Format (a Go time layout, default
// DefaultDateTimeFormat: one bucket per hour) in Location (default
// time.Local, as Flink uses the JVM's zone).
type DateTimeBucketAssigner[T any] struct {
	Format   string
	Location *time.Location
}

// BucketID implements BucketAssigner using the wall clock.
func (a DateTimeBucketAssigner[T]) BucketID(v T, ctx sink.Context) string {
	return a.BucketIDAt(v, ctx, time.Now().UnixMilli())
}

// BucketIDAt implements ProcessingTimeBucketAssigner.
func (a DateTimeBucketAssigner[T]) BucketIDAt(_ T, _ sink.Context, processingTime int64) string {
	format := a.Format
	if format == "" {
		format = DefaultDateTimeFormat
	}
	loc := a.Location
	if loc == nil {
		loc = time.Local
	}
	return time.UnixMilli(processingTime).In(loc).Format(format)
}
