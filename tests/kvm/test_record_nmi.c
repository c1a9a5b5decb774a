// SPDX-License-Identifier: MIT
/*
 * NMIs (--irq nmi@STEP): through KVM_NMI without an in-kernel irqchip and
 * through an NMI-mode MSI with one.  Delivery is recorded as an NMI arrival
 * (vector 2) into the handler, or, without a gate for vector 2, as the
 * arrival that shut the vCPU down; an NMI the guest's disabled local APIC
 * refuses is recorded as injected but not delivered.
 */
#include <linux/kvm.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *spin = kt_arg(1), *irq_wait = kt_arg(2);

	/* KVM_NMI into exitrace's default IDT: its vector-2 stub reports on port 0x80 and halts */
	struct kt_trace *t = kt_load(kt_record("nmi.xtr", 0, "%s --load 0x100000 --idt --irqchip none --irq nmi@10",
					       spin));
	const struct xt_event *inj = kt_event(t, XT_EV_IRQ_INJECT, 2, 0);
	TEST_ASSERT(inj, "the NMI was injected");
	TEST_EQ_U64(XT_INJECT_NMI, inj->inject.method, "as an NMI");
	TEST_EQ_U64(10, inj->step, "before step 10");
	TEST_EQ_U64(1, inj->inject.result, "KVM_NMI took it");
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, 2, 0);
	TEST_ASSERT(ev, "an arrival of vector 2");
	TEST_EQ_U64(10, ev->step, "at step 10");
	TEST_EQ_U64(XT_TAKEN_NMI, ev->taken.type, "typed as an NMI, not an exception");
	TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "into the handler");
	TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_STACK_FRAME, "read from the frame");
	uint64_t s = kt_step_io_out(t, 0x80, 10);
	TEST_ASSERT(s && t->steps[s].io_value == 2, "the vector-2 handler ran");
	TEST_EQ_U64(XT_END_HLT, t->end_reason, "and halted: %s", t->end_detail);
	kt_free(t);

	/* an NMI-mode MSI, and no gate for vector 2 in the guest's IDT: the vCPU shuts down */
	t = kt_load(kt_record("nmi-shutdown.xtr", 0, "%s --load 0x100000 --irq nmi@30", irq_wait));
	TEST_EQ_U64(XT_END_SHUTDOWN, t->end_reason, "shut down: %s", t->end_detail);
	ev = kt_event(t, XT_EV_IRQ_TAKEN, 2, 0);
	TEST_ASSERT(ev, "the NMI's arrival is recorded");
	TEST_EQ_U64(XT_TAKEN_NMI, ev->taken.type, "an NMI");
	TEST_EQ_U64(XT_TAKEN_SHUTDOWN, ev->taken.outcome, "that shut the vCPU down");
	TEST_EQ_U64(t->nsteps, ev->step, "at the last step");
	kt_free(t);

	/* the local APIC still disabled (spin never enables it): the MSI is refused */
	const char *out = kt_record("nmi-refused.xtr", 0, "%s --load 0x100000 --irq nmi@10 --max-steps 20", spin);
	t = kt_load(out);
	inj = kt_event(t, XT_EV_IRQ_INJECT, 2, 0);
	TEST_ASSERT(inj && inj->inject.result == 0, "recorded as refused");
	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "and never taken");
	TEST_EQ_U64(0, kt_exitrace("dump %s", out), "dump");
	TEST_CONTAINS(kt_out(), "(not delivered: the local APIC refused it)", "dump says so");
	kt_free(t);
	return 0;
}
