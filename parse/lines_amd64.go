//go:build amd64 && !purego

package parse

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd internal/asmgen && go run ./lines -out ../../lines_amd64.s -stubs ../../lines_amd64_decl.go -pkg parse"

// haveHitScan reports whether the prefilter's block skip has its
// kernel: on amd64 with AVX2.
var haveHitScan = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT
