// Package jobcli holds what the example and benchmark jobs share: parsing weir's
// configuration arguments next to the job's own flags, and exiting with a
// message a user can act on.
package jobcli
