// SPDX-License-Identifier: MIT
#include <stdbool.h>

#include "insn.h"

void insn_prefixes(const uint8_t *p, size_t n, int bits, struct insn_prefixes *out)
{
	*out = (struct insn_prefixes){ 0 };
	size_t i = 0;
	for (; i < n && i < 14; i++) {
		uint8_t b = p[i];
		if (b == 0x66)
			out->opsize = true;
		else if (b == 0x67)
			out->addrsize = true;
		else if (b == 0xf3)
			out->rep = true;
		else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65)
			out->seg = b;
		else if (b == 0xf2 || b == 0xf0)
			;
		else if (bits == 64 && (b & 0xf0) == 0x40) {
			out->rex = b;
			continue;	/* a REX counts only right before the opcode */
		} else
			break;
		out->rex = 0;
	}
	out->len = i;
}

void insn_decode(const uint8_t *p, size_t n, int bits, struct insn *out)
{
	*out = (struct insn){ .kind = INSN_OTHER };
	struct insn_prefixes px;
	insn_prefixes(p, n, bits, &px);
	size_t i = px.len;
	bool opsize_prefix = px.opsize, rep = px.rep;
	unsigned rex = px.rex;
	if (i >= n)
		return;

	uint8_t op = p[i];
	switch (op) {
	case 0xcc: *out = (struct insn){ INSN_INT3, (unsigned)i + 1, 0, 0, 3 }; return;
	case 0xce: if (bits != 64) *out = (struct insn){ INSN_INTO, (unsigned)i + 1, 0, 0, 4 }; return;
	case 0xf1: *out = (struct insn){ INSN_INT1, (unsigned)i + 1, 0, 0, 1 }; return;
	case 0xf4: *out = (struct insn){ INSN_HLT, (unsigned)i + 1, 0, 0, 0 }; return;
	case 0xfb: *out = (struct insn){ INSN_STI, (unsigned)i + 1, 0, 0, 0 }; return;
	case 0xcf: *out = (struct insn){ INSN_IRET, (unsigned)i + 1, 0, 0, 0 }; return;
	case 0xcd:
		if (i + 1 < n)
			*out = (struct insn){ INSN_INT, (unsigned)i + 2, 0, 0, p[i + 1] };
		return;
	case 0xe4:
	case 0xe5:
		if (i + 1 < n)
			*out = (struct insn){ INSN_IN, (unsigned)i + 2, 0, 0, p[i + 1] };
		return;
	case 0xec:
	case 0xed:
		*out = (struct insn){ INSN_IN, (unsigned)i + 1, 0, 0, INSN_PORT_DX };
		return;
	case 0x0f:
		break;
	default:
		return;
	}
	if (i + 1 >= n)
		return;
	uint8_t op2 = p[i + 1];
	if (op2 == 0x31) {
		*out = (struct insn){ INSN_RDTSC, (unsigned)i + 2, 0, 0, 0 };
		return;
	}
	if (op2 == 0x0b) {
		*out = (struct insn){ INSN_UD2, (unsigned)i + 2, 0, 0, 6 };
		return;
	}
	if (i + 2 >= n)
		return;
	uint8_t modrm = p[i + 2];
	if (op2 == 0x01 && modrm == 0xf9) {
		*out = (struct insn){ INSN_RDTSCP, (unsigned)i + 3, 0, 0, 0 };
		return;
	}
	if (op2 == 0x22 && ((modrm >> 3) & 7) == 3 && !(rex & 4)) {
		*out = (struct insn){ INSN_MOV_CR3, (unsigned)i + 3, 0, 0, 0 };
		return;
	}
	if (op2 == 0x01 && (modrm >> 6) != 3 && ((modrm >> 3) & 7) == 7) {
		/* the length does not matter: only the flush it asks for */
		*out = (struct insn){ INSN_INVLPG, 0, 0, 0, 0 };
		return;
	}
	/* 0F C7 /6 RDRAND, /7 RDSEED, F3 0F C7 /7 RDPID: register forms only */
	if (op2 == 0xc7 && (modrm >> 6) == 3) {
		unsigned ext = (modrm >> 3) & 7;
		unsigned reg = (modrm & 7) | ((rex & 1) << 3);
		unsigned size = (rex & 8) ? 64 : opsize_prefix ? (bits == 16 ? 32 : 16) : (bits == 16 ? 16 : 32);
		if (ext == 7 && rep)
			*out = (struct insn){ INSN_RDPID, (unsigned)i + 3, reg, bits == 64 ? 64 : 32, 0 };
		else if (ext == 6)
			*out = (struct insn){ INSN_RDRAND, (unsigned)i + 3, reg, size, 0 };
		else if (ext == 7)
			*out = (struct insn){ INSN_RDSEED, (unsigned)i + 3, reg, size, 0 };
	}
}
