//go:build amd64 && !purego

package parse

import "golang.org/x/sys/cpu"

// haveHitScan reports whether the prefilter's block skip has its
// kernel: on amd64 with AVX2.
var haveHitScan = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// scanHits is findHits's kernel over the whole 32-byte vectors of
// b[:len(b)-d], b[:next]: it writes a hit (see hit) for each i with
// b[i] == c0 and b[i+d] == c1 to hits, nh of them, two words each, and
// returns the number of '\n' in b[:next] and whether a blank candidate
// follows the last hit. It stops early, before a vector, when fewer than
// 32 hits are left. It needs AVX2 and POPCNT.
//
//go:noescape
func scanHits(b []byte, c0, c1 byte, d int, hits hitList) (nh, n int, blank bool, next int)
