//go:build amd64 && !purego

package parse

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd internal/asmgen && go run . -out ../../index_amd64.s -stubs ../../index_amd64_decl.go -pkg parse"

// haveIndex reports whether Scanners locate fields with the structural
// index: on amd64 when the CPU has AVX2.
var haveIndex = cpu.X86.HasAVX2

// haveAVX512 selects the AVX-512 indexer, about twice as fast as the AVX2
// one where the CPU has AVX-512BW.
var haveAVX512 = cpu.X86.HasAVX512BW

// indexWords indexes src's whole 64-byte chunks (see indexAVX2).
func indexWords(src []byte, dst []uint64) {
	if haveAVX512 {
		indexAVX512(src, dst)
		return
	}
	indexAVX2(src, dst)
}

// indexKernels returns the indexers this CPU can run, for the tests.
func indexKernels() map[string]func(src []byte, dst []uint64) {
	k := map[string]func(src []byte, dst []uint64){}
	if cpu.X86.HasAVX2 {
		k["avx2"] = indexAVX2
	}
	if cpu.X86.HasAVX512BW {
		k["avx512"] = indexAVX512
	}
	return k
}
