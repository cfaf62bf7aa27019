// Package failpoint lets crash tests kill a real process at an exact point
// of the code, e.g. between a sink's pre-commit and its commit, where a
// SIGKILL sent from outside would land only by luck.
//
// A failpoint is named in code with [Crash]; it is armed through the
// WEIR_FAILPOINTS environment variable of the process (a comma-separated
// list of names, each optionally followed by "@N" to fire on the N-th hit
// instead of the first). An armed failpoint ends the process at once with
// exit status 137, as SIGKILL would: no deferred calls, no flushes. Unarmed,
// a failpoint costs one map lookup on a map that is empty.
package failpoint
