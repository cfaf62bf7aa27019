// Package state holds the state a streaming operator keeps between records.
//
// Keyed state (Value, List, Map, Reducing and Aggregating, see api.go) is
// scoped to the key of the record being processed: the operator calls
// KeyedBackend.SetCurrentKey before processing each record or timer, and every
// state handle it obtained reads and writes that key's entry. Keys map to key
// groups (keygroup.Of); a backend owns a contiguous range of key groups and
// stores its entries per key group, because the key group is the unit in which
// keyed state is snapshotted and redistributed when a job is restored at a
// different parallelism.
//
// Within a key, state is further scoped by a namespace (Namespaced): windows
// use the window as namespace, so one ValueState descriptor holds one value per
// key and window. State that is not windowed lives in VoidNamespace. Merging
// windows (sessions) fold the state of several namespaces into one with
// Namespaced.MergeNamespaces.
//
// Entries may carry a time to live (TTLConfig, Flink's StateTtlConfig): they
// expire a processing-time interval after their last write (or read), and are
// purged when read, when enumerated, and incrementally as the state is used.
//
// TimerService holds event-time and processing-time timers per key and
// namespace (Flink's InternalTimerService); it is part of keyed state and is
// stored per key group too.
//
// OperatorStore holds the non-keyed state of a subtask: operator list state
// (split among subtasks on restore), union list state (every subtask gets the
// union on restore) and broadcast state (the same map on every subtask).
//
// The backend here is "hashmap": everything lives on the Go heap. A backend on
// Pebble for state larger than memory comes later and is reached through the
// same Get* functions. Checkpoint snapshots, written per key group so they can
// be redistributed, arrive in a later change.
//
// Nothing in this package is safe for concurrent use: a backend, its states,
// its timer service and an OperatorStore belong to one subtask goroutine.
package state
