// Package editdist measures how far apart two names are, for "did you
// mean" suggestions on misspelt configuration keys.
package editdist
