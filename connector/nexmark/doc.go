// Package nexmark is the Nexmark event source: the generator of
// benchmarks/nexmark/generator behind weir's FLIP-27 data generator
// source, so splits are contiguous ranges of event positions whose
// progress is checkpointed, and a run is repeatable whatever the
// parallelism.
package nexmark
