//go:build amd64 && !purego

package parse

import "golang.org/x/sys/cpu"

// haveLineKernels reports whether the prefilter's block skip has its
// kernels: on amd64 with AVX2.
var haveLineKernels = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// pairScan looks for i with b[i] == c0 and b[i+d] == c1 in the whole
// 32-byte vectors of b[:len(b)-d]: found is the first such i, or -1; next
// is where the vectors it scanned end (the start of the vector holding
// found). len(b) must be at least d. It needs AVX2.
//
//go:noescape
func pairScan(b []byte, c0, c1 byte, d int) (found, next int)

// lineScan counts the '\n' of b's whole 32-byte vectors, b[:next], and
// reports whether one of them is followed by a byte <= ' ' within
// b[:next]. It needs AVX2 and POPCNT.
//
//go:noescape
func lineScan(b []byte) (n int, mayBlank bool, next int)

// scanHits is findHits's kernel over the whole 32-byte vectors of
// b[:len(b)-d], b[:next]: it writes a hit (see hit) for each i with
// b[i] == c0 and b[i+d] == c1 to hits, nh of them, two words each, and
// returns the number of '\n' in b[:next] and whether a blank candidate
// follows the last hit. It stops early, before a vector, when fewer than
// 32 hits are left. It needs AVX2 and POPCNT.
//
//go:noescape
func scanHits(b []byte, c0, c1 byte, d int, hits hitList) (nh, n int, blank bool, next int)
