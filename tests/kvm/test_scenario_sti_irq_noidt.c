// SPDX-License-Identifier: MIT
/*
 * sti-irq-noidt, the seed as it failed: the IRQ pending at STI arrives
 * with no IDT loaded (IDTR limit 0).  Delivering it faults, the fault
 * cannot be delivered either, and the vCPU shuts down (Intel SDM vol. 3,
 * 6.15, interrupt 8: a fault while delivering #DF is a triple fault).
 * The trace must end in KVM_EXIT_SHUTDOWN and name the arrival that caused
 * it.  With BLOCKIRQ the IRQ never arrives and the guest runs to its end.
 */
#include <linux/kvm.h>

#include "kt.h"

#define VECTOR 0x30

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("sti-irq-noidt", "noidt.xtr", "", 0);
	uint64_t sti = kt_symbol(t, "sti_insn"), after = kt_symbol(t, "sti_after");
	uint64_t s_sti = kt_step_at_rip(t, kt_symbol(t, "sti_shadow"), 1);
	TEST_EQ_U64(sti, t->steps[s_sti - 1].regs.rip, "the STI step");
	TEST_EQ_U64(0, t->steps[s_sti].idt_limit, "no IDT");
	TEST_EQ_U64(KVM_X86_SHADOW_INT_STI, t->steps[s_sti].shadow, "the STI shadow");

	TEST_EQ_U64(XT_END_SHUTDOWN, t->end_reason, "ended by a shutdown: %s", t->end_detail);
	TEST_EQ_U64(s_sti + 2, t->nsteps, "in the step the IRQ became deliverable");
	const struct kt_step *last = &t->steps[t->nsteps];
	TEST_EQ_U64(KVM_EXIT_SHUTDOWN, last->exit_reason, "the last exit is KVM_EXIT_SHUTDOWN");
	TEST_EQ_U64(after, last->regs.rip, "RIP stays at the interrupted instruction");
	TEST_EQ_U64(t->steps[t->nsteps - 1].regs.rsp, last->regs.rsp, "nothing was pushed");

	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "one arrival");
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, VECTOR, 0);
	TEST_ASSERT(ev, "the arrival of 0x30 is recorded");
	TEST_EQ_U64(t->nsteps, ev->step, "at the shutdown step");
	TEST_EQ_U64(XT_TAKEN_SHUTDOWN, ev->taken.outcome, "and it ended in the shutdown");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev->taken.type, "an external interrupt");
	TEST_EQ_U64(after, ev->taken.rip_before, "interrupting the instruction after the shadow one");
	TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_INJECTION, "our injection");
	/* the only time this host's local APIC leaves ISR set (kvm-facts Q6) */
	TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_LAPIC_ISR, "accepted by the CPU: in service");
	kt_free(t);

	t = kt_record_scenario("sti-irq-noidt", "noidt-block.xtr", "--block-irq", 1);
	TEST_EQ_U64(XT_END_DEBUG_EXIT, t->end_reason, "BLOCKIRQ: the guest runs to its end: %s", t->end_detail);
	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "no arrival");
	TEST_EQ_U64(0, kt_step_with_exit(t, KVM_EXIT_SHUTDOWN, 1), "no shutdown");
	kt_free(t);
	return 0;
}
