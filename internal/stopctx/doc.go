// Package stopctx is a context.Context that ends only when its owner stops
// it. Fetchers, writers and committers live from their creation to a Close
// that takes no context, so the calls they make have no parent context to
// derive from; Close stops theirs, which cancels anything still waiting.
package stopctx
