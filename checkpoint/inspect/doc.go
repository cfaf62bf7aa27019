// Package inspect reports what a checkpoint or savepoint holds, for
// "weir savepoint inspect": its metadata, and per operator the subtasks'
// key group ranges, keyed and operator state sizes and the keyed states
// (name, kind, entries, bytes) and timers found in the key groups.
//
// Building a report reads every keyed state file and checks each key
// group's CRC-32C and framing, without decoding keys or values, so it
// needs neither the job's code nor its codecs. Damage is not fatal: each
// damaged file or key group becomes a [Problem] naming the file and key
// group, the rest of the snapshot is still reported, and [Report.Err]
// turns the problems into one error.
//
// Keyed state files hold key groups one after another, each followed by
// the CRC-32C (Castagnoli) of its bytes, little-endian (see
// runtime/local/statefiles.go). A key group is either in the state
// package's canonical format (state.InspectKeyGroup), or, for the window
// operator, two length-prefixed byte strings holding the canonical key
// groups of its main backend and of its per-window backend (see
// window/snapshot.go). The two are told apart by the format version the
// canonical format starts with; per-window states are reported with the
// scope "per-window".
package inspect
