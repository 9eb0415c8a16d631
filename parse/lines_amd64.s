//go:build amd64 && !purego

#include "textflag.h"

// The kernel of the prefilter's block skip (see lines.go), with AVX2. It
// scans whole 32-byte vectors only and says where it stopped; the Go
// wrapper does the tail.

// func scanHits(b []byte, c0 byte, c1 byte, d int, hits []uint64) (nh int, n int, blank bool, next int)
TEXT ·scanHits(SB), NOSPLIT, $32-96
	MOVQ         b_base+0(FP), SI
	MOVQ         b_len+8(FP), DX
	MOVBLZX      c0+24(FP), AX
	MOVBLZX      c1+25(FP), BX
	MOVQ         d+32(FP), CX
	MOVQ         hits_base+40(FP), R14
	MOVQ         hits_len+48(FP), R9
	SUBQ         $64, R9
	MOVQ         R9, hlim-16(SP)
	SUBQ         CX, DX
	SUBQ         $32, DX
	MOVQ         DX, vlim-8(SP)
	SUBQ         $32, DX
	MOVQ         DX, vlim64-32(SP)
	MOVQ         $0, start-24(SP) // where the line at k starts
	LEAQ         (SI)(CX*1), DI
	MOVQ         AX, X0
	VPBROADCASTB X0, Y0
	MOVQ         BX, X1
	VPBROADCASTB X1, Y1
	MOVQ         $0x0a, AX
	MOVQ         AX, X5
	VPBROADCASTB X5, Y5
	MOVQ         $0x20, AX
	MOVQ         AX, X6
	VPBROADCASTB X6, Y6
	XORQ         R8, R8   // k, the vector's offset
	XORQ         R9, R9   // words of hits written
	XORQ         R11, R11 // newlines before k
	XORQ         R12, R12 // blank candidates since the last hit
	XORQ         R13, R13 // the byte before k is a newline

hitloop64:
	// 64 bytes an iteration while there are no pairs in them; else one
	// vector at hitloop.
	CMPQ      R8, vlim64-32(SP)
	JGT       hitloop
	CMPQ      R9, hlim-16(SP)
	JGT       hitdone
	VMOVDQU   (SI)(R8*1), Y2
	VMOVDQU   32(SI)(R8*1), Y7
	VPCMPEQB  Y2, Y0, Y3
	VPCMPEQB  (DI)(R8*1), Y1, Y4
	VPAND     Y3, Y4, Y3
	VPCMPEQB  Y7, Y0, Y8
	VPCMPEQB  32(DI)(R8*1), Y1, Y9
	VPAND     Y8, Y9, Y8
	VPOR      Y3, Y8, Y3
	VPTEST    Y3, Y3
	JNZ       hitloop
	VPCMPEQB  Y2, Y5, Y4
	VPCMPEQB  Y7, Y5, Y9
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y9, DX
	SHLQ      $32, DX
	ORQ       DX, AX   // newlines
	VPMINUB   Y2, Y6, Y4
	VPCMPEQB  Y2, Y4, Y4
	VPMINUB   Y7, Y6, Y9
	VPCMPEQB  Y7, Y9, Y9
	VPMOVMSKB Y4, BX
	VPMOVMSKB Y9, DX
	SHLQ      $32, DX
	ORQ       DX, BX   // bytes <= ' '
	MOVQ      AX, DX
	SHLQ      $1, DX
	ORQ       R13, DX
	ANDQ      DX, BX
	ORQ       BX, R12
	MOVQ      AX, R13
	SHRQ      $63, R13
	MOVQ      $64, CX
	JMP       hitadvance

hitloop:
	CMPQ      R8, vlim-8(SP)
	JGT       hitdone
	CMPQ      R9, hlim-16(SP)
	JGT       hitdone
	VMOVDQU   (SI)(R8*1), Y2
	VPCMPEQB  Y2, Y0, Y3
	VPCMPEQB  (DI)(R8*1), Y1, Y4
	VPAND     Y3, Y4, Y3
	VPMOVMSKB Y3, R10 // pairs
	VPCMPEQB  Y2, Y5, Y4
	VPMOVMSKB Y4, AX  // newlines
	VPMINUB   Y2, Y6, Y4
	VPCMPEQB  Y2, Y4, Y4
	VPMOVMSKB Y4, BX  // bytes <= ' '
	MOVL      AX, DX
	SHLL      $1, DX
	ORL       R13, DX
	ANDL      DX, BX  // blank candidates: after a newline
	MOVL      AX, R13
	SHRL      $31, R13
	TESTL     R10, R10
	JNZ       hit

hitnext:
	MOVQ $32, CX

hitadvance:
	// The vector's newlines (AX) and blank candidates (BX) are counted,
	// and it is passed (CX bytes).
	TESTQ   AX, AX
	JZ      hitnonl
	BSRQ    AX, DX
	LEAQ    1(R8)(DX*1), DX
	MOVQ    DX, start-24(SP)
	POPCNTQ AX, DX
	ADDQ    DX, R11

hitnonl:
	ORQ  BX, R12
	ADDQ CX, R8
	JMP  hitloop64

hit:
	// One hit for each pair bit t, lowest first: its offset and its
	// line's start, then its newlines before and blank flag.
	BSFL    R10, CX
	MOVQ    $2, DX
	SHLQ    CX, DX
	DECQ    DX      // bits <= t
	ANDQ    BX, DX  // the blank candidates up to t go with this hit
	ORQ     DX, R12
	XORQ    DX, BX
	NEGQ    R12
	SBBQ    R12, R12
	SHLQ    $63, R12
	MOVQ    $1, DX
	SHLQ    CX, DX
	DECQ    DX      // bits < t
	ANDQ    AX, DX  // the newlines before t
	JZ      hitsaved
	BSRQ    DX, DX
	LEAQ    1(R8)(DX*1), DX
	JMP     hitstart

hitsaved:
	MOVQ start-24(SP), DX

hitstart:
	SHLQ    $32, DX
	ADDQ    R8, DX
	ADDQ    CX, DX
	MOVQ    DX, (R14)(R9*8)
	MOVQ    $1, DX
	SHLQ    CX, DX
	DECQ    DX
	ANDQ    AX, DX
	POPCNTQ DX, DX
	ADDQ    R11, DX // newlines before k+t
	ORQ     R12, DX
	XORQ    R12, R12
	MOVQ    DX, 8(R14)(R9*8)
	ADDQ    $2, R9
	MOVL    R10, DX
	DECL    DX
	ANDL    DX, R10
	JNZ     hit
	JMP     hitnext

hitdone:
	SHRQ  $1, R9
	MOVQ  R9, nh+64(FP)
	MOVQ  R11, n+72(FP)
	TESTQ R12, R12
	SETNE blank+80(FP)
	MOVQ  R8, next+88(FP)
	VZEROUPPER
	RET
