// SPDX-License-Identifier: MIT
/*
 * Two vCPUs (record --vcpus 2).  vCPU 0 brings vCPU 1 up as a PC's BIOS or
 * kernel does: INIT, then a start-up IPI whose vector (0x08) makes the AP
 * begin in real mode at 0x0800:0000, where vCPU 0 copied the trampoline
 * below.  An AP's first steps are real-mode steps, as on hardware.
 *
 * The AP enables its local APIC in x2APIC mode (INIT left it software-
 * disabled, and real mode cannot reach the xAPIC page).
 *
 * ipi (default): the AP disables interrupts and says it is ready; vCPU 0
 * sends it a fixed IPI, vector 0xf0, which stays pending in the AP's IRR,
 * then lets it go on; the AP executes STI, and the IPI is taken after the
 * instruction in STI's shadow (ap_shadow), its handler returning to
 * ap_after.  With --block-irq the AP, single-stepped, never takes it.
 *
 * SMP_INIT_SIPI (init-sipi): no IPI; once the AP is done and halted, vCPU 0
 * sends INIT again, which puts it back into wait-for-SIPI, and a second
 * start-up IPI, after which it runs the trampoline a second time.
 *
 * Reports on port 0x84: how many times the AP started, how many IPIs its
 * handler counted.  The exit status is the handler's count.
 */
#include "rt.h"

#define TRAMPOLINE 0x8000ul	/* start-up vector 0x08 */
#define IPI_VECTOR 0xf0
#define LAPIC_ICR_HI 0x310
#define ICR_ASSERT (1u << 14)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)

/* The AP's code, copied to TRAMPOLINE; its data bytes sit in it, addressed from its start. */
__asm__(
	".pushsection .rodata\n"
	".code16\n"
	".globl ap_tramp, ap_tramp_end, ap_starts, ap_ready, ap_go, ap_done, ap_irqs\n"
	".globl ap_sti, ap_shadow, ap_after, ap_irq, ap_halt\n"
	"ap_tramp:\n"
	"	cli\n"
	"	mov %cs, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %ss\n"
	"	mov $0x0ff0, %sp\n"
	/* its local APIC, software-disabled since INIT: enabled through x2APIC MSRs, real mode cannot reach the xAPIC page */
	"	mov $0x1b, %ecx\n"
	"	rdmsr\n"
	"	or $0xc00, %eax\n"
	"	wrmsr\n"
	"	mov $0x80f, %ecx\n"
	"	mov $0x1ff, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	incb ap_starts - ap_tramp\n"
	"	movb $1, ap_ready - ap_tramp\n"
	"1:	cmpb $0, ap_go - ap_tramp\n"
	"	je 1b\n"
	"ap_sti:	sti\n"
#ifdef SMP_HLT_WAKE
	"ap_wait_hlt:	hlt\n"
#endif
	"ap_shadow:	nop\n"
	"ap_after:	nop\n"
	"	cli\n"
	"	movb $1, ap_done - ap_tramp\n"
	"ap_halt:	hlt\n"
	"	jmp ap_halt\n"
	"ap_irq:	incb ap_irqs - ap_tramp\n"
	"	mov $0x80b, %ecx\n"	/* EOI */
	"	xor %eax, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	iret\n"
	"ap_starts:	.byte 0\n"
	"ap_ready:	.byte 0\n"
	"ap_go:	.byte 0\n"
	"ap_done:	.byte 0\n"
	"ap_irqs:	.byte 0\n"
	"ap_tramp_end:\n"
	".code64\n"
	".popsection\n");

extern const uint8_t ap_tramp[], ap_tramp_end[], ap_starts[], ap_ready[], ap_go[], ap_done[],
	ap_irqs[], ap_irq[];

/* The AP's copy of a trampoline byte. */
static volatile uint8_t *ap_byte(const uint8_t *sym)
{
	return (volatile uint8_t *)(TRAMPOLINE + (uintptr_t)(sym - ap_tramp));
}

/* A store to page 0, which the compiler would take for a null pointer's. */
static void poke16(uintptr_t addr, uint16_t v)
{
	__asm__ volatile("movw %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static void send_ipi(uint8_t apic_id, uint32_t icr_lo)
{
	lapic_write(LAPIC_ICR_HI, (uint32_t)apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
}

static void start_ap(void)
{
	send_ipi(1, ICR_ASSERT | ICR_INIT);
	send_ipi(1, ICR_ASSERT | ICR_STARTUP | (TRAMPOLINE >> 12));
}

static void wait_for(const uint8_t *sym)
{
	while (!*ap_byte(sym))
		__asm__ volatile("pause");
}

int main(void)
{
	rt_lapic_enable();
	memcpy((void *)TRAMPOLINE, ap_tramp, (size_t)(ap_tramp_end - ap_tramp));
	/* the real-mode IVT entry of the IPI's vector: 0x0800:offset of ap_irq */
	poke16(4ul * IPI_VECTOR, (uint16_t)(ap_irq - ap_tramp));
	poke16(4ul * IPI_VECTOR + 2, (uint16_t)(TRAMPOLINE >> 4));
	rt_phase(1);
	start_ap();
	wait_for(ap_ready);
	rt_phase(2);
#if !defined(SMP_INIT_SIPI) && !defined(SMP_HLT_WAKE)
	/* the AP has IF clear: the IPI waits in its IRR until its STI */
	send_ipi(1, ICR_ASSERT | IPI_VECTOR);
#endif
	*ap_byte(ap_go) = 1;
#ifdef SMP_HLT_WAKE
	/* lock-step gives the AP a step for each of ours: it reaches its HLT within these */
	for (volatile int i = 0; i < 64; i++)
		;
	send_ipi(1, ICR_ASSERT | IPI_VECTOR);
#endif
	wait_for(ap_done);
	rt_phase(3);
#ifdef SMP_INIT_SIPI
	*ap_byte(ap_done) = 0;
	start_ap();
	wait_for(ap_done);
	rt_phase(4);
#endif
	rt_value(*ap_byte(ap_starts));
	rt_value(*ap_byte(ap_irqs));
	return *ap_byte(ap_irqs);
}
