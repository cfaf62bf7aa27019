// Package stream is weir's DataStream API: a job is a Go program that
// creates an Environment, builds a graph of typed streams from sources
// through transformations to sinks, and calls Execute.
//
//	env := stream.NewEnvironment(cfg)
//	lines := stream.FromSource(env, filesource.TextLines(path), eventtime.NoWatermarks[string](), "lines")
//	words := stream.FlatMap(lines, split)
//	counts := stream.KeyedProcess(stream.KeyBy(words, identity), &counter{})
//	stream.SinkTo(counts, print.New[string]())
//	err := env.Execute(ctx, "wordcount")
//
// Go methods cannot introduce type parameters, so transformations that
// change the record type are package functions (Map, FlatMap, KeyBy, ...),
// while settings that keep it are methods (Name, UID, SetParallelism,
// Rebalance, ...). User functions run in the subtask goroutine and never
// need locks; they report failures by returning an error (or panicking),
// which stops the job with the operator's name in the message.
package stream
