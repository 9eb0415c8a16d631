package main

import "os"

// noClobber returns a usage error if any of the named output files exists
// and force is not set: outputs are never silently replaced. paths pairs
// each flag name with its value; empty values are skipped.
func noClobber(force bool, paths ...[2]string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		if p[1] == "" {
			continue
		}
		if _, err := os.Lstat(p[1]); err == nil {
			return usagef("%s %s: file exists (--force overwrites it)", p[0], p[1])
		}
	}
	return nil
}
