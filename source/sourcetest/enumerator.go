package sourcetest

import (
	"strings"
	"testing"

	"github.com/weirstream/weir/source"
)

// StartEnumerator creates src's enumerator on a fresh EnumContext of
// parallelism registered readers and starts it. A failure fails the test.
func StartEnumerator[T any, S source.Split, E any](t testing.TB, src source.Source[T, S, E], parallelism int) (source.SplitEnumerator[S, E], *EnumContext[S]) {
	t.Helper()
	ctx := NewEnumContext[S](parallelism)
	e, err := src.CreateEnumerator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	return e, ctx
}

// RestoreEnumerator encodes cp with src's CheckpointCodec and decodes it
// again, as a checkpoint store does, then restores an enumerator from the
// result on a fresh EnumContext of parallelism registered readers. The
// enumerator is not started. A failure fails the test.
func RestoreEnumerator[T any, S source.Split, E any](t testing.TB, src source.Source[T, S, E], cp E, parallelism int) (source.SplitEnumerator[S, E], *EnumContext[S]) {
	t.Helper()
	b, err := src.CheckpointCodec().Encode(cp)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := src.CheckpointCodec().Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewEnumContext[S](parallelism)
	e, err := src.RestoreEnumerator(ctx, decoded)
	if err != nil {
		t.Fatal(err)
	}
	return e, ctx
}

// CheckRejected fails the test unless both src.CreateEnumerator and
// src.CreateReader fail with an error containing want: a misconfigured
// source must be refused wherever the runtime builds it, coordinator or
// subtask.
func CheckRejected[T any, S source.Split, E any](t testing.TB, src source.Source[T, S, E], want string) {
	t.Helper()
	if _, err := src.CreateEnumerator(NewEnumContext[S](1)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("CreateEnumerator: %v, want an error containing %q", err, want)
	}
	if _, err := src.CreateReader(NewReaderContext(0, 1)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("CreateReader: %v, want an error containing %q", err, want)
	}
}
