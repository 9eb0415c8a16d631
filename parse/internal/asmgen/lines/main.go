// Command lines generates the kernel of parse's prefilter block skip,
// scanHits (see parse/lines.go), in parse/lines_amd64.s with its Go
// declaration in parse/lines_amd64_decl.go, with avo
// (github.com/mmcloughlin/avo).
//
// It is in the asmgen module, so that the s3logs module does not depend on
// avo. Regenerate from the parse directory with
//
//	go generate ./...
//
// which runs, in the asmgen directory,
//
//	go run ./lines -out ../../lines_amd64.s -stubs ../../lines_amd64_decl.go -pkg parse
//
// and commit both files.
//
// The kernel reads 64 bytes an iteration while they hold neither a pair
// (c0 at i, c1 at i+d) nor a newline, the common case of a selective scan;
// 64 bytes with newlines but no pair are counted whole; a vector with a
// pair, the vector after a line end that ends 64 bytes, and the last
// vectors go 32 bytes at a time, writing the hits.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	scanHits()
	Generate()
}

// broadcast returns a vector with every byte set to the low byte of r.
func broadcast(r Register) VecVirtual {
	x, y := XMM(), YMM()
	MOVQ(r, x)
	VPBROADCASTB(x, y)
	return y
}

// at is b[k+disp:] as an operand.
func at(b, k Register, disp int) Mem {
	return Mem{Base: b, Index: k, Scale: 1, Disp: disp}
}

