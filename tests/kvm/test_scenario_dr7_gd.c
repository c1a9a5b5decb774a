// SPDX-License-Identifier: MIT
/*
 * dr7-gd: the guest sets DR7.GD, then moves to DR0.  Intel SDM vol. 3,
 * 17.2.4 and 17.3.1.3: the MOV raises #DB as a fault (RIP at the MOV),
 * DR6.BD (bit 13) is set, and GD is cleared so the handler can touch the
 * debug registers.  With only single-step (no USE_HW_BP) KVM leaves the
 * #DB to the guest: it arrives through the guest's IDT, and the guest's
 * own debug registers (the scenario captures them) show DR6 = 0xffff2ff0
 * and DR7 without GD.
 */
#include <linux/kvm.h>

#include "kt.h"

#define DR7_GD (1u << 13)

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("dr7-gd", "gd.xtr", "", 1);
	uint64_t mov = kt_symbol(t, "gd_mov");
	TEST_ASSERT(t->capture & XT_CAPTURE_DEBUGREGS, "the scenario captures the debug registers");
	TEST_EQ_U64(0, t->guest_debug & KVM_GUESTDBG_USE_HW_BP, "the debug registers are the guest's");
	uint64_t s = kt_step_at_rip(t, mov, 1);
	TEST_ASSERT(s, "a step ends at the MOV to DR0");
	TEST_EQ_U64(0x400 | DR7_GD, t->steps[s].guest_dr7, "the guest set GD");

	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "one arrival");
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, 1, 0);
	TEST_ASSERT(ev, "#DB arrived");
	TEST_EQ_U64(s + 1, ev->step, "in the step of the MOV");
	TEST_EQ_U64(mov, ev->taken.rip_before, "a fault: raised by the MOV, which did not complete");
	TEST_EQ_U64(XT_TAKEN_EXCEPTION, ev->taken.type, "an exception");
	TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "through the guest's IDT");
	TEST_EQ_U64(kt_stub(t, 1), ev->taken.handler, "to vector 1's stub");
	TEST_EQ_U64(0, ev->taken.has_error_code, "#DB pushes no error code");
	const struct kt_step *k = &t->steps[ev->step];
	TEST_EQ_U64(0xffff2ff0, k->guest_dr6, "DR6.BD set (and nothing else)");
	TEST_EQ_U64(0x400, k->guest_dr7, "GD cleared by the #DB");
	/* the host's own exit for that step is the ordinary single-step one */
	TEST_EQ_U64(KVM_EXIT_DEBUG, k->exit_reason, "the step exits DEBUG");
	TEST_EQ_U64(0xffff4ff0, k->dr6, "a single-step exit, not a breakpoint");
	/* what the guest's handler read, reported on port 0x84 */
	uint64_t v;
	TEST_EQ_U64(0xffff2ff0, kt_value(t, ev->step, &v), "the handler read DR6.BD");
	TEST_EQ_U64(0x400, kt_value(t, v + 1, NULL), "and DR7 without GD");
	kt_free(t);
	return 0;
}
