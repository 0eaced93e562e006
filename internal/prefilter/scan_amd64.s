//go:build amd64 && !purego

#include "textflag.h"

// PAIR32 leaves in AX the hit mask of the 32 positions from R8 (flags set
// by the final TESTL).
#define PAIR32 \
	VMOVDQU  (SI)(R8*1), Y4 \
	VMOVDQU  (DI)(R8*1), Y5 \
	VPOR     Y1, Y4, Y4 \
	VPOR     Y3, Y5, Y5 \
	VPCMPEQB Y0, Y4, Y4 \
	VPCMPEQB Y2, Y5, Y5 \
	VPAND    Y4, Y5, Y4 \
	VPMOVMSKB Y4, AX \
	TESTL    AX, AX

// func indexPairAVX2(s []byte, dist int, pat uint32) int
//
// Returns the first i in [0, len(s)-dist) with (s[i]|f0) == b0 and
// (s[i+dist]|f1) == b1, or -1; pat is b0 | f0<<8 | b1<<16 | f1<<24. The
// caller guarantees n = len(s)-dist >= 32, so every load is in bounds:
// blocks start at most at n-32 and the far load ends at n-32+dist+31.
TEXT ·indexPairAVX2(SB), NOSPLIT, $0-48
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ dist+24(FP), BX
	MOVL pat+32(FP), AX
	SUBQ BX, DX              // DX = n
	LEAQ (SI)(BX*1), DI      // DI = the far byte of position 0

	MOVL AX, CX
	MOVQ CX, X0
	VPBROADCASTB X0, Y0      // b0
	SHRL $8, CX
	MOVQ CX, X1
	VPBROADCASTB X1, Y1      // f0
	SHRL $8, CX
	MOVQ CX, X2
	VPBROADCASTB X2, Y2      // b1
	SHRL $8, CX
	MOVQ CX, X3
	VPBROADCASTB X3, Y3      // f1

	XORQ R8, R8              // i
	LEAQ -64(DX), R9         // the last start of a 64-position step

loop64:
	CMPQ R8, R9
	JGT  tail
	VMOVDQU  (SI)(R8*1), Y4
	VMOVDQU  32(SI)(R8*1), Y6
	VMOVDQU  (DI)(R8*1), Y5
	VMOVDQU  32(DI)(R8*1), Y7
	VPOR     Y1, Y4, Y4
	VPOR     Y1, Y6, Y6
	VPOR     Y3, Y5, Y5
	VPOR     Y3, Y7, Y7
	VPCMPEQB Y0, Y4, Y4
	VPCMPEQB Y0, Y6, Y6
	VPCMPEQB Y2, Y5, Y5
	VPCMPEQB Y2, Y7, Y7
	VPAND    Y4, Y5, Y4
	VPAND    Y6, Y7, Y6
	VPOR     Y4, Y6, Y8
	VPTEST   Y8, Y8
	JNZ      found64
	ADDQ     $64, R8
	JMP      loop64

found64:
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y6, CX
	SHLQ   $32, CX
	ORQ    CX, AX
	TZCNTQ AX, AX
	ADDQ   R8, AX
	MOVQ   AX, ret+40(FP)
	VZEROUPPER
	RET

tail:
	// Fewer than 64 positions are left: one block of 32 if it fits, then
	// a last block ending at n, overlapping positions already known to
	// hold no hit.
	LEAQ -32(DX), R9
	CMPQ R8, R9
	JGT  last
	PAIR32
	JNZ  found32
	ADDQ $32, R8

last:
	CMPQ R8, DX
	JGE  none
	MOVQ R9, R8
	PAIR32
	JNZ  found32

none:
	MOVQ $-1, ret+40(FP)
	VZEROUPPER
	RET

found32:
	TZCNTL AX, AX
	ADDQ   R8, AX
	MOVQ   AX, ret+40(FP)
	VZEROUPPER
	RET

// func hasNonASCIIAVX2(s []byte) bool
//
// Reports a byte >= 0x80 in s; the caller guarantees len(s) >= 32, so the
// last block can end at len(s), overlapping bytes already tested.
TEXT ·hasNonASCIIAVX2(SB), NOSPLIT, $0-25
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	XORQ R8, R8
	LEAQ -64(DX), R9

ascii64:
	CMPQ R8, R9
	JGT  ascii32
	VMOVDQU (SI)(R8*1), Y4
	VPOR    32(SI)(R8*1), Y4, Y4
	VPMOVMSKB Y4, AX
	TESTL   AX, AX
	JNZ     nonascii
	ADDQ    $64, R8
	JMP     ascii64

ascii32:
	LEAQ -32(DX), R9
	CMPQ R8, R9
	JGT  asciilast
	VMOVDQU (SI)(R8*1), Y4
	VPMOVMSKB Y4, AX
	TESTL   AX, AX
	JNZ     nonascii
	ADDQ    $32, R8

asciilast:
	CMPQ R8, DX
	JGE  ascii
	VMOVDQU (SI)(R9*1), Y4
	VPMOVMSKB Y4, AX
	TESTL   AX, AX
	JNZ     nonascii

ascii:
	MOVB $0, ret+24(FP)
	VZEROUPPER
	RET

nonascii:
	MOVB $1, ret+24(FP)
	VZEROUPPER
	RET
