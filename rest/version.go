package rest

import (
	"runtime/debug"
	"sync"
)

const modulePath = "github.com/weirstream/weir"

// buildInfo returns weir's version and revision as the binary records them.
// A job binary imports weir as a dependency, so the version is that of the
// dependency; weir's own binaries carry the VCS revision instead.
var buildInfo = sync.OnceValues(func() (version, revision string) {
	version, revision = "dev", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, revision
	}
	mod := &bi.Main
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			mod = d
		}
	}
	if mod.Path == modulePath && mod.Version != "" && mod.Version != "(devel)" {
		version = mod.Version
	}
	if mod == &bi.Main {
		var rev, when string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			}
		}
		if len(rev) > 7 {
			rev = rev[:7]
		}
		if rev != "" {
			revision = rev
			if when != "" {
				revision += " @ " + when
			}
		}
	}
	return version, revision
})
