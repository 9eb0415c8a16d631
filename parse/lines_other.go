//go:build !amd64 || purego

package parse

// haveLineKernels reports whether the prefilter's block skip has its
// kernels. Elsewhere Scan finds each line's end and tests it, as it does
// without a prefilter.
const haveLineKernels = false

func pairScan(b []byte, c0, c1 byte, d int) (found, next int) { return -1, 0 }

func lineScan(b []byte) (n int, mayBlank bool, next int) { return 0, false, 0 }

func scanHits(b []byte, c0, c1 byte, d int, hits hitList) (nh, n int, blank bool, next int) {
	return 0, 0, false, 0
}
