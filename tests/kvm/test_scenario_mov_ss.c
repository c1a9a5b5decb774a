// SPDX-License-Identifier: MIT
/*
 * mov-ss: single-stepping "mov %eax, %ss; nop; nop".  Intel SDM vol. 3,
 * 6.8.3: MOV SS inhibits interrupts and debug exceptions until the next
 * instruction completes, so on the architecture the single-step #DB after
 * MOV SS is held and one step covers MOV SS and the NOP after it.
 */
#include <linux/kvm.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("mov-ss", "movss.xtr", "", 1);
	uint64_t insn = kt_symbol(t, "movss_insn"), next = kt_symbol(t, "movss_next");
	uint64_t after = kt_symbol(t, "movss_after");
	uint64_t s = kt_step_at_rip(t, insn, 1);
	TEST_ASSERT(s, "a step ends at the MOV SS");
	TEST_EQ_U64(KVM_EXIT_DEBUG, t->steps[s + 1].exit_reason, "stepping over it exits DEBUG");
	TEST_EQ_U64(0x10, t->steps[s + 1].ss_selector, "SS reloaded");
	/*
	 * Host deviation (kvm_pvm, kvm-facts Q9): the MOV SS shadow is
	 * reported (KVM_X86_SHADOW_INT_MOV_SS) but the step ends right after
	 * MOV SS; the NOP in the shadow gets a step of its own.  On the
	 * architecture the exit would be at movss_after with no step ending
	 * at movss_next.
	 */
	TEST_EQ_U64(next, t->steps[s + 1].regs.rip, "host: the step ends after MOV SS alone");
	TEST_EQ_U64(KVM_X86_SHADOW_INT_MOV_SS, t->steps[s + 1].shadow, "with the MOV SS shadow reported");
	TEST_EQ_U64(after, t->steps[s + 2].regs.rip, "host: the NOP in the shadow is a step of its own");
	TEST_EQ_U64(0, t->steps[s + 2].shadow, "after which the shadow is gone");
	TEST_EQ_U64(0xffff4ff0, t->steps[s + 2].dr6, "a plain single-step exit");
	kt_free(t);
	return 0;
}
