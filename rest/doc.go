// Package rest is weir's REST API: the HTTP endpoints of Flink's monitoring
// and job-control API (same paths, same JSON field names), so tools and
// scripts written against Flink's REST API work against weir, and the typed
// [Client] the weir command line uses.
//
// The server knows nothing about the runtime. It serves whatever a [Cluster]
// reports, and the runtime implements Cluster: a local job answers for
// itself, a JobManager for every job it runs. Asynchronous operations
// (savepoints, stop-with-savepoint) are tracked with [Operations], so every
// Cluster hands out trigger ids and reports their results the same way.
//
// Starting the API next to a job:
//
//	ln, err := rest.Listen(conf)          // rest.bind-address, rest.bind-port / rest.port
//	if err != nil { return err }
//	srv := rest.New(cluster, logger)
//	g.Go(func() error { return srv.Serve(ctx, ln) }) // returns once ctx is done and requests drained
//
// Every endpoint also answers under the /v1 prefix, as Flink's does.
package rest
