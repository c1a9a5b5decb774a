// SPDX-License-Identifier: MIT
/*
 * dr7-gd: general detect.  With DR7.GD set, any MOV to or from a debug
 * register raises #DB before it executes (a fault), with DR6.BD (bit 13)
 * set, and the processor clears GD so the handler can use the debug
 * registers (Intel SDM vol. 3, 17.2.4, 17.3.1.3).  The guest's own #DB
 * handler reads DR6; the fix-up resumes after the MOV.
 *
 * Phases (port 0x80): 1 GD set, 2 after the #DB; then DR6 as the handler
 * saw it and DR7 after it to port 0x84.
 */
#include "rt.h"

#define DR7_GD (1ul << 13)
#define DR7_FIXED (1ul << 10)
#define DR6_CLEAR 0xffff0ff0ul

static volatile uint64_t handler_dr6;
static volatile unsigned debug_traps;

static void on_db(struct rt_frame *f)
{
	(void)f;
	uint64_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	handler_dr6 = dr6;
	debug_traps++;
	__asm__ volatile("mov %0, %%dr6" : : "r"(DR6_CLEAR));
}

int main(void)
{
	rt_idt_init();
	rt_idt_set(1, on_db);
	__asm__ volatile("mov %0, %%dr7" : : "r"(DR7_GD | DR7_FIXED));
	rt_phase(1);
	__asm__ volatile(
		".globl gd_mov\n"
		RT_FAULTING("gd_mov: mov %%rax, %%dr0")
		: : "a"(0x1234ul));
	rt_phase(2);
	uint64_t dr7;
	__asm__ volatile("mov %%dr7, %0" : "=r"(dr7));
	rt_value((uint32_t)handler_dr6);
	rt_value((uint32_t)dr7);
	__asm__ volatile("mov %0, %%dr7" : : "r"(DR7_FIXED));
	rt_print("dr7-gd: #DB with DR6 ");
	rt_print_hex(handler_dr6);
	rt_print(", DR7 after it ");
	rt_print_hex(dr7);
	rt_print("\n");
	return debug_traps == 1 ? 0 : 1;
}
