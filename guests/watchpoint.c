// SPDX-License-Identifier: MIT
/*
 * watchpoint: data-write breakpoints in DR0-DR3 under
 * KVM_GUESTDBG_USE_HW_BP (the scenario names wp_data0..3, 8 bytes each).
 * A data breakpoint is a trap: the write completes, then #DB with DR6.Bn
 * set and RIP after the writing instruction (Intel SDM vol. 3, 17.2.4,
 * 17.3.1.2).
 *
 * Phases (port 0x80): 1 before the writes, 2 after; the sum of the four
 * variables goes to port 0x84.
 */
#include "rt.h"

volatile uint64_t wp_data0 __attribute__((aligned(8)));
volatile uint64_t wp_data1 __attribute__((aligned(8)));
volatile uint64_t wp_data2 __attribute__((aligned(8)));
volatile uint64_t wp_data3 __attribute__((aligned(8)));

int main(void)
{
	rt_idt_init();
	rt_phase(1);
	__asm__ volatile(
		".globl wp_store0, wp_store1, wp_store2, wp_store3\n"
		"wp_store0: movq $0x11, wp_data0(%%rip)\n"
		"wp_store1: movq $0x22, wp_data1(%%rip)\n"
		"wp_store2: movq $0x33, wp_data2(%%rip)\n"
		"wp_store3: movq $0x44, wp_data3(%%rip)\n"
		"           nop\n"
		: : : "memory");
	rt_phase(2);
	rt_value((uint32_t)(wp_data0 + wp_data1 + wp_data2 + wp_data3));
	return 0;
}
