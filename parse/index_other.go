//go:build !amd64 || purego

package parse

// haveIndex reports whether Scanners locate fields with the structural
// index. Only amd64 with AVX2 has an indexer fast enough to pay; elsewhere
// the fields are found with bytes.IndexByte, which is vectorised on every
// platform Go supports.
const haveIndex = false

// indexWords indexes src's whole 64-byte chunks; here, in Go, for the
// tests that run the indexed scanner on every platform.
func indexWords(src []byte, dst []uint64) { indexGo(src[:len(src)&^63], dst) }

// indexKernels returns the indexers this CPU can run, for the tests.
func indexKernels() map[string]func(src []byte, dst []uint64) {
	return map[string]func(src []byte, dst []uint64){"go": indexWords}
}
