// SPDX-License-Identifier: MIT
/*
 * hw-bp: execute breakpoints in DR0-DR3 (KVM_GUESTDBG_USE_HW_BP), set by
 * the scenario on the guest's symbols hw_bp0..3 and passed twice.  An
 * instruction breakpoint is a fault before the instruction (Intel SDM
 * vol. 3, 17.3.1.1): a DEBUG exit at the breakpoint with DR6 =
 * 0xffff0ff0 | (1 << n) (Bn, no BS).  Under single-step it comes after
 * the single-step exit that stopped at the same RIP (a trap, then a
 * fault).  Each breakpoint fires once per pass: the recorder steps over
 * the instruction with that breakpoint disabled (recorder.c,
 * suspend_breakpoint), and re-arms it for the next pass.
 */
#include <linux/kvm.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("hw-bp", "hwbp.xtr", "", 1);
	TEST_ASSERT(t->guest_debug & KVM_GUESTDBG_USE_HW_BP, "the header records USE_HW_BP");
	uint64_t dr7 = t->debugreg[7];
	uint64_t pass2 = kt_step_io_out_value(t, 0x80, 2, 1);
	TEST_ASSERT(pass2, "the guest's second pass");
	size_t bp_exits = 0;
	for (int n = 0; n < 4; n++) {
		char name[16];
		snprintf(name, sizeof(name), "hw_bp%d", n);
		uint64_t addr = kt_symbol(t, name);
		TEST_EQ_U64(addr, t->debugreg[n], "DR%d holds %s", n, name);
		TEST_EQ_U64(2, (dr7 >> (2 * n)) & 3, "DR7: G%d set, L%d clear", n, n);
		TEST_EQ_U64(0, (dr7 >> (16 + 4 * n)) & 0xf, "DR7: execute, length 1 for DR%d", n);
		size_t hits[2] = { 0, 0 };
		for (uint64_t i = 1; i <= t->nsteps; i++) {
			const struct kt_step *k = &t->steps[i];
			if (k->exit_reason != KVM_EXIT_DEBUG || k->dr6 != (0xffff0ff0ull | (1u << n)))
				continue;
			hits[i > pass2]++;
			TEST_EQ_U64(addr, k->regs.rip, "%s: a fault, RIP at the breakpoint", name);
			TEST_EQ_U64(addr, k->pc, "%s: pc", name);
			TEST_EQ_U64(1, k->debug_exception, "%s: #DB", name);
			TEST_EQ_U64(addr, t->steps[i - 1].regs.rip, "%s: the single-step exit before it stopped there", name);
			TEST_EQ_U64(0xffff4ff0, t->steps[i - 1].dr6, "%s: that one with BS", name);
			TEST_ASSERT(t->steps[i + 1].regs.rip != addr, "%s: the next step runs the instruction", name);
			TEST_EQ_U64(0xffff4ff0, t->steps[i + 1].dr6, "%s: as a plain single step", name);
		}
		TEST_EQ_U64(1, hits[0], "%s fires once in the first pass", name);
		TEST_EQ_U64(1, hits[1], "%s fires once in the second pass", name);
		bp_exits += hits[0] + hits[1];
	}
	size_t other = 0;
	for (uint64_t i = 1; i <= t->nsteps; i++)
		other += t->steps[i].exit_reason == KVM_EXIT_DEBUG && (t->steps[i].dr6 & 0xf);
	TEST_EQ_U64(bp_exits, other, "no other breakpoint exits");
	TEST_EQ_U64(8, kt_value(t, 1, NULL), "each instruction ran once per pass");
	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "the guest saw no #DB");
	kt_free(t);
	return 0;
}
