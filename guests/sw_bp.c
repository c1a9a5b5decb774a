// SPDX-License-Identifier: MIT
/*
 * sw-bp: INT3 under KVM_GUESTDBG_USE_SW_BP.  The #BP belongs to the
 * debugger: KVM exits with KVM_EXIT_DEBUG, exception 3, at the INT3 (KVM
 * API doc, KVM_SET_GUEST_DEBUG) and the guest never sees it.  Should a
 * host deliver it to the guest anyway, the #BP handler counts it and the
 * guest carries on.
 *
 * Phases (port 0x80): 1 before the INT3, 2 after.
 */
#include "rt.h"

static volatile unsigned guest_bps;

static void on_bp(struct rt_frame *f)
{
	(void)f;
	guest_bps++;
}

int main(void)
{
	rt_idt_init();
	rt_idt_set(3, on_bp);
	rt_phase(1);
	__asm__ volatile(
		".globl sw_bp, sw_bp_after\n"
		"sw_bp:       int3\n"
		"sw_bp_after: nop\n"
		: : : "memory");
	rt_phase(2);
	rt_value(guest_bps);
	return (int)guest_bps;
}
