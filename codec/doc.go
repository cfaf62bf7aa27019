// Package codec turns typed values into bytes and back: for records crossing
// process boundaries, for source splits and enumerator state sent to the
// JobManager, and for state in checkpoints and savepoints.
package codec
