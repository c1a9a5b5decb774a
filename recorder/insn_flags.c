// SPDX-License-Identifier: MIT
#include <stdbool.h>

#include "insn.h"
#include "insn_flags.h"

#define SZAP (XT_RFLAGS_SF | XT_RFLAGS_ZF | XT_RFLAGS_AF | XT_RFLAGS_PF)
#define OSAP (XT_RFLAGS_OF | XT_RFLAGS_SF | XT_RFLAGS_AF | XT_RFLAGS_PF)

struct decoded {
	const uint8_t *p;
	size_t n, i;		/* i: the opcode's first byte */
	int bits, addr_bits;
	unsigned opsize;	/* 16, 32 or 64 for a full-size operand */
	bool rep;
};

/* Bytes of ModRM, SIB and displacement at p[at]; 0 when they run past n. */
static size_t modrm_len(const struct decoded *d, size_t at)
{
	if (at >= d->n)
		return 0;
	uint8_t modrm = d->p[at];
	unsigned mod = modrm >> 6, rm = modrm & 7;
	size_t len = 1;
	if (mod == 3)
		return len;
	if (d->addr_bits == 16) {
		if (mod == 1)
			len += 1;
		else if (mod == 2 || rm == 6)
			len += 2;
	} else {
		if (rm == 4) {
			if (at + 1 >= d->n)
				return 0;
			len += 1;
			if (mod == 0 && (d->p[at + 1] & 7) == 5)
				len += 4;
		} else if (mod == 0 && rm == 5) {
			len += 4;
		}
		if (mod == 1)
			len += 1;
		else if (mod == 2)
			len += 4;
	}
	return at + len <= d->n ? len : 0;
}

/*
 * The count a shift or rotate uses: the CPU masks it to 5 bits (6 for a
 * 64-bit operand).  -1 when the instruction's bytes end before it.
 */
static int shift_count(const struct decoded *d, size_t modrm_at, int form, bool byte, uint64_t rcx)
{
	/* REX.W does not widen a byte operand: its count is masked to 5 bits too */
	unsigned mask = !byte && d->opsize == 64 ? 0x3f : 0x1f;
	if (form == 1)
		return 1;
	if (form == 2)
		return (int)(rcx & mask);
	size_t ml = modrm_len(d, modrm_at);
	if (!ml || modrm_at + ml >= d->n)
		return -1;
	return (int)(d->p[modrm_at + ml] & mask);
}

/* Group 2: ROL ROR RCL RCR SHL SHR SAL SAR by 1, CL or imm8 (form 1, 2, 0). */
static uint32_t group2(const struct decoded *d, bool byte, int form, uint64_t rcx)
{
	size_t at = d->i + 1;
	if (at >= d->n)
		return 0;
	unsigned ext = (d->p[at] >> 3) & 7;
	int count = shift_count(d, at, form, byte, rcx);
	unsigned size = byte ? 8 : d->opsize;
	if (count < 0)	/* cannot tell the count: what any count may leave undefined */
		return ext < 4 ? XT_RFLAGS_OF : XT_RFLAGS_AF | XT_RFLAGS_OF | XT_RFLAGS_CF;
	if (count == 0)
		return 0;	/* a zero count changes no flag */
	uint32_t undef = count == 1 ? 0 : XT_RFLAGS_OF;
	if (ext < 4)
		return undef;
	undef |= XT_RFLAGS_AF;
	if (ext != 7 && (unsigned)count >= size)
		undef |= XT_RFLAGS_CF;
	return undef;
}

/* SHLD/SHRD by imm8 (0F A4/AC) or CL (0F A5/AD). */
static uint32_t double_shift(const struct decoded *d, bool by_cl, uint64_t rcx)
{
	int count = shift_count(d, d->i + 2, by_cl ? 2 : 0, false, rcx);
	if (count < 0)
		return XT_RFLAGS_ARITH;
	if (count == 0)
		return 0;
	if ((unsigned)count > d->opsize)
		return XT_RFLAGS_ARITH;
	return XT_RFLAGS_AF | (count == 1 ? 0 : XT_RFLAGS_OF);
}

/* VEX-encoded BMI1/BMI2 instructions of map 0F38 that leave flags undefined (C5 is map 0F: none). */
static uint32_t vex(const struct decoded *d)
{
	const uint8_t *p = d->p;
	size_t i = d->i;
	if (i + 3 >= d->n)
		return 0;
	unsigned map = p[i + 1] & 0x1f, pp = p[i + 2] & 3;
	uint8_t op = p[i + 3];
	if (map != 2 || pp != 0)
		return 0;
	switch (op) {
	case 0xf2:			/* ANDN */
	case 0xf3:			/* BLSR, BLSMSK, BLSI */
	case 0xf5:			/* BZHI */
		return XT_RFLAGS_AF | XT_RFLAGS_PF;
	case 0xf7:			/* BEXTR */
		return XT_RFLAGS_AF | XT_RFLAGS_SF | XT_RFLAGS_PF;
	}
	return 0;
}

