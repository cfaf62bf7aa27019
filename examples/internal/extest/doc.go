// Package extest runs an example job the way a user does, for the
// examples' tests: the program is built once per test binary (without
// -race, so large inputs stay fast when the tests themselves run under
// -race) and executed as a separate process with a time limit.
package extest
