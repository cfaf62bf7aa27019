// Package wordcount is the counting logic the word count examples share,
// whatever they read from and write to: split lines into lowercased words
// and keep each word's running count in keyed state.
package wordcount
