// SPDX-License-Identifier: MIT
/*
 * IRQ injection and arrival, with tests/kvm/guests/irq_wait.S (an IDT with a
 * vector 0x30 handler that counts in r15, IF=1, a loop writing port 0x80):
 * an IRQ injected at step N is recorded as injected at N and as taken at
 * the step the guest really entered its handler, through the in-kernel
 * local APIC (KVM_SIGNAL_MSI) and through KVM_INTERRUPT (no irqchip).
 */
#include <linux/kvm.h>

#include "kt.h"

/* The handler's first instruction, inc r15, is 3 bytes (49 ff c7). */
#define FIRST_INSN_LEN 3

static void check_taken(const struct kt_trace *t, const struct xt_event *ev, uint64_t step)
{
	TEST_ASSERT(ev, "an arrival event");
	TEST_EQ_U64(step, ev->step, "taken at step %" PRIu64, step);
	TEST_EQ_U64(0x30, ev->taken.vector, "vector");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev->taken.type, "an external interrupt");
	TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "into its handler");
	TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_STACK_FRAME, "read from the interrupt frame");
	TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_IDT, "and the IDT gate");
	TEST_EQ_U64(t->steps[step - 1].regs.rip, ev->taken.rip_before, "RIP before: the interrupted instruction");
	TEST_EQ_U64(t->steps[step].regs.rip, ev->taken.rip_after, "RIP after");
	/* this host runs the handler's first instruction in the delivering step */
	TEST_EQ_U64(ev->taken.handler + FIRST_INSN_LEN, ev->taken.rip_after, "handler + one instruction");
	TEST_EQ_U64(t->steps[step - 1].regs.rsp - 40, t->steps[step].regs.rsp,
		    "RSP: the 40-byte 64-bit frame (RSP was 16-byte aligned)");
	TEST_EQ_U64(t->steps[step - 1].regs.r15 + 1, t->steps[step].regs.r15, "inc r15 ran");
}

/*
 * tests/kvm/guests/shared_idt.S: all 256 gates lead to one handler, so the
 * IDT cannot say which vector arrived.  IRQ 0x30 made pending by the
 * guest's OUT with IF=0 is taken after "sti; nop"; what decides it is our
 * injection and the evidence the step left, never the lowest gate.
 */
