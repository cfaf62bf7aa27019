// Package snapshot is the vocabulary checkpoints and savepoints share:
// the description of what one operator subtask snapshotted (SubtaskState)
// and the byte encoding state is written in (Encoder, Decoder).
//
// Keyed state is written key group by key group, so a restore at another
// parallelism reads exactly the key groups each new subtask owns. Operator
// (non-keyed) state is a list of encoded elements per state name with a
// redistribution mode. The format is canonical: it depends on the
// operator's UID, state names, key groups and value codecs, not on the
// state backend, so checkpoints of the heap backend double as savepoints.
//
// The package depends on nothing but keygroup: the state backends, the
// runtime and the checkpoint coordinator all import it.
package snapshot
