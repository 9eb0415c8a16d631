package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// versionString is what s3logs --version prints and the report's header
// names: the module version and the VCS revision the binary was built
// from, as the Go toolchain recorded them.
//
//	s3logs v1.2.0 (revision 0123456789ab, 2026-03-01T10:00:00Z) go1.26.0 linux/amd64
//	s3logs (devel) (revision 0123456789ab, 2026-03-01T10:00:00Z, modified) go1.26.0 linux/amd64
func versionString() string {
	version, rev, at, modified := "(devel)", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	build := "revision unknown"
	if rev != "" {
		build = "revision " + rev[:min(12, len(rev))]
		if at != "" {
			build += ", " + at
		}
		if modified {
			build += ", modified"
		}
	}
	return fmt.Sprintf("s3logs %s (%s) %s %s/%s", version, build, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
