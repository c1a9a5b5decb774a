// SPDX-License-Identifier: MIT
/*
 * popf-if: a self-IPI (vector 0x31) pending while IF=0, then
 * "pushfq; btsq $9, (%rsp); popfq; nop".  Only STI and MOV SS/POP SS
 * delay interrupts by an instruction (Intel SDM vol. 3, 6.8.3); POPF
 * does not, so the IRQ is taken right after the POPF, before the NOP.
 */
#include <linux/kvm.h>

#include "kt.h"

#define VECTOR 0x31

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("popf-if", "popf.xtr", "", (1 << 1) | 1);
	uint64_t popf = kt_symbol(t, "popf_insn"), after = kt_symbol(t, "popf_after");
	uint64_t s = kt_step_at_rip(t, after, 1);
	TEST_ASSERT(s, "a step ends after the POPF");
	TEST_EQ_U64(popf, t->steps[s - 1].regs.rip, "that step ran the POPF");
	TEST_ASSERT(!(t->steps[s - 1].regs.rflags & (1u << 9)), "IF was clear before");
	TEST_ASSERT(t->steps[s].regs.rflags & (1u << 9), "POPF set IF");
	TEST_EQ_U64(0, t->steps[s].shadow, "POPF leaves no interrupt shadow");

	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_INJECT, -1), "the IRQ is the guest's own (no injection)");
	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "one arrival");
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, VECTOR, 0);
	TEST_ASSERT(ev, "vector 0x31 arrived");
	TEST_EQ_U64(s + 1, ev->step, "in the step right after the POPF");
	TEST_EQ_U64(after, ev->taken.rip_before, "before the NOP after POPF");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev->taken.type, "an external interrupt");
	TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "into the handler");
	TEST_EQ_U64(kt_stub(t, VECTOR), ev->taken.handler, "vector 0x31's stub");
	TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_STACK_FRAME, "seen in the frame");
	TEST_EQ_U64(1, kt_value(t, 1, NULL), "the guest counted one IRQ");
	kt_free(t);
	return 0;
}
