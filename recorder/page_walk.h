/* SPDX-License-Identifier: MIT */
/*
 * The guest's address translation as pure functions of a state and a
 * buffer of guest-physical memory: the recorder walks live guest RAM with
 * them, the tools the trace's initial memory.  No KVM, no VM object.
 */
#ifndef XT_PAGE_WALK_H
#define XT_PAGE_WALK_H

#include <stdint.h>

#include "xt_state.h"

/*
 * Linear address -> guest-physical through the page tables in mem (none,
 * 32-bit, PAE, 4-level).  0, or -EFAULT if not mapped or a table lies
 * outside mem.
 */
int pw_translate(const uint8_t *mem, uint64_t mem_size, const struct xt_sregs *s, uint64_t linear,
		 uint64_t *gpa);

/*
 * Is the vCPU executing 64-bit code / 32-bit code / 16-bit code (CR0.PE,
 * EFER.LMA, CS.L, CS.D)?  Inline: dump asks at every step.
 */
static inline int gmem_code_bits(const struct xt_state *s)
{
	if (!(s->sregs.cr0 & 1))
		return 16;
	if ((s->sregs.efer & (1ull << 10)) && (s->sregs.cs.attr >> 13 & 1))
		return 64;
	return (s->sregs.cs.attr >> 14 & 1) ? 32 : 16;
}

/* The linear address of the instruction at rip (CS base, 64-bit code ignores it). */
static inline uint64_t gmem_code_linear(const struct xt_state *s)
{
	if (gmem_code_bits(s) == 64)
		return s->regs.rip;
	return (s->sregs.cs.base + (s->regs.rip & 0xffffffffull)) & 0xffffffffull;
}
/* The linear address of the stack pointer plus off (SS base, width by mode). */
uint64_t gmem_stack_linear(const struct xt_state *s, int64_t off);

#endif
