//go:build !amd64 || purego

package parse

// haveHitScan reports whether the prefilter's block skip has its
// kernel. Elsewhere Scan finds each line's end and tests it, as it does
// without a prefilter.
const haveHitScan = false

func scanHits(b []byte, c0, c1 byte, d int, hits hitList) (nh, n int, blank bool, next int) {
	return 0, 0, false, 0
}
