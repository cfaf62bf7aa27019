// Package wordtest is the test data and oracle of the word count examples:
// random lines over a vocabulary with skewed frequencies and many kinds of
// white space, an independent word splitter and counter, and the check that
// committed "word,count" output holds every count exactly once.
package wordtest
