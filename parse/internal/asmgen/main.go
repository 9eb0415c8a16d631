// Command asmgen generates parse's AVX2 structural indexer,
// parse/index_amd64.s and its Go declaration parse/index_amd64_decl.go,
// with avo (github.com/mmcloughlin/avo).
//
// It is a module of its own so that the s3logs module does not depend on
// avo. Regenerate from the parse directory with
//
//	go generate ./...
//
// which runs, in this directory,
//
//	go run . -out ../../index_amd64.s -stubs ../../index_amd64_decl.go -pkg parse
//
// and commit both files.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// classes are the bytes the index marks, one class a mask, in the order
// of their masks in each group of stride words (parse's mSpace, mQuote,
// mNewline): a space; a quote or a '[' (the fast path looks for brackets
// where it looks for quotes); a newline.
var classes = [][]byte{{' '}, {'"', '['}, {'\n'}}

// stride is how many words apart the masks of two chunks are (parse's
// mKinds): four, a word more than the classes, so that parse finds a
// chunk's masks with a shift and a mask.
const stride = 4

// ahead is how far ahead of the chunk it indexes a kernel asks for input
// to be brought into the L2 cache (PREFETCHT1): one window of parse's
// (ixWords chunks), the window the Scanner indexes next, which so arrives
// while this one's lines are parsed instead of when the kernel reads it.
// A prefetch past the end of the input is harmless: it never faults.
const ahead = 256 * 64

// bytes returns the distinct bytes of the classes, in order.
func classBytes() []byte {
	var out []byte
	for _, c := range classes {
		out = append(out, c...)
	}
	return out
}

func main() {
	ConstraintExpr("amd64,!purego")
	avx2()
	avx512()
	Generate()
}

// prologue starts a kernel with the signature of indexAVX2: it loads src's
// base and its length in 64-byte chunks and dst's base, and returns one
// vector register per byte of the classes (classBytes) with every byte
// set to it (vec gives a register of the kernel's width). It jumps to done
// when there is no whole chunk.
func prologue(name string, doc []string, vec func() VecVirtual, done string) (src, n, dst Register, want []VecVirtual) {
	TEXT(name, NOSPLIT, "func(src []byte, dst []uint64)")
	Pragma("noescape")
	Doc(doc...)
	src = Load(Param("src").Base(), GP64())
	n = Load(Param("src").Len(), GP64())
	dst = Load(Param("dst").Base(), GP64())
	want = make([]VecVirtual, len(classBytes()))
	for c, b := range classBytes() {
		r := GP32()
		MOVL(U32(uint32(b)*0x01010101), r)
		x := XMM()
		MOVD(r, x)
		want[c] = vec()
		VPBROADCASTB(x, want[c])
	}
	SHRQ(U8(6), n)
	JZ(LabelRef(done))
	return src, n, dst, want
}

// avx2 compares 32 bytes at a time and gathers each class's bits with
// VPMOVMSKB, whose throughput (one a cycle) bounds the loop.
func avx2() {
	src, n, dst, want := prologue("indexAVX2", []string{
		"indexAVX2 writes the structural index of src's len(src)/64 whole",
		"64-byte chunks to dst: for chunk k, dst[4k+c] has bit i set when",
		"byte 64k+i of src is of class c (a space; a quote or '['; a newline);",
		"dst[4k+3] is left as it is. Bytes after the last whole chunk are left",
		"out. dst must hold 4*(len(src)/64) words. It needs AVX2.",
	}, YMM, "done")

	Label("loop")
	lo, hi := YMM(), YMM()
	PREFETCHT1(Mem{Base: src, Disp: ahead})
	VMOVDQU(Mem{Base: src}, lo)
	VMOVDQU(Mem{Base: src, Disp: 32}, hi)
	j := 0 // the class's first byte in want
	for c, bs := range classes {
		eqLo, eqHi := YMM(), YMM()
		VPCMPEQB(lo, want[j], eqLo)
		VPCMPEQB(hi, want[j], eqHi)
		for _, w := range want[j+1 : j+len(bs)] {
			// A class of several bytes: the OR of their compares.
			xLo, xHi := YMM(), YMM()
			VPCMPEQB(lo, w, xLo)
			VPCMPEQB(hi, w, xHi)
			VPOR(xLo, eqLo, eqLo)
			VPOR(xHi, eqHi, eqHi)
		}
		j += len(bs)
		mLo, mHi := GP64(), GP64()
		// A 32-bit destination zero-extends, so mLo holds bits 0..31 only.
		VPMOVMSKB(eqLo, mLo.As32())
		VPMOVMSKB(eqHi, mHi.As32())
		SHLQ(U8(32), mHi)
		ORQ(mLo, mHi)
		MOVQ(mHi, Mem{Base: dst, Disp: 8 * c})
	}
	ADDQ(U8(64), src)
	ADDQ(U8(8*stride), dst)
	DECQ(n)
	JNZ(LabelRef("loop"))

	Label("done")
	VZEROUPPER()
	RET()
}

// avx512 compares 64 bytes at a time into mask registers: one compare per
// byte, and one KMOVQ per class and chunk, half the instructions of avx2.
func avx512() {
	src, n, dst, want := prologue("indexAVX512", []string{"indexAVX512 is indexAVX2 for CPUs with AVX-512BW."}, ZMM, "done512")

	Label("loop512")
	v := ZMM()
	PREFETCHT1(Mem{Base: src, Disp: ahead})
	VMOVDQU8(Mem{Base: src}, v)
	j := 0 // the class's first byte in want
	for c, bs := range classes {
		k := K()
		VPCMPEQB(v, want[j], k)
		for _, w := range want[j+1 : j+len(bs)] {
			x := K()
			VPCMPEQB(v, w, x)
			KORQ(x, k, k)
		}
		j += len(bs)
		m := GP64()
		KMOVQ(k, m)
		MOVQ(m, Mem{Base: dst, Disp: 8 * c})
	}
	ADDQ(U8(64), src)
	ADDQ(U8(8*stride), dst)
	DECQ(n)
	JNZ(LabelRef("loop512"))

	Label("done512")
	VZEROUPPER()
	RET()
}
