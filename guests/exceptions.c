// SPDX-License-Identifier: MIT
/*
 * exceptions: #UD, #GP, #PF and #DE, each taken through the guest's IDT
 * and resumed after the faulting instruction by a fix-up.  All four are
 * faults: the frame's RIP is the faulting instruction; #GP and #PF push an
 * error code (Intel SDM vol. 3, 6.15): #GP(0x50) for a selector beyond the
 * GDT limit, #PF(W=1, P=0) with CR2 = 4 GiB, the first unmapped address.
 *
 * Phases (port 0x80): 1..4 before each exception, 5 done.  After each one
 * the vector, error code (and CR2 for #PF) go to port 0x84.
 */
#include "rt.h"

static unsigned seen;

static void report(uint64_t want_vector)
{
	rt_value((uint32_t)rt_last_exception.vector);
	rt_value((uint32_t)rt_last_exception.error_code);
	if (want_vector == 14)
		rt_value((uint32_t)(rt_last_exception.cr2 >> 32));
	seen += rt_last_exception.vector == want_vector;
	rt_last_exception.vector = ~0ul;
}

int main(void)
{
	rt_idt_init();
	rt_phase(1);
	__asm__ volatile(".globl exc_ud\n" RT_FAULTING("exc_ud: ud2") ::: "memory");
	report(6);
	rt_phase(2);
	__asm__ volatile(".globl exc_gp\n" RT_FAULTING("exc_gp: mov %%eax, %%ds")
			 : : "a"(0x50) : "memory");
	report(13);
	rt_phase(3);
	__asm__ volatile(".globl exc_pf\n" RT_FAULTING("exc_pf: movq $0x5a, (%%rax)")
			 : : "a"(0x100000000ul) : "memory");
	report(14);
	rt_phase(4);
	__asm__ volatile(".globl exc_de\n" RT_FAULTING("exc_de: divl %%ecx")
			 : : "a"(1), "d"(0), "c"(0) : "memory");
	report(0);
	rt_phase(5);
	return seen == 4 ? 0 : 1;
}
