// SPDX-License-Identifier: MIT
/*
 * sw-bp: INT3 under KVM_GUESTDBG_USE_SW_BP.  KVM's API (KVM_SET_GUEST_DEBUG,
 * and the x86 selftest debug_regs) says the #BP exits to userspace:
 * KVM_EXIT_DEBUG with exception 3 and pc at the INT3, and the guest never
 * sees it.
 */
#include <linux/kvm.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("sw-bp", "swbp.xtr", "", 0);
	uint64_t bp = kt_symbol(t, "sw_bp");
	TEST_ASSERT(t->guest_debug & KVM_GUESTDBG_USE_SW_BP, "the header records USE_SW_BP");
	TEST_ASSERT(kt_step_io_out_value(t, 0x80, 1, 1), "the guest reached the INT3's phase");
	for (uint64_t i = 1; i <= t->nsteps; i++)
		if (t->steps[i].exit_reason == KVM_EXIT_DEBUG)
			TEST_EQ_U64(1, t->steps[i].debug_exception, "step %" PRIu64 ": only single-step exits", i);
	/*
	 * Host deviation (kvm_pvm, kvm-facts Q8): ring-0 guest code runs in
	 * KVM's instruction emulator, which cannot emulate INT3: instead of a
	 * DEBUG exit with exception 3 the step ends in KVM_EXIT_INTERNAL_ERROR,
	 * suberror 1 (emulation failure), RIP still at the INT3, and the
	 * recording ends there.
	 */
	const struct kt_step *last = &t->steps[t->nsteps];
	TEST_EQ_U64(KVM_EXIT_INTERNAL_ERROR, last->exit_reason, "host: an internal error, not DEBUG/#BP");
	TEST_EQ_U64(KVM_INTERNAL_ERROR_EMULATION, last->internal_suberror, "suberror 1, emulation failure");
	TEST_EQ_U64(bp, last->regs.rip, "at the INT3");
	TEST_EQ_U64(1, last->internal_data[0] & 1, "the data holds the instruction bytes");
	TEST_EQ_U64(0xcc, (last->internal_data[1] >> 8) & 0xff, "which start with INT3 (0xcc)");
	TEST_EQ_U64(XT_END_INTERNAL_ERROR, t->end_reason, "the recording ends there: %s", t->end_detail);
	/* the #BP never reached the guest, so no arrival either */
	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "no arrival");
	kt_free(t);
	return 0;
}
