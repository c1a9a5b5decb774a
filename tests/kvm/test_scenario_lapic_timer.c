// SPDX-License-Identifier: MIT
/*
 * lapic-timer: the in-kernel local APIC's timer, periodic at 1 ms on
 * vector 0x40, wakes a "while (ticks < 5) hlt" loop; the handler counts
 * and EOIs.  The trace must show one arrival of 0x40 per interrupt the
 * guest counted, each into vector 0x40's handler, all while the timer ran.
 */
#include <linux/kvm.h>

#include "kt.h"

#define VECTOR 0x40

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("lapic-timer", "timer.xtr", "", 1);
	uint64_t armed = kt_step_io_out_value(t, 0x80, 1, 1), stopped = kt_step_io_out_value(t, 0x80, 2, 1);
	TEST_ASSERT(armed && stopped, "the guest armed and stopped its timer");
	uint64_t counted = kt_value(t, stopped, NULL);
	TEST_ASSERT(counted >= 5, "the guest counted at least 5 interrupts: %" PRIu64, counted);

	uint64_t handler = kt_stub(t, VECTOR), iret = kt_symbol(t, "rt_iret");
	TEST_EQ_U64(counted, kt_count_events(t, XT_EV_IRQ_TAKEN, VECTOR), "one arrival per interrupt counted");
	TEST_EQ_U64(counted, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "and no other arrival");
	size_t in_iret = 0;
	for (size_t i = 0; i < counted; i++) {
		const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, VECTOR, i);
		TEST_ASSERT(ev->step > armed && ev->step < stopped, "arrival %zu while the timer ran", i);
		TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev->taken.type, "arrival %zu: external", i);
		TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "arrival %zu: handled", i);
		TEST_EQ_U64(handler, ev->taken.handler, "arrival %zu: vector 0x40's stub", i);
		TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_IDT, "arrival %zu: RIP in the handler", i);
		/*
		 * Host deviation (kvm_pvm, kvm-facts Q12): a HLT passed over by
		 * single-step takes effect in the next IRETQ step, which then waits
		 * for the next tick and delivers it: such arrivals come from the
		 * handler's IRETQ, not from the loop.
		 */
		in_iret += ev->taken.rip_before == iret;
	}
	fprintf(stderr, "%" PRIu64 " timer interrupts, %zu of them taken in an IRETQ step\n", counted, in_iret);

	/*
	 * KVM skips a HLT before halting (kvm_emulate_halt()), so the HLT step
	 * is a DEBUG exit past it, and with the in-kernel local APIC there is
	 * no HLT exit.  Then the vCPU is halted: the next step waits for the
	 * timer and is its arrival.
	 * Host deviation (kvm_pvm, kvm-facts Q3): the vCPU does not halt
	 * there; the steps after a HLT run on through the loop.
	 */
	uint64_t hlt = kt_symbol(t, "timer_hlt");
	TEST_EQ_U64(0, kt_step_with_exit(t, KVM_EXIT_HLT, 1), "no HLT exit");
	size_t passed = 0, ran_on = 0;
	for (uint64_t i = armed; i + 1 < stopped; i++) {
		if (t->steps[i - 1].regs.rip != hlt || t->steps[i].regs.rip != hlt + 1)
			continue;
		TEST_EQ_U64(KVM_EXIT_DEBUG, t->steps[i].exit_reason, "step %" PRIu64 ": the HLT step exits DEBUG", i);
		passed++;
		bool arrival = false;
		for (size_t n = 0; n < counted; n++)
			arrival |= kt_event(t, XT_EV_IRQ_TAKEN, VECTOR, n)->step == i + 1;
		ran_on += !arrival;
	}
	TEST_ASSERT(passed > 0, "the loop passed its HLT");
	TEST_ASSERT(ran_on > 0, "host: after %zu of %zu HLT steps the guest ran on unhalted", ran_on, passed);
	kt_free(t);
	return 0;
}
