// Package local executes a JobGraph inside one process: a goroutine per
// subtask, bounded queues between them, and a goroutine per source
// coordinator. It is the embedded cluster a job binary uses when run on its
// own; the first failure cancels every other subtask and Execute returns it
// only after every goroutine has exited.
package local
