// Package queries holds the Nexmark queries (q0–q5, q7, q8, q11, q12), each
// twice: as a weir DataStream job over the generator source, and as a
// baseline, a plain single-goroutine Go loop over the same events that
// computes the same result rows with maps and slices.
//
// Result rows are CSV lines with the fields in the order of the query's
// definition (nexmark-flink's SQL). For every query but q12 (processing-time
// windows) the weir job and the baseline produce the same multiset of rows
// for any parallelism.
package queries
