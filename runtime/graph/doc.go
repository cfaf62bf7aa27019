// Package graph holds the plan of a job: the StreamGraph the user's program
// builds (one node per operator, edges with partitioning) and the JobGraph
// derived from it by chaining operators that can run as direct calls in one
// subtask (forward edge, same parallelism, chaining allowed).
//
// Nodes carry factories, never live operators, so each subtask (and, later,
// each restart and each process) builds its own instances.
package graph
