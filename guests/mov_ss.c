// SPDX-License-Identifier: MIT
/*
 * mov-ss: single-step over MOV SS.  A MOV to SS inhibits interrupts and
 * debug exceptions until the next instruction has run (Intel SDM vol. 3,
 * 6.8.3), so on the architecture the single-step trap after MOV SS is held
 * and one step covers MOV SS and the instruction after it.
 *
 * Phases (port 0x80): 1 before MOV SS, 2 after.
 */
#include "rt.h"

int main(void)
{
	rt_idt_init();
	rt_phase(1);
	__asm__ volatile(
		".globl movss_insn, movss_next, movss_after\n"
		"            mov %%ss, %%eax\n"
		"movss_insn: mov %%eax, %%ss\n"
		"movss_next: nop\n"
		"movss_after: nop\n"
		: : : "eax", "memory");
	rt_phase(2);
	return 0;
}
