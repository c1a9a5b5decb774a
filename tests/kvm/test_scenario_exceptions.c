// SPDX-License-Identifier: MIT
/*
 * exceptions: #UD (UD2), #GP (loading selector 0x50, beyond the GDT
 * limit), #PF (a write to 4 GiB, unmapped) and #DE (DIV by zero), each
 * through the guest's IDT.  Intel SDM vol. 3, 6.15: all four are faults,
 * so the frame's RIP is the faulting instruction; #GP pushes the selector
 * as its error code, #PF pushes W=1 P=0 (2) and sets CR2 to the address.
 */
#include <linux/kvm.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("exceptions", "exc.xtr", "", 1);
	static const struct {
		const char *symbol;
		unsigned vector;
		bool has_ec;
		uint64_t ec;
	} want[] = {
		{ "exc_ud", 6, false, 0 }, { "exc_gp", 13, true, 0x50 },
		{ "exc_pf", 14, true, 0x2 }, { "exc_de", 0, false, 0 },
	};
	TEST_EQ_U64(4, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "four arrivals");
	for (size_t i = 0; i < 4; i++) {
		const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, -1, i);
		uint64_t insn = kt_symbol(t, want[i].symbol);
		TEST_EQ_U64(want[i].vector, ev->taken.vector, "%s: the vector", want[i].symbol);
		TEST_EQ_U64(XT_TAKEN_EXCEPTION, ev->taken.type, "%s: an exception", want[i].symbol);
		TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "%s: handled", want[i].symbol);
		TEST_EQ_U64(insn, ev->taken.rip_before, "%s: raised by the instruction", want[i].symbol);
		TEST_EQ_U64(insn, t->steps[ev->step - 1].regs.rip, "%s: the step ran it", want[i].symbol);
		TEST_EQ_U64(kt_stub(t, want[i].vector), ev->taken.handler, "%s: its stub", want[i].symbol);
		TEST_EQ_U64(want[i].has_ec, ev->taken.has_error_code, "%s: error code pushed?", want[i].symbol);
		TEST_EQ_U64(want[i].ec, ev->taken.error_code, "%s: the error code", want[i].symbol);
		/*
		 * The frame (and the error code) below the 16-byte aligned stack,
		 * then the stub's first push, which this host runs in the
		 * delivering step (kvm-facts Q8).
		 */
		TEST_EQ_U64((t->steps[ev->step - 1].regs.rsp & ~15ull) - 40 - 8 * want[i].has_ec - 8,
			    t->steps[ev->step].regs.rsp,
			    "%s: RSP after the frame and one push", want[i].symbol);
		if (want[i].vector == 14)
			TEST_EQ_U64(0x100000000ull, t->steps[ev->step].cr2, "#PF: CR2 is the address");
		/* the guest's own report: vector, error code */
		uint64_t v;
		TEST_EQ_U64(want[i].vector, kt_value(t, ev->step, &v), "%s: the guest saw the vector", want[i].symbol);
		TEST_EQ_U64(want[i].ec, kt_value(t, v + 1, NULL), "%s: and the error code", want[i].symbol);
	}
	kt_free(t);
	return 0;
}
