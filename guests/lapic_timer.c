// SPDX-License-Identifier: MIT
/*
 * lapic-timer: the local APIC timer in periodic mode (vector 0x40, divide
 * by 1, initial count 1000000: 1 ms at KVM's default 1 GHz APIC bus) wakes
 * a HLT loop; the handler counts and EOIs each interrupt.  After TICKS the
 * guest masks the timer and reports the count on port 0x84.
 *
 * Phases (port 0x80): 1 timer armed, 2 timer stopped.
 */
#include "rt.h"

#define TIMER_VECTOR 0x40
#define TICKS 5

static volatile unsigned ticks;

static void on_timer(struct rt_frame *f)
{
	(void)f;
	ticks++;
	rt_lapic_eoi();
}

int main(void)
{
	rt_idt_init();
	rt_idt_set(TIMER_VECTOR, on_timer);
	rt_lapic_enable();
	lapic_write(LAPIC_TIMER_DIV, 0xb);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | TIMER_VECTOR);
	lapic_write(LAPIC_TIMER_INIT, 1000000);
	rt_phase(1);
	sti();
	while (ticks < TICKS)
		__asm__ volatile(".globl timer_hlt\ntimer_hlt: hlt" ::: "memory");
	cli();
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TIMER_VECTOR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	rt_phase(2);
	rt_value(ticks);
	rt_print("lapic-timer: ");
	rt_print_hex(ticks);
	rt_print(" timer interrupts\n");
	return 0;
}
