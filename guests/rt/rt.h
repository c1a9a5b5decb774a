/* SPDX-License-Identifier: MIT */
/*
 * The built-in guests' runtime: a freestanding 64-bit environment entered
 * by exitrace's ELF loader in long mode (paging on, the low 4 GiB
 * identity-mapped, so the local APIC at 0xfee00000 is addressable).
 *
 * start.S loads our own GDT and stack and calls main(); what main returns
 * goes to isa-debug-exit (port 0xf4).  There is no IDT until a guest asks
 * for one (rt_idt_init), so a guest can run without it on purpose.
 *
 * Guests tell tests where they are through I/O ports: a phase number on
 * port 0x80, 32-bit values on port 0x84, text on the serial port.
 */
#ifndef RT_H
#define RT_H

#include <stddef.h>
#include <stdint.h>

#define RT_PORT_PHASE 0x80	/* outb: the phase a guest enters */
#define RT_PORT_DOORBELL 0x81	/* outb: scenarios trigger --irq V@io:0x81 with it */
#define RT_PORT_VALUE 0x84	/* outl: a value for the trace (a count, a register) */
#define RT_PORT_SERIAL 0x3f8
#define RT_PORT_DEBUG_EXIT 0xf4

#define RT_SEL_CODE 0x08

#define LAPIC_BASE 0xfee00000ul
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV 0x3e0
#define LAPIC_ICR_SELF (1u << 18)	/* destination shorthand: self */
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_TIMER_PERIODIC (1u << 17)

/* What the vector stubs push, then the CPU's frame (SDM vol. 3, 6.14.2). */
struct rt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* The last exception a fix-up resumed from. */
struct rt_exception {
	uint64_t vector, error_code, cr2;
};
extern volatile struct rt_exception rt_last_exception;

typedef void (*rt_handler)(struct rt_frame *f);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void rt_phase(uint8_t n)
{
	outb(RT_PORT_PHASE, n);
}

static inline void rt_value(uint32_t v)
{
	outl(RT_PORT_VALUE, v);
}

static inline void lapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

/*
 * An instruction that is expected to fault: the exception handler resumes
 * after it (at label 2) instead of failing the guest.  Use inside an asm
 * statement: RT_FAULTING("ud2").
 */
#define RT_FAULTING(insn) \
	"1: " insn "\n2:\n" \
	".pushsection .rt_fixup, \"a\"\n.balign 8\n.quad 1b, 2b\n.popsection\n"

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void rt_print(const char *s);
void rt_print_hex(uint64_t v);
/* isa-debug-exit: exitrace ends the recording with status (code << 1) | 1. */
__attribute__((noreturn)) void rt_exit(uint32_t code);

/* Software-enable the local APIC (SVR bit 8; spurious vector 0xff). */
void rt_lapic_enable(void);
void rt_lapic_eoi(void);
/* A fixed interrupt to this CPU through the ICR's self shorthand. */
void rt_self_ipi(uint8_t vector);

/* Load an IDT with the exception vectors 0-31 present (handled by fix-ups). */
void rt_idt_init(void);
/* Make vector present, calling fn (may be NULL: fix-ups only) from the dispatcher. */
void rt_idt_set(uint8_t vector, rt_handler fn);

int main(void);

#endif