static void shared_handler(const char *guest, const char *file, const char *extra)
{
	struct kt_trace *t = kt_load(kt_record(file, (5 << 1) | 1, "%s --load 0x100000 --irq 0x30@io:0x80 %s",
					       guest, extra));
	TEST_EQ_U64(5, kt_count_events(t, XT_EV_IRQ_INJECT, 0x30), "%s: five injections", file);
	TEST_EQ_U64(5, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "%s: five arrivals, nothing else", file);
	TEST_EQ_U64(5, kt_count_events(t, XT_EV_IRQ_TAKEN, 0x30), "%s: each of vector 0x30", file);
	uint64_t handler = 0;
	for (size_t i = 0; i < 5; i++) {
		const struct xt_event *in = kt_event(t, XT_EV_IRQ_INJECT, 0x30, i);
		const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, 0x30, i);
		TEST_ASSERT(!xt_taken_ambiguous(ev), "%s arrival %zu: decided", file, i);
		TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev->taken.type, "%s arrival %zu: external, not an exception",
			    file, i);
		TEST_EQ_U64(XT_TAKEN_HANDLER, ev->taken.outcome, "%s arrival %zu: into the handler", file, i);
		TEST_ASSERT(ev->taken.evidence & XT_EVIDENCE_INJECTION, "%s arrival %zu: our injection", file, i);
		/* no local APIC to ask without an irqchip: KVM_INTERRUPT's vector is ours alone */
		TEST_ASSERT(strstr(extra, "none") ||
			    (ev->taken.evidence & (XT_EVIDENCE_EVENTS | XT_EVIDENCE_LAPIC_IRR)),
			    "%s arrival %zu: and the events or the request bit (evidence 0x%x)", file, i,
			    ev->taken.evidence);
		TEST_ASSERT(!(ev->taken.evidence & XT_EVIDENCE_LAPIC_ISR), "%s arrival %zu: not the ISR", file, i);
		/*
		 * OUT, nop, sti, nop: taken after the nop the STI shadow covers,
		 * where KVM_INTERRUPT waits for the window to inject it
		 */
		TEST_EQ_U64(in->step + (strstr(extra, "none") ? 0 : 3), ev->step,
			    "%s arrival %zu: taken after sti; nop", file, i);
		TEST_EQ_U64(KVM_X86_SHADOW_INT_STI, t->steps[ev->step - 2].shadow, "%s arrival %zu: the step before ran the STI",
			    file, i);
		TEST_ASSERT(t->steps[ev->step - 1].regs.rflags & (1u << 9), "%s arrival %zu: IF set", file, i);
		TEST_EQ_U64(t->steps[ev->step - 1].regs.rip, ev->taken.rip_before, "%s arrival %zu: RIP before",
			    file, i);
		if (i)
			TEST_EQ_U64(handler, ev->taken.handler, "%s arrival %zu: the one handler", file, i);
		handler = ev->taken.handler;
		TEST_EQ_U64(handler + FIRST_INSN_LEN, ev->taken.rip_after, "%s arrival %zu: handler + one insn",
			    file, i);
	}
	if (strstr(extra, "lapic")) {
		/*
		 * Host deviation: the request bit clears on delivery but the
		 * in-service bit is never seen set (the local APIC EOIs
		 * implicitly), so the ISR alone cannot name the vector.
		 */
		for (size_t i = 0; i < 5; i++) {
			const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, 0x30, i);
			const struct kt_step *b = &t->steps[ev->step - 1], *a = &t->steps[ev->step];
			TEST_ASSERT(b->lapic_irr[0] >> 0x30 & 1, "arrival %zu: IRR bit 0x30 set before", i);
			TEST_ASSERT(!(a->lapic_irr[0] >> 0x30 & 1), "arrival %zu: and clear after", i);
			TEST_ASSERT(!(a->lapic_isr[0] >> 0x30 & 1), "arrival %zu: ISR bit 0x30 not seen set", i);
		}
	}
	/* dump says the same */
	TEST_EQ_U64(0, kt_exitrace("dump %s --from %" PRIu64 " --to %" PRIu64, t->path,
				   kt_event(t, XT_EV_IRQ_TAKEN, 0x30, 0)->step,
				   kt_event(t, XT_EV_IRQ_TAKEN, 0x30, 4)->step), "dump: %s", kt_err());
	TEST_CONTAINS(kt_out(), "irq-taken vector=0x30 external", "%s: dump names 0x30 external", file);
	TEST_ASSERT(!strstr(kt_out(), "vector=0x0 exception"), "%s: no #DE from the lowest gate", file);
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *guest = kt_arg(1);

	shared_handler(kt_arg(2), "shared.xtr", "");
	shared_handler(kt_arg(2), "shared-lapic.xtr", "--capture lapic");
	shared_handler(kt_arg(2), "shared-nochip.xtr", "--irqchip none");

	/* MSI to the in-kernel local APIC at step 30, inside the loop with IF=1 */
	/* the status is (r15 << 1) | 1, r15 the interrupts handled */
	const char *out = kt_record("msi.xtr", (1 << 1) | 1, "%s --load 0x100000 --irq 0x30@30", guest);
	struct kt_trace *t = kt_load(out);
	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_INJECT, 0x30), "one injection");
	const struct xt_event *inj = kt_event(t, XT_EV_IRQ_INJECT, 0x30, 0);
	TEST_EQ_U64(30, inj->step, "injected before the KVM_RUN of step 30");
	TEST_EQ_U64(XT_INJECT_MSI, inj->inject.method, "through KVM_SIGNAL_MSI");
	TEST_EQ_U64(1, inj->inject.result, "delivered to the local APIC");
	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_TAKEN, 0x30), "one arrival");
	/* IF=1 and no shadow at step 29: the next step takes it */
	TEST_ASSERT(t->steps[29].regs.rflags & (1u << 9), "IF was set");
	check_taken(t, kt_event(t, XT_EV_IRQ_TAKEN, 0x30, 0), 30);
	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_TAKEN, -1) - 1, "no false arrivals (e.g. at the IRETQ)");
	kt_free(t);

	/* an injection on every write to port 0x80: 40 loop iterations, 40 interrupts */
	t = kt_load(kt_record("port.xtr", ((40 << 1) | 1) & 0xff, "%s --load 0x100000 --irq 0x30@io:0x80", guest));
	TEST_EQ_U64(40, kt_count_events(t, XT_EV_IRQ_INJECT, 0x30), "40 injections");
	TEST_EQ_U64(40, kt_count_events(t, XT_EV_IRQ_TAKEN, 0x30), "40 arrivals");
	for (size_t i = 0; i < 40; i++) {
		const struct xt_event *in = kt_event(t, XT_EV_IRQ_INJECT, 0x30, i);
		const struct xt_event *tk = kt_event(t, XT_EV_IRQ_TAKEN, 0x30, i);
		TEST_EQ_U64(0x80, in->inject.port, "triggered by port 0x80");
		/* the OUT is the whole step; the injection precedes the next one */
		TEST_EQ_U64(0x80, t->steps[in->step - 1].io_port, "right after the OUT to 0x80");
		check_taken(t, tk, in->step);
	}
	kt_free(t);

	/* no in-kernel irqchip: KVM_INTERRUPT, when the vCPU is ready for it */
	out = kt_record("nochip.xtr", (1 << 1) | 1, "%s --load 0x100000 --irqchip none --irq 0x30@30", guest);
	t = kt_load(out);
	inj = kt_event(t, XT_EV_IRQ_INJECT, 0x30, 0);
	TEST_ASSERT(inj, "injected");
	TEST_EQ_U64(XT_INJECT_INTERRUPT, inj->inject.method, "through KVM_INTERRUPT");
	TEST_EQ_U64(0, inj->inject.result, "accepted");
	TEST_ASSERT(t->steps[inj->step - 1].regs.rflags & (1u << 9), "only once IF was set");
	check_taken(t, kt_event(t, XT_EV_IRQ_TAKEN, 0x30, 0), inj->step);
	/* without the in-kernel APIC the guest's APIC writes are plain MMIO exits */
	TEST_ASSERT(kt_step_with_exit(t, KVM_EXIT_MMIO, 1), "APIC accesses exit to userspace");
	kt_free(t);
	/* the host is the same whatever irqchip a VM has: capabilities are asked of /dev/kvm */
	TEST_EQ_U64(1, kt_exitrace("diff %s %s", kt_tmp("msi.xtr"), out), "the runs differ; %s", kt_err());
	TEST_ASSERT(!strstr(kt_out(), "hosts differ"), "but not their host: %s", kt_out());
	TEST_CONTAINS(kt_out(), "irqchip kernel (A) vs none (B)", "the VM configuration does");
	return 0;
}
