// SPDX-License-Identifier: MIT
/*
 * popf-if: IF set by POPF instead of STI.  Only STI (and MOV SS / POP SS)
 * hold interrupts off for one instruction (Intel SDM vol. 3, 6.8.3); POPF
 * makes an interrupt deliverable at once, so a pending IRQ is taken right
 * after the POPF.  The IRQ is a self-IPI through the local APIC's ICR.
 *
 * Phases (port 0x80): 1 APIC ready, 2 IRQ pending, 3 after the window.
 */
#include "rt.h"

#define IRQ_VECTOR 0x31

static volatile unsigned irqs;
static volatile uint64_t irq_rip;

static void on_irq(struct rt_frame *f)
{
	irqs++;
	irq_rip = f->rip;
	rt_lapic_eoi();
}

int main(void)
{
	rt_idt_init();
	rt_idt_set(IRQ_VECTOR, on_irq);
	rt_lapic_enable();
	rt_phase(1);
	rt_self_ipi(IRQ_VECTOR);
	rt_phase(2);
	__asm__ volatile(
		".globl popf_pushf, popf_bts, popf_insn, popf_after\n"
		"popf_pushf: pushfq\n"
		"popf_bts:   btsq $9, (%%rsp)\n"
		"popf_insn:  popfq\n"
		"popf_after: nop\n"
		"            nop\n"
		"            cli\n"
		: : : "memory", "cc");
	rt_phase(3);
	rt_print("popf-if: vector 0x31 taken ");
	rt_print_hex(irqs);
	rt_print(" time(s), interrupted rip ");
	rt_print_hex(irq_rip);
	rt_print("\n");
	rt_value(irqs);
	return (int)irqs;
}
