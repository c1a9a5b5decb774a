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

#include <stdbool.h>
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

/* An instruction's legacy prefixes and REX, as the three small decoders here need them. */
struct insn_prefixes {
	size_t len;		/* bytes of prefixes: the opcode's offset */
	bool opsize, addrsize;	/* 66, 67 */
	bool rep;		/* F3 */
	int seg;		/* the last segment override (26 2E 36 3E 64 65), 0 if none */
	unsigned rex;		/* 64-bit code: a REX right before the opcode, else 0 */
};

/* The prefixes at p (at most 14 bytes of them), for code of bits 16, 32 or 64. */
void insn_prefixes(const uint8_t *p, size_t n, int bits, struct insn_prefixes *out);

#define INSN_PORT_DX 0x10000u	/* IN from the port in DX */

/* Decode the start of an instruction of a given code size (16/32/64). */
void insn_decode(const uint8_t *p, size_t n, int bits, struct insn *out);

#endif
