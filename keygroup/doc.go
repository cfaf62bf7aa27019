// Package keygroup maps keys to key groups and key groups to subtasks with
// Flink's formulas, so keyed state can be stored, snapshotted and restored
// per key group and a job can be rescaled without reshuffling every key.
//
//	keyGroup = murmur(hashCode(key)) % maxParallelism
//	subtask  = keyGroup * parallelism / maxParallelism
//
// Hash codes for strings and integers follow Java's hashCode, so a string or
// long key lands in the same key group as it would in Flink.
package keygroup
