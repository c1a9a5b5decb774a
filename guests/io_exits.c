// SPDX-License-Identifier: MIT
/*
 * io-mmio-cpuid-rdtsc-hlt: the everyday exits, one after another.
 *   phase 1: serial text; OUT of 1, 2 and 4 bytes to port 0x700, IN of 1
 *            and 4 bytes from it (unclaimed: reads all ones)
 *   phase 2: MMIO: a 4-byte write to 0xd0000000, an 8-byte read at
 *            0xd0000008 (no RAM there: exits; reads all ones)
 *   phase 3: CPUID leaf 0
 *   phase 4: RDTSC twice
 *   phase 5: STI; HLT with an IRQ pending (vector 0x32, injected on the
 *            doorbell write): STI's shadow covers the HLT, so the IRQ
 *            wakes it and is taken with RIP after the HLT.  A one-shot
 *            LAPIC timer (vector 0x31, 50 ms) runs meanwhile, so that a
 *            host which halts later than it should (this one: in the
 *            handler's IRETQ step) is woken again instead of hanging.
 *            One-shot and long, so that it fires once, inside that halt,
 *            however slowly the steps before it run: a periodic timer
 *            would land at a wall-clock-dependent step, and the trace
 *            would not replay identically.
 */
#include "rt.h"

#define IO_PORT 0x700
#define MMIO_ADDR 0xd0000000ul
#define IRQ_VECTOR 0x32
#define WAKE_VECTOR 0x31	/* below IRQ_VECTOR: if both are pending, 0x32 goes first */

static volatile unsigned irqs;
static volatile uint64_t irq_rip;

static volatile unsigned wakes;

static void on_irq(struct rt_frame *f)
{
	irqs++;
	irq_rip = f->rip;
	rt_lapic_eoi();
}

static void on_wake(struct rt_frame *f)
{
	(void)f;
	wakes++;
	rt_lapic_eoi();
}

int main(void)
{
	uint32_t a, b, c, d;
	rt_idt_init();
	rt_idt_set(IRQ_VECTOR, on_irq);
	rt_idt_set(WAKE_VECTOR, on_wake);
	rt_lapic_enable();

	rt_phase(1);
	rt_print("io-mmio-cpuid-rdtsc-hlt\n");
	__asm__ volatile(
		".globl io_outb, io_outw, io_outl, io_inb, io_inl\n"
		"io_outb: outb %%al, %%dx\n"
		"         mov $0x1234, %%ax\n"
		"io_outw: outw %%ax, %%dx\n"
		"         mov $0xdeadbeef, %%eax\n"
		"io_outl: outl %%eax, %%dx\n"
		"io_inb:  inb %%dx, %%al\n"
		"         mov %%eax, %%ecx\n"
		"io_inl:  inl %%dx, %%eax\n"
		: "=a"(a), "=c"(b) : "a"(0x5a), "d"(IO_PORT) : "memory");

	rt_phase(2);
	uint64_t mmio;
	__asm__ volatile(
		".globl mmio_write, mmio_read\n"
		"mmio_write: movl $0xcafef00d, (%1)\n"
		"mmio_read:  mov 8(%1), %0\n"
		: "=a"(mmio) : "b"(MMIO_ADDR) : "memory");

	rt_phase(3);
	__asm__ volatile(".globl cpuid_insn\ncpuid_insn: cpuid"
			 : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	char vendor[13];
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;

	rt_phase(4);
	uint32_t lo1, hi1, lo2, hi2;
	__asm__ volatile(".globl rdtsc_1\nrdtsc_1: rdtsc" : "=a"(lo1), "=d"(hi1));
	__asm__ volatile(".globl rdtsc_2\nrdtsc_2: rdtsc" : "=a"(lo2), "=d"(hi2));
	uint64_t tsc1 = (uint64_t)hi1 << 32 | lo1, tsc2 = (uint64_t)hi2 << 32 | lo2;

	rt_phase(5);
	lapic_write(LAPIC_TIMER_DIV, 0xb);
	lapic_write(LAPIC_LVT_TIMER, WAKE_VECTOR);	/* one-shot */
	lapic_write(LAPIC_TIMER_INIT, 50000000);	/* 50 ms at KVM's 1 GHz APIC bus */
	outb(RT_PORT_DOORBELL, IRQ_VECTOR);
	__asm__ volatile(
		".globl hlt_sti, hlt_insn, hlt_after\n"
		"hlt_sti:   sti\n"
		"hlt_insn:  hlt\n"
		"hlt_after: nop\n"
		"           nop\n"
		"           cli\n"
		: : : "memory");
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | WAKE_VECTOR);
	lapic_write(LAPIC_TIMER_INIT, 0);

	rt_phase(6);
	rt_value(irqs);
	rt_value(wakes);
	rt_print("cpuid vendor ");
	rt_print(vendor);
	rt_print(", max leaf ");
	rt_print_hex(a);
	rt_print("; mmio read ");
	rt_print_hex(mmio);
	rt_print("; tsc delta ");
	rt_print_hex(tsc2 - tsc1);
	rt_print("; irq after hlt at ");
	rt_print_hex(irq_rip);
	rt_print(", wake-up ticks ");
	rt_print_hex(wakes);
	rt_print("\n");
	return irqs == 1 ? 0 : 1;
}
