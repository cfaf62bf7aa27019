// Package collect is a sink for tests: it gathers every record of a job run
// in the local (single-process) cluster into memory, with its timestamp and
// the subtask that wrote it, so a test can assert on the output.
//
//	out := collect.New[int]()
//	// ... stream.SinkTo(out); env.Execute(ctx, "test")
//	got := out.Values()
//
// A Sink belongs to one run: creating a second writer for the same subtask
// and attempt fails until Reset is called, so a test that reuses a sink by
// mistake sees an error instead of doubled output. Records of restarted
// attempts (a higher attempt number) are appended, as an at-least-once
// sink would show them.
package collect
