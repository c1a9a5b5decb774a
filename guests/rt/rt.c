// SPDX-License-Identifier: MIT
/*
 * The runtime's C half: serial output, isa-debug-exit, the local APIC, the
 * IDT and the dispatcher every vector stub calls.
 */
#include "rt.h"

struct fixup {
	uint64_t insn, resume;
};

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
};

extern const struct fixup rt_fixup_start[], rt_fixup_end[];
extern const char rt_vectors[];

static struct gate idt[256] __attribute__((aligned(16)));
static rt_handler handlers[256];
volatile struct rt_exception rt_last_exception;

/* The compiler may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

void rt_print(const char *s)
{
	while (*s)
		outb(RT_PORT_SERIAL, (uint8_t)*s++);
}

void rt_print_hex(uint64_t v)
{
	char buf[19] = "0x";
	int n = 0;
	for (int shift = 60; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 15;
		if (d || n || !shift)
			buf[2 + n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
	}
	buf[2 + n] = 0;
	rt_print(buf);
}

void rt_exit(uint32_t code)
{
	outl(RT_PORT_DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void rt_lapic_enable(void)
{
	lapic_write(LAPIC_SVR, 0x1ff);
}

void rt_lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void rt_self_ipi(uint8_t vector)
{
	lapic_write(LAPIC_ICR_LO, LAPIC_ICR_SELF | vector);
}

void rt_idt_set(uint8_t vector, rt_handler fn)
{
	uint64_t stub = (uint64_t)(uintptr_t)rt_vectors + 16 * (uint64_t)vector;
	handlers[vector] = fn;
	idt[vector] = (struct gate){
		.off_lo = (uint16_t)stub, .sel = RT_SEL_CODE, .type = 0x8e,	/* present interrupt gate */
		.off_mid = (uint16_t)(stub >> 16), .off_hi = (uint32_t)(stub >> 32),
	};
}

void rt_idt_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	for (unsigned v = 0; v < 32; v++)
		rt_idt_set((uint8_t)v, NULL);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static void unexpected(const struct rt_frame *f)
{
	rt_print("unexpected vector ");
	rt_print_hex(f->vector);
	rt_print(" at rip ");
	rt_print_hex(f->rip);
	rt_print(" error code ");
	rt_print_hex(f->error_code);
	rt_print("\n");
	rt_exit(0x7f);
}

/* Called by every vector stub; what it leaves in *f is what IRETQ resumes. */
void rt_dispatch(struct rt_frame *f);
void rt_dispatch(struct rt_frame *f)
{
	rt_handler fn = handlers[f->vector & 255];
	if (fn)
		fn(f);
	if (f->vector >= 32) {
		if (!fn)
			unexpected(f);
		return;
	}
	for (const struct fixup *x = rt_fixup_start; x < rt_fixup_end; x++) {
		if (x->insn != f->rip)
			continue;
		rt_last_exception.vector = f->vector;
		rt_last_exception.error_code = f->error_code;
		rt_last_exception.cr2 = f->vector == 14 ? read_cr2() : 0;
		f->rip = x->resume;
		return;
	}
	if (!fn)
		unexpected(f);
}
