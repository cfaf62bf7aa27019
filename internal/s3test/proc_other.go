//go:build !linux

package s3test

import "os/exec"

// dieWithParent needs Linux's parent-death signal; elsewhere a server
// outlives a test process that dies without running its cleanups.
func dieWithParent(*exec.Cmd) {}