func scanHits() {
	TEXT("scanHits", NOSPLIT, "func(b []byte, c0, c1 byte, d int, hits []uint64) (nh, n int, blank bool, next int)")
	Pragma("noescape")
	Doc(
		"scanHits is findHits's kernel over the whole 32-byte vectors of",
		"b[:len(b)-d], b[:next]: it writes a hit (see hitList) for each i with",
		"b[i] == c0 and b[i+d] == c1 to hits, nh of them, two words each, and",
		"returns the number of '\\n' in b[:next] and whether a blank candidate",
		"follows the last hit. It stops early, before a vector, when fewer than",
		"32 hits are left. It needs AVX2 and POPCNT.",
	)

	b := Load(Param("b").Base(), GP64())
	blen := Load(Param("b").Len(), GP64())
	c0 := Load(Param("c0"), GP32())
	c1 := Load(Param("c1"), GP32())
	d := Load(Param("d"), GP64())
	out := Load(Param("hits").Base(), GP64()) // where the next hit goes
	hlen := Load(Param("hits").Len(), GP64())

	// The limits: the place in hits past which the next vector's hits
	// may not fit, and the last offsets of a whole vector and of two,
	// with b[i+d] inside b.
	hlim, vlim, vlim64 := AllocLocal(8), AllocLocal(8), AllocLocal(8)
	LEAQ(Mem{Base: out, Index: hlen, Scale: 8, Disp: -8 * 64}, hlen)
	MOVQ(hlen, hlim)
	SUBQ(d, blen)
	SUBQ(U8(32), blen)
	MOVQ(blen, vlim)
	SUBQ(U8(32), blen)
	MOVQ(blen, vlim64)
	// The newlines before k, and where the line at k starts.
	lines, start := AllocLocal(8), AllocLocal(8)
	MOVQ(U32(0), lines)
	MOVQ(U32(0), start)
	bd := GP64() // b[d:]
	LEAQ(Mem{Base: b, Index: d, Scale: 1}, bd)

	want0, want1 := broadcast(c0), broadcast(c1)
	nlr, spr := GP32(), GP32()
	MOVL(U32('\n'), nlr)
	MOVL(U32(' '), spr)
	nl, sp := broadcast(nlr), broadcast(spr)

	k := GP64()       // the vector's offset
	blanks := GP64()  // blank candidates since the last hit
	afterNL := GP64() // the byte before k is a newline (1) or not (0)
	for _, r := range []Register{k, blanks, afterNL} {
		XORQ(r, r)
	}
	CMPQ(out, hlim)
	JGT(LabelRef("done"))

	// The 64-byte loop, entered with afterNL 0, so that there are blank
	// candidates in its bytes only after their newlines.
	Label("loop64")
	CMPQ(k, vlim64)
	JGT(LabelRef("loop"))
	Label("body64")
	lo, hi := YMM(), YMM()
	VMOVDQU(at(b, k, 0), lo)
	VMOVDQU(at(b, k, 32), hi)
	pairLo, pairHi, t := YMM(), YMM(), YMM()
	VPCMPEQB(lo, want0, pairLo)
	VPCMPEQB(at(bd, k, 0), want1, t)
	VPAND(t, pairLo, pairLo)
	VPCMPEQB(hi, want0, pairHi)
	VPCMPEQB(at(bd, k, 32), want1, t)
	VPAND(t, pairHi, pairHi)
	nlLo, nlHi, either := YMM(), YMM(), YMM()
	VPCMPEQB(lo, nl, nlLo)
	VPCMPEQB(hi, nl, nlHi)
	VPOR(pairLo, pairHi, pairLo)
	VPOR(nlLo, nlHi, either)
	VPOR(pairLo, either, either)
	VPTEST(either, either)
	JNZ(LabelRef("some64"))
	ADDQ(U8(64), k)
	CMPQ(k, vlim64)
	JLE(LabelRef("body64"))
	JMP(LabelRef("loop"))

	Label("some64")
	// A pair: the vector at k goes at loop. Else newlines only: they and
	// the blank candidates after them are counted.
	VPTEST(pairLo, pairLo)
	JNZ(LabelRef("loop"))
	nls, le := GP64(), GP64()
	hiMask := GP64()
	VPMOVMSKB(nlLo, nls.As32())
	VPMOVMSKB(nlHi, hiMask.As32())
	SHLQ(U8(32), hiMask)
	ORQ(hiMask, nls)
	leLo, leHi := YMM(), YMM()
	VPMINUB(lo, sp, leLo)
	VPCMPEQB(lo, leLo, leLo)
	VPMINUB(hi, sp, leHi)
	VPCMPEQB(hi, leHi, leHi)
	VPMOVMSKB(leLo, le.As32())
	VPMOVMSKB(leHi, hiMask.As32())
	SHLQ(U8(32), hiMask)
	ORQ(hiMask, le) // bytes <= ' '
	after := GP64()
	LEAQ(Mem{Base: nls, Index: nls, Scale: 1}, after) // the bytes after a newline
	ANDQ(after, le)
	ORQ(le, blanks)
	MOVQ(nls, afterNL)
	SHRQ(U8(63), afterNL)
	countLines(k, nls, lines, start)
	ADDQ(U8(64), k)
	TESTQ(afterNL, afterNL)
	JZ(LabelRef("loop64"))

	// One vector at a time, with its hits.
	Label("loop")
	CMPQ(k, vlim)
	JGT(LabelRef("done"))
	v, pair := YMM(), YMM()
	VMOVDQU(at(b, k, 0), v)
	VPCMPEQB(v, want0, pair)
	VPCMPEQB(at(bd, k, 0), want1, t)
	VPAND(t, pair, pair)
	pairs := GP32()
	VPMOVMSKB(pair, pairs)
	VPCMPEQB(v, nl, t)
	VPMOVMSKB(t, nls.As32())
	VPMINUB(v, sp, t)
	VPCMPEQB(v, t, t)
	VPMOVMSKB(t, le.As32()) // bytes <= ' '
	LEAL(Mem{Base: afterNL, Index: nls, Scale: 2}, after.As32())
	ANDL(after.As32(), le.As32()) // blank candidates: after a newline
	MOVL(nls.As32(), afterNL.As32())
	SHRL(U8(31), afterNL.As32())
	TESTL(pairs, pairs)
	JNZ(LabelRef("hit"))

	Label("next")
	TESTQ(nls, nls)
	JZ(LabelRef("nonl"))
	countLines(k, nls, lines, start)
	Label("nonl")
	ORQ(le, blanks)
	ADDQ(U8(32), k)
	CMPQ(out, hlim)
	JGT(LabelRef("done"))
	TESTQ(afterNL, afterNL)
	JZ(LabelRef("loop64"))
	JMP(LabelRef("loop"))

	Label("hit")
	// One hit for each pair bit t, lowest first: its offset and its
	// line's start, then its newlines before and blank flag.
	BSFL(pairs, ECX)
	before, upto := GP64(), GP64()
	MOVQ(U32(1), before)
	SHLQ(CL, before)
	DECQ(before)                                                    // bits < t
	LEAQ(Mem{Base: before, Index: before, Scale: 1, Disp: 1}, upto) // bits <= t
	ANDQ(le, upto)                                                  // the blank candidates up to t go with this hit
	ORQ(upto, blanks)
	XORQ(upto, le)
	NEGQ(blanks)
	SBBQ(blanks, blanks)
	SHLQ(U8(63), blanks)
	w := upto
	ANDQ(nls, before) // the newlines before t
	JZ(LabelRef("saved"))
	BSRQ(before, w)
	LEAQ(Mem{Base: k, Index: w, Scale: 1, Disp: 1}, w)
	JMP(LabelRef("linestart"))
	Label("saved")
	MOVQ(start, w)
	Label("linestart")
	SHLQ(U8(32), w)
	ADDQ(k, w)
	ADDQ(RCX, w)
	MOVQ(w, Mem{Base: out})
	POPCNTQ(before, w)
	ADDQ(lines, w) // newlines before k+t
	ORQ(blanks, w)
	XORQ(blanks, blanks)
	MOVQ(w, Mem{Base: out, Disp: 8})
	ADDQ(U8(16), out)
	MOVL(pairs, w.As32())
	DECL(w.As32())
	ANDL(w.As32(), pairs)
	JNZ(LabelRef("hit"))
	JMP(LabelRef("next"))

	Label("done")
	SUBQ(Load(Param("hits").Base(), GP64()), out)
	SHRQ(U8(4), out)
	Store(out, Return("nh"))
	n := GP64()
	MOVQ(lines, n)
	Store(n, Return("n"))
	TESTQ(blanks, blanks)
	bl, err := Return("blank").Resolve()
	if err != nil {
		panic(err)
	}
	SETNE(bl.Addr)
	Store(k, Return("next"))
	VZEROUPPER()
	RET()
}

// countLines adds the newlines of nls, a vector's mask at k with one at
// least, to lines, and sets start to the offset after the last.
func countLines(k, nls Register, lines, start Mem) {
	w := GP64()
	BSRQ(nls, w)
	LEAQ(Mem{Base: k, Index: w, Scale: 1, Disp: 1}, w)
	MOVQ(w, start)
	POPCNTQ(nls, w)
	ADDQ(w, lines)
}
