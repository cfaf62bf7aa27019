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
// same Get* functions.
//
// # Snapshots and restore
//
// HeapBackend.Snapshot freezes the keyed state and timers copy-on-write
// (cow.go) in time that grows with the number of states and key groups, not
// entries; the frozen view is written key group by key group on another
// goroutine (operator.KeyedSnapshot) while the subtask goes on. Values are
// encoded with the codecs of the state descriptors, keys and namespaces with
// HeapOptions.KeyCodec and NamespaceCodec. HeapBackend.Restore takes key
// groups back, possibly written by subtasks with other key group ranges;
// entries stay encoded until their state is registered, which decodes them
// with the descriptor's codecs (as Flink does). OperatorStore.Snapshot and
// Restore do the same for operator state, as snapshot.ListState values.
//
// # Key group format, version 1
//
// One key group is written as follows (uvarint and varint as in
// encoding/binary; "bytes" is a uvarint length then the bytes; "string"
// likewise). The format depends on state names, kinds and codecs only, not
// on the backend, so the same bytes serve checkpoints and savepoints.
//
//	uvarint  format version (1)
//	uvarint  key group
//	uvarint  number of states with entries in this key group
//	  per state, sorted by name:
//	  string   name
//	  uvarint  kind: 1 Value, 2 List, 3 Map, 4 Reducing, 5 Aggregating
//	  uvarint  flags: bit 0 set when entries carry TTL expiries
//	  uvarint  number of entries
//	    per entry:
//	    bytes    key (KeyCodec)
//	    namespace: uvarint 0 for VoidNamespace, or uvarint 1 then bytes
//	             (NamespaceCodec)
//	    Value, Reducing, Aggregating: bytes value [varint expiry]
//	    List: uvarint n, then n times: bytes element [varint expiry]
//	    Map:  uvarint n, then n times, sorted by key bytes:
//	          bytes map key, bytes map value [varint expiry]
//	uvarint  number of timer services with timers in this key group
//	  per timer service, sorted by name:
//	  string   name
//	  event-time timers, then processing-time timers, each as:
//	    uvarint  number of timers
//	    per timer, sorted by timestamp, key bytes, namespace bytes:
//	    bytes key, namespace (as above), varint timestamp (ms)
//
// Expiries (present when the TTL flag is set) are absolute processing times
// in ms; data expired when the snapshot was taken is left out, and so is a
// state left without entries. A restore rejects other format versions, and
// reports damaged data with errors wrapping snapshot.ErrCorrupt that name
// the key group and, where known, the state.
//
// Nothing in this package is safe for concurrent use, except writing a
// KeyedSnapshot: a backend, its states, its timer service and an
// OperatorStore belong to one subtask goroutine.
package state
