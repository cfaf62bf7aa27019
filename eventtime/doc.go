// Package eventtime defines event timestamps and watermarks: how a job says
// where a record's time comes from (TimestampAssigner) and how far event time
// has progressed (WatermarkGenerator), bundled as a WatermarkStrategy.
//
// Timestamps and watermarks are milliseconds since the Unix epoch. Sources
// generate watermarks per split (FLIP-27); the runtime combines them as the
// minimum over active inputs, excluding idle ones.
package eventtime
