// SPDX-License-Identifier: MIT
/*
 * hw-bp: execute breakpoints in DR0-DR3 under KVM_GUESTDBG_USE_HW_BP (the
 * scenario names hw_bp0..3; the recorder resolves them).  An instruction
 * breakpoint is a fault taken before the instruction runs, with DR6.Bn set
 * (Intel SDM vol. 3, 17.2.3, 17.3.1.1).  The guest passes every breakpoint
 * twice, so each must be reported once per pass and the instruction then
 * run: the result counts the instructions at the breakpoints.
 *
 * Phases (port 0x80): 1 pass one, 2 pass two, 3 done.
 */
#include "rt.h"

/* One copy only: the labels are the breakpoints. */
static __attribute__((noinline, noclone)) uint32_t pass_breakpoints(uint32_t hits)
{
	__asm__ volatile(
		".globl hw_bp0, hw_bp1, hw_bp2, hw_bp3\n"
		"hw_bp0: inc %0\n"
		"        nop\n"
		"hw_bp1: inc %0\n"
		"hw_bp2: inc %0\n"
		"        nop\n"
		"hw_bp3: inc %0\n"
		: "+r"(hits));
	return hits;
}

int main(void)
{
	uint32_t hits = 0;
	rt_idt_init();
	rt_phase(1);
	hits = pass_breakpoints(hits);
	rt_phase(2);
	hits = pass_breakpoints(hits);
	rt_phase(3);
	rt_value(hits);
	return hits == 8 ? 0 : 1;
}
