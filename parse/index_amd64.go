//go:build amd64 && !purego

package parse

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd internal/asmgen && go run . -out ../../index_amd64.s -stubs ../../index_amd64_decl.go -pkg parse"

// haveIndex reports whether Scanners locate fields with the structural
// index: on amd64 when the CPU has AVX2.
var haveIndex = cpu.X86.HasAVX2

// indexWords indexes src's whole 64-byte chunks (see indexAVX2).
func indexWords(src []byte, dst []uint64) { indexAVX2(src, dst) }
