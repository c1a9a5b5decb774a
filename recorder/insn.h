/* SPDX-License-Identifier: MIT */
/*
 * Recognising the few instructions the recorder must know about: those
 * whose results are not deterministic (replay feeds them back), those that
 * raise an interrupt themselves (INT n, INT3, UD2), HLT, and IN (whose
 * value the in-kernel PIT and PIC give without an exit).  Not a general
 * decoder: everything else is INSN_OTHER.
 */
#ifndef XT_INSN_H
#define XT_INSN_H

#include <stddef.h>
#include <stdint.h>

enum insn_kind {
	INSN_OTHER,
	INSN_RDTSC,
	INSN_RDTSCP,
	INSN_RDRAND,
	INSN_RDSEED,
	INSN_RDPID,
	INSN_INT,	/* INT imm8: vector in .vector */
	INSN_INT3,
	INSN_INTO,
	INSN_INT1,
	INSN_UD2,
	INSN_HLT,
	INSN_STI,
	INSN_IRET,
	INSN_INVLPG,	/* 0F 01 /7 with a memory operand */
	INSN_MOV_CR3,	/* 0F 22 /3: a TLB flush even when the value stays the same */
	INSN_IN,	/* IN AL/AX/EAX from imm8 or DX: KVM may answer it without an exit */
};

struct insn {
	enum insn_kind kind;
	unsigned len;		/* bytes, for the kinds above */
	unsigned reg;		/* RDRAND/RDSEED/RDPID: destination register 0-15 */
	unsigned opsize;	/* RDRAND/RDSEED: 16, 32 or 64 */
	unsigned vector;	/* INT n: the vector; IN: the port, or INSN_PORT_DX */
};

#define INSN_PORT_DX 0x10000u	/* IN from the port in DX */

/* Decode the start of an instruction of a given code size (16/32/64). */
void insn_decode(const uint8_t *p, size_t n, int bits, struct insn *out);

#endif
