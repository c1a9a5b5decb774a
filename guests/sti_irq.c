// SPDX-License-Identifier: MIT
/*
 * sti-irq, the seed case (the KVM selftest x86/debug_regs): an interrupt is
 * made pending while IF=0, then the guest executes STI and single-steps on.
 * STI holds interrupts off for one more instruction (Intel SDM vol. 3,
 * 6.8.3; vol. 2, STI), so without KVM_GUESTDBG_BLOCKIRQ the IRQ is taken
 * right after the instruction that follows STI; with BLOCKIRQ it is not
 * taken while stepping at all.
 *
 * Built with STI_IRQ_NO_IDT it is sti-irq-noidt: no IDT at all, as in the
 * seed on an APICv host, where the IRQ arrived anyway and the vCPU shut
 * down.
 *
 * Phases (port 0x80): 1 APIC ready, 2 IRQ pending (the doorbell write on
 * port 0x81 had exitrace inject vector 0x30), 3 after the STI window.
 */
#include "rt.h"

#define IRQ_VECTOR 0x30

static volatile unsigned irqs;
static volatile uint64_t irq_rip;

#ifndef STI_IRQ_NO_IDT
static void on_irq(struct rt_frame *f)
{
	irqs++;
	irq_rip = f->rip;
	rt_lapic_eoi();
}
#endif

int main(void)
{
#ifndef STI_IRQ_NO_IDT
	rt_idt_init();
	rt_idt_set(IRQ_VECTOR, on_irq);
#endif
	rt_lapic_enable();
	rt_phase(1);
	outb(RT_PORT_DOORBELL, IRQ_VECTOR);
	rt_phase(2);
	/* the seed's sequence: sti, then two instructions before cli */
	__asm__ volatile(
		".globl sti_insn, sti_shadow, sti_after, sti_cli\n"
		"sti_insn:   sti\n"
		"sti_shadow: xor %%eax, %%eax\n"
		"sti_after:  cpuid\n"
		"            nop\n"
		"sti_cli:    cli\n"
		: : : "eax", "ebx", "ecx", "edx", "memory");
	rt_phase(3);
	/*
	 * Report through ports, not by printing the numbers: printing runs
	 * code that depends on them, which would make `exitrace diff` of this
	 * scenario with and without BLOCKIRQ show every digit as a hunk.
	 */
	rt_print("sti-irq: done (the count of vector 0x30 is on port 0x84)\n");
	rt_value(irqs);
	rt_value((uint32_t)irq_rip);
	return (int)irqs;
}
