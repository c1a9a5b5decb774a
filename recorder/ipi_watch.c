// SPDX-License-Identifier: MIT
#include <string.h>

#include "guest_mem.h"
#include "insn.h"
#include "ipi_watch.h"

#define MSR_X2APIC_ICR 0x830
#define APIC_ICR_LO 0x300
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)

/* Register number (ModRM/SIB encoding: rax rcx rdx rbx rsp rbp rsi rdi r8..r15) -> value. */
static uint64_t reg(const struct xt_regs *r, unsigned n)
{
	const uint64_t v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				 r->r8,	 r->r9,	 r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	return v[n & 15];
}

static const struct xt_segment *segment(const struct xt_sregs *s, int prefix, bool stack)
{
	switch (prefix) {
	case 0x26: return &s->es;
	case 0x2e: return &s->cs;
	case 0x36: return &s->ss;
	case 0x3e: return &s->ds;
	case 0x64: return &s->fs;
	case 0x65: return &s->gs;
	}
	return stack ? &s->ss : &s->ds;
}

static int64_t disp(const uint8_t *p, unsigned size)
{
	if (size == 1)
		return (int8_t)p[0];
	if (size == 2)
		return (int16_t)(p[0] | p[1] << 8);
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

bool ipi_store_target(const uint8_t *code, size_t n, int bits, const struct xt_state *s,
		      uint64_t *linear)
{
	struct insn_prefixes px;
	insn_prefixes(code, n, bits, &px);
	size_t i = px.len;
	int seg = px.seg;
	bool opsize = px.opsize, addrsize = px.addrsize;
	unsigned rex = px.rex;
	if (i + 1 > n)
		return false;
	int abits = bits == 64 ? (addrsize ? 32 : 64) : (bits == 32) != addrsize ? 32 : 16;
	if (code[i] == 0xa3) {
		/* MOV moffs, eAX: the offset is the address size wide (movabs in 64-bit code) */
		unsigned w = (unsigned)abits / 8;
		if (i + 1 + w > n)
			return false;
		uint64_t off = 0;
		memcpy(&off, code + i + 1, w);
		const struct xt_segment *sg = segment(&s->sregs, seg, false);
		if (bits == 64)
			*linear = off + (seg == 0x64 || seg == 0x65 ? sg->base : 0);
		else
			*linear = (sg->base + off) & 0xffffffffu;
		return true;
	}
	if (i + 2 > n)
		return false;
	uint8_t op = code[i++], modrm = code[i++];
	unsigned mod = modrm >> 6, rm = modrm & 7;
	if ((op != 0x89 && op != 0xc7) || mod == 3 || (op == 0xc7 && (modrm >> 3 & 7)))
		return false;
	/* immediate bytes, for RIP-relative addresses: C7 takes imm16 with 66, else imm32 */
	unsigned imm = op == 0xc7 ? (opsize && !(rex & 8) ? 2 : 4) : 0;
	uint64_t ea;
	bool stack = false;
	if (abits == 16) {
		static const signed char base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };	/* bx bx bp bp si di bp bx */
		static const signed char index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };	/* si di si di */
		unsigned dsize = mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
		if (i + dsize > n)
			return false;
		if (mod == 0 && rm == 6) {
			ea = (uint64_t)disp(code + i, 2);
		} else {
			ea = reg(&s->regs, (unsigned)base[rm]) +
			     (index[rm] >= 0 ? reg(&s->regs, (unsigned)index[rm]) : 0) +
			     (dsize ? (uint64_t)disp(code + i, dsize) : 0);
			stack = base[rm] == 5;
		}
		ea &= 0xffff;
	} else {
		bool rip_rel = false;
		if (rm == 4) {
			if (i >= n)
				return false;
			uint8_t sib = code[i++];
			unsigned b = (sib & 7) | (rex & 1) << 3, x = (sib >> 3 & 7) | (rex & 2) << 2;
			ea = x == 4 ? 0 : reg(&s->regs, x) << (sib >> 6);
			if ((sib & 7) == 5 && mod == 0) {
				if (i + 4 > n)
					return false;
				ea += (uint64_t)disp(code + i, 4);
				i += 4;
			} else {
				ea += reg(&s->regs, b);
				stack = (b & 7) == 4 || (b & 7) == 5;
			}
		} else if (rm == 5 && mod == 0) {
			if (i + 4 > n)
				return false;
			ea = (uint64_t)disp(code + i, 4);
			i += 4;
			rip_rel = bits == 64;
		} else {
			unsigned b = rm | (rex & 1) << 3;
			ea = reg(&s->regs, b);
			stack = rm == 5;
		}
		unsigned dsize = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		if (i + dsize > n)
			return false;
		if (dsize)
			ea += (uint64_t)disp(code + i, dsize);
		i += dsize;
		if (rip_rel)
			ea += s->regs.rip + i + imm;
		if (abits == 32)
			ea &= 0xffffffffu;
	}
	const struct xt_segment *sg = segment(&s->sregs, seg, stack);
	if (bits == 64)
		*linear = ea + (seg == 0x64 || seg == 0x65 ? sg->base : 0);
	else
		*linear = (sg->base + ea) & 0xffffffffu;
	return true;
}

bool ipi_watch(struct kvm_vm *vm, const uint8_t *code, size_t n, const struct xt_state *before,
	       const struct xt_state *after, uint64_t *icr, uint32_t *x2apic)
{
	uint64_t base = before->sregs.apic_base;
	if (!(base & APIC_BASE_ENABLE) || n < 2)
		return false;
	/* it must have completed: an exception or an exit before it wrote would leave RIP alone */
	if (after->regs.rip == before->regs.rip)
		return false;
	if (base & APIC_BASE_X2APIC) {
		struct insn_prefixes px;
		insn_prefixes(code, n, gmem_code_bits(before), &px);
		size_t i = px.len;
		if (i + 2 > n || code[i] != 0x0f || code[i + 1] != 0x30 ||
		    (uint32_t)before->regs.rcx != MSR_X2APIC_ICR)
			return false;
		*icr = (before->regs.rdx << 32) | (uint32_t)before->regs.rax;
		*x2apic = 1;
		return true;
	}
	uint64_t linear, gpa;
	/* the page offset needs no page walk: most stores end here */
	if (!ipi_store_target(code, n, gmem_code_bits(before), before, &linear) ||
	    (linear & 0xfff) != APIC_ICR_LO || gmem_translate(vm, &before->sregs, linear, &gpa) ||
	    (gpa & ~0xfffull) != (base & ~0xfffull & 0xfffffffffull))
		return false;
	struct xt_lapic l;
	if (kvm_vm_get_lapic(vm, &l) < 0)
		return false;
	/* the delivery-status bit is KVM's, not what was written */
	*icr = l.icr_hi << 32 | (l.icr_lo & ~(1ull << 12));
	*x2apic = 0;
	return true;
}
