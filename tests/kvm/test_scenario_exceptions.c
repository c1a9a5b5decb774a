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

	/*
	 * debug.dr7 is not written by KVM on every DEBUG exit, and this host
	 * leaves other bytes there on some (the #UD delivery step, IRETQ
	 * steps: instruction bytes).  The trace holds 0, "not written", for
	 * what is not a DR7, and dump leaves it out rather than show a value.
	 */
	size_t irets = 0;
	for (size_t i = 0; i < 4; i++) {
		const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, -1, i);
		uint64_t s = ev->step, r = s + 1;
		/* the handler's IRETQ: the step that pops the 40-byte frame */
		while (r <= t->nsteps && t->steps[r].regs.rsp < t->steps[r - 1].regs.rsp + 40)
			r++;
		TEST_ASSERT(r <= t->nsteps, "%s: the handler returns", want[i].symbol);
		irets++;
		uint64_t at[2] = { s, r };
		for (int k = 0; k < 2; k++) {
			const struct kt_step *st = &t->steps[at[k]];
			TEST_EQ_U64(KVM_EXIT_DEBUG, st->exit_reason, "step %" PRIu64 ": a DEBUG exit", at[k]);
			TEST_ASSERT(st->dr7 == 0 || xt_dr7_valid(st->dr7),
				    "%s %s step %" PRIu64 ": debug.dr7 0x%" PRIx64 " is a DR7 or not written",
				    want[i].symbol, k ? "IRETQ" : "delivery", at[k], st->dr7);
		}
	}
	TEST_EQ_U64(4, irets, "four IRETQ steps");
	for (size_t s = 1; s <= t->nsteps; s++)
		TEST_ASSERT(t->steps[s].dr7 == 0 || xt_dr7_valid(t->steps[s].dr7),
			    "step %zu: debug.dr7 0x%" PRIx64 " is not a DR7", s, t->steps[s].dr7);
	TEST_EQ_U64(0, kt_exitrace("dump %s", t->path), "dump: %s", kt_err());
	for (const char *p = kt_out(); (p = strstr(p, " dr7=")); p++) {
		uint64_t v = strtoull(p + 5, NULL, 0);
		TEST_ASSERT(xt_dr7_valid(v), "dump shows debug.dr7=0x%" PRIx64 ", not a DR7", v);
	}
	kt_free(t);
	return 0;
}