static uint32_t two_byte(const struct decoded *d, uint64_t rcx)
{
	if (d->i + 1 >= d->n)
		return 0;
	uint8_t op = d->p[d->i + 1];
	switch (op) {
	case 0x20: case 0x21: case 0x22: case 0x23:	/* MOV to and from CRn, DRn */
		return XT_RFLAGS_ARITH;
	case 0xaf:					/* IMUL r, r/m */
		return SZAP;
	case 0xa3: case 0xab: case 0xb3: case 0xbb:	/* BT, BTS, BTR, BTC */
		return OSAP;
	case 0xba:					/* BT..BTC r/m, imm8 */
		if (d->i + 2 < d->n && ((d->p[d->i + 2] >> 3) & 7) >= 4)
			return OSAP;
		return 0;
	case 0xbc: case 0xbd:
		/* BSF/BSR, or TZCNT/LZCNT with F3 where the CPU has them (else BSF/BSR) */
		return XT_RFLAGS_CF | OSAP;
	case 0xa4: case 0xac:
		return double_shift(d, false, rcx);
	case 0xa5: case 0xad:
		return double_shift(d, true, rcx);
	}
	return 0;
}

uint32_t insn_undefined_flags(const uint8_t *p, size_t n, int bits, uint64_t rcx)
{
	struct decoded d = { .p = p, .n = n, .bits = bits, .addr_bits = bits };
	struct insn_prefixes px;
	insn_prefixes(p, n, bits, &px);
	bool opsize_prefix = px.opsize, addr_prefix = px.addrsize;
	unsigned rex = px.rex;
	size_t i = px.len;
	d.rep = px.rep;
	if (i >= n)
		return 0;
	d.i = i;
	if (bits == 64) {
		d.opsize = (rex & 8) ? 64 : opsize_prefix ? 16 : 32;
		d.addr_bits = addr_prefix ? 32 : 64;
	} else if (bits == 32) {
		d.opsize = opsize_prefix ? 16 : 32;
		d.addr_bits = addr_prefix ? 16 : 32;
	} else {
		d.opsize = opsize_prefix ? 32 : 16;
		d.addr_bits = addr_prefix ? 32 : 16;
	}

	uint8_t op = p[i];
	unsigned ext = i + 1 < n ? (p[i + 1] >> 3) & 7 : 8;
	switch (op) {
	case 0x08: case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d:	/* OR */
	case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25:	/* AND */
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:	/* XOR */
	case 0x84: case 0x85: case 0xa8: case 0xa9:				/* TEST */
		return XT_RFLAGS_AF;
	case 0x80: case 0x81: case 0x82: case 0x83:	/* group 1: OR, AND, XOR among the eight */
		if (op == 0x82 && bits == 64)
			return 0;	/* 0x82 is an alias of 0x80 outside 64-bit mode only */
		return ext == 1 || ext == 4 || ext == 6 ? XT_RFLAGS_AF : 0;
	case 0xf6: case 0xf7:			/* group 3 */
		if (ext <= 1)
			return XT_RFLAGS_AF;	/* TEST */
		if (ext == 4 || ext == 5)
			return SZAP;		/* MUL, IMUL */
		if (ext == 6 || ext == 7)
			return XT_RFLAGS_ARITH;	/* DIV, IDIV */
		return 0;
	case 0x69: case 0x6b:			/* IMUL r, r/m, imm */
		return SZAP;
	case 0xc0: return group2(&d, true, 0, rcx);
	case 0xc1: return group2(&d, false, 0, rcx);
	case 0xd0: return group2(&d, true, 1, rcx);
	case 0xd1: return group2(&d, false, 1, rcx);
	case 0xd2: return group2(&d, true, 2, rcx);
	case 0xd3: return group2(&d, false, 2, rcx);
	case 0x27: case 0x2f:			/* DAA, DAS */
		return bits == 64 ? 0 : XT_RFLAGS_OF;
	case 0x37: case 0x3f:			/* AAA, AAS */
		return bits == 64 ? 0 : XT_RFLAGS_OF | XT_RFLAGS_SF | XT_RFLAGS_ZF | XT_RFLAGS_PF;
	case 0xd4: case 0xd5:			/* AAM, AAD */
		return bits == 64 ? 0 : XT_RFLAGS_OF | XT_RFLAGS_AF | XT_RFLAGS_CF;
	case 0xc4:
		/* outside 64-bit mode C4 is LES unless its ModRM byte says register */
		if (bits != 64 && (i + 1 >= n || (p[i + 1] >> 6) != 3))
			return 0;
		return vex(&d);
	case 0x0f:
		return two_byte(&d, rcx);
	}
	return 0;
}
