// Package operator defines the contract between the task runtime and the
// operators it runs: lifecycle, typed per-record input, outputs that pass
// records down an operator chain by direct calls, watermarks, and the
// per-subtask services (processing-time timers, keyed state, config).
//
// Everything here is called from the one goroutine that owns the subtask
// (its mailbox loop), so operators never lock.
package operator
