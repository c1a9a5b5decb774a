// SPDX-License-Identifier: MIT
/*
 * Two vCPUs in lock-step (guests/smp.c).  ipi: vCPU 0 starts vCPU 1 with
 * INIT and a start-up IPI (vector 0x08: real mode at 0x0800:0000), and
 * sends it a fixed IPI 0xf0 while its IF is clear; after its STI the AP
 * takes it once the instruction in STI's shadow has run (Intel SDM vol. 3,
 * 6.8.3).  With --block-irq (on every vCPU) the single-stepped AP never
 * takes it and the trace shows it held in the AP's IRR.  init-sipi: INIT
 * sends the running AP back to wait-for-SIPI and a second SIPI starts it
 * again.  ipi-hlt: an AP halted by STI; HLT takes no steps until the
 * IPI wakes it.  And the interleaving is the recorder's, not the host's: the same
 * scenario recorded twice gives the same trace.
 */
#include <linux/kvm.h>
#include <sys/stat.h>

#include "kt.h"

#define IPI_VECTOR 0xf0
#define TRAMPOLINE 0x8000
#define ICR_INIT 5
#define ICR_STARTUP 6

/* Where a trampoline symbol runs: its offset in the copy at 0x8000 (CS base 0x8000). */
static uint64_t ap_ip(const struct kt_trace *t, const char *sym)
{
	return kt_symbol(t, sym) - kt_symbol(t, "ap_tramp");
}

/* The nth IPI event of the given delivery mode. */
static const struct xt_event *ipi(const struct kt_trace *t, unsigned mode, size_t nth)
{
	for (size_t i = 0; i < t->nevents; i++) {
		const struct xt_event *e = &t->events[i];
		if (e->kind == XT_EV_IPI && xt_icr_mode(e->ipi.icr) == mode && nth-- == 0)
			return e;
	}
	return NULL;
}

static uint64_t first_step_of(const struct kt_trace *t, uint32_t vcpu, uint64_t from)
{
	for (uint64_t s = from; s <= t->nsteps; s++)
		if (t->steps[s].vcpu == vcpu)
			return s;
	return 0;
}

/* The same vCPU's step before step s (0: none). */
static uint64_t own_prev(const struct kt_trace *t, uint64_t s)
{
	for (uint64_t p = s - 1; p > 0; p--)
		if (t->steps[p].vcpu == t->steps[s].vcpu)
			return p;
	return 0;
}

/* INIT, SIPI 0x08 and the AP's start: common to both scenarios. */
static uint64_t check_bring_up(const struct kt_trace *t)
{
	TEST_EQ_U64(2, t->n_vcpus, "two vCPUs");
	const struct xt_event *init = ipi(t, ICR_INIT, 0), *sipi = ipi(t, ICR_STARTUP, 0);
	TEST_ASSERT(init && sipi, "INIT and SIPI were sent");
	TEST_EQ_U64(0, init->vcpu, "by vCPU 0");
	TEST_EQ_U64(1, xt_icr_dest(init->ipi.icr, init->ipi.x2apic), "INIT to APIC ID 1");
	TEST_EQ_U64(0, init->ipi.x2apic, "through the xAPIC page");
	TEST_EQ_U64(TRAMPOLINE >> 12, xt_icr_vector(sipi->ipi.icr), "SIPI vector 0x08");
	TEST_ASSERT(init->step < sipi->step, "INIT first");
	TEST_EQ_U64(KVM_EXIT_DEBUG, t->steps[init->step].exit_reason, "the INIT's step was a single step");

	const struct xt_event *mp = kt_event(t, XT_EV_MP_STATE, -1, 0);
	TEST_ASSERT(mp, "the AP's start is an mp-state event");
	TEST_EQ_U64(1, mp->vcpu, "of vCPU 1");
	TEST_EQ_U64(KVM_MP_STATE_INIT_RECEIVED, mp->mp.from, "from wait-for-SIPI");
	TEST_EQ_U64(KVM_MP_STATE_RUNNABLE, mp->mp.to, "to runnable");
	TEST_EQ_U64(TRAMPOLINE >> 12, mp->mp.sipi_vector, "by the SIPI's vector");
	TEST_EQ_U64(sipi->step, mp->step, "right after the step that sent the SIPI");

	uint64_t first = first_step_of(t, 1, 1);
	TEST_ASSERT(first > sipi->step, "vCPU 1 makes no step before its SIPI (first at %" PRIu64 ")", first);
	TEST_EQ_U64(1, t->steps[first].vcpu_step, "its own step 1");
	TEST_EQ_U64(0x800, t->steps[first].cs_selector, "real mode, CS = vector << 8");
	TEST_EQ_U64(TRAMPOLINE, t->steps[first].cs_base, "CS base 0x8000");
	TEST_EQ_U64(0, t->steps[first].cr0 & 1, "PE clear");
	TEST_EQ_U64(1, t->steps[first].regs.rip, "after its first instruction (CLI at IP 0)");

	/* lock-step: while both run (up to the AP's STI), they take turns */
	uint64_t sti = kt_step_at_rip(t, ap_ip(t, "ap_shadow"), first);
	TEST_ASSERT(sti, "the AP reaches its STI");
	for (uint64_t s = first + 1; s <= sti; s++)
		TEST_ASSERT(t->steps[s].vcpu != t->steps[s - 1].vcpu,
			    "steps %" PRIu64 " and %" PRIu64 " are of different vCPUs", s - 1, s);
	return first;
}

static void ipi_lands_after_sti_shadow(void)
{
	struct kt_trace *t = kt_record_scenario("ipi", "ipi.xtr", "", (1 << 1) | 1);
	check_bring_up(t);
	const struct xt_event *fixed = ipi(t, 0, 0);
	TEST_ASSERT(fixed, "a fixed IPI was sent");
	TEST_EQ_U64(0, fixed->vcpu, "by vCPU 0");
	TEST_EQ_U64(IPI_VECTOR, xt_icr_vector(fixed->ipi.icr), "vector 0xf0");
	TEST_EQ_U64(1, xt_icr_dest(fixed->ipi.icr, 0), "to APIC ID 1");
	TEST_EQ_U64(0, xt_icr_shorthand(fixed->ipi.icr), "no shorthand");

	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "one arrival");
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, IPI_VECTOR, 0);
	TEST_ASSERT(ev, "vector 0xf0 arrived");
	TEST_EQ_U64(1, ev->vcpu, "on vCPU 1");
	TEST_ASSERT(ev->step > fixed->step, "after it was sent");
	TEST_EQ_U64(1, t->steps[ev->step].vcpu, "at a step of vCPU 1");
	TEST_EQ_U64(ap_ip(t, "ap_after"), ev->taken.rip_before, "after the instruction in STI's shadow");
	TEST_EQ_U64(TRAMPOLINE + ap_ip(t, "ap_irq"), ev->taken.handler, "through the real-mode IVT");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev->taken.type, "an external interrupt");
	uint64_t shadow = own_prev(t, ev->step), sti = own_prev(t, shadow);
	TEST_EQ_U64(ap_ip(t, "ap_shadow"), t->steps[sti].regs.rip, "STI ran two steps of vCPU 1 before");
	TEST_ASSERT(t->steps[sti].shadow, "STI left a shadow");
	TEST_EQ_U64(ap_ip(t, "ap_after"), t->steps[shadow].regs.rip, "then the shadowed NOP ran");

	TEST_EQ_U64(1, kt_value(t, 1, NULL), "the AP started once");
	kt_free(t);
}

static void blockirq_holds_it_on_the_ap(void)
{
	struct kt_trace *t = kt_record_scenario("ipi", "ipi-block.xtr", "--block-irq --capture lapic", 1);
	check_bring_up(t);
	TEST_ASSERT(t->guest_debug & KVM_GUESTDBG_BLOCKIRQ, "BLOCKIRQ in the header's guest-debug word");
	TEST_ASSERT(ipi(t, 0, 0), "the fixed IPI was sent");
	TEST_EQ_U64(0, kt_count_events(t, XT_EV_IRQ_TAKEN, -1), "never taken while stepping");
	uint64_t last = 0;
	for (uint64_t s = 1; s <= t->nsteps; s++)
		if (t->steps[s].vcpu == 1)
			last = s;
	TEST_ASSERT(last, "vCPU 1 made steps");
	TEST_ASSERT(t->steps[last].lapic_irr[IPI_VECTOR / 64] >> (IPI_VECTOR % 64) & 1,
		    "held in vCPU 1's IRR to its last step");
	uint64_t open = 0;
	for (uint64_t s = 1; s <= t->nsteps && !open; s++)
		if (t->steps[s].vcpu == 1 && (t->steps[s].regs.rflags & (1u << 9)))
			open = s;
	TEST_ASSERT(open, "vCPU 1 ran with IF set (after its STI)");
	uint64_t at;
	TEST_EQ_U64(1, kt_value(t, 1, &at), "the AP started once");
	TEST_EQ_U64(0, kt_value(t, at + 1, NULL), "its handler never ran");
	kt_free(t);
}

static void init_sends_it_back(void)
{
	struct kt_trace *t = kt_record_scenario("init-sipi", "init-sipi.xtr", "", 1);
	check_bring_up(t);
	TEST_ASSERT(ipi(t, ICR_INIT, 1) && ipi(t, ICR_STARTUP, 1), "a second INIT and SIPI");
	TEST_EQ_U64(3, kt_count_events(t, XT_EV_MP_STATE, -1), "start, back to wait-for-SIPI, start");
	const struct xt_event *back = kt_event(t, XT_EV_MP_STATE, -1, 1),
			      *again = kt_event(t, XT_EV_MP_STATE, -1, 2);
	TEST_EQ_U64(KVM_MP_STATE_RUNNABLE, back->mp.from, "the halted AP was runnable to KVM");
	TEST_EQ_U64(KVM_MP_STATE_INIT_RECEIVED, back->mp.to, "INIT: wait-for-SIPI");
	TEST_EQ_U64(ipi(t, ICR_INIT, 1)->step, back->step, "at the INIT's step");
	TEST_EQ_U64(KVM_MP_STATE_RUNNABLE, again->mp.to, "started again");
	uint64_t restart = first_step_of(t, 1, again->step + 1);
	TEST_ASSERT(restart, "vCPU 1 runs again");
	TEST_EQ_U64(1, t->steps[restart].regs.rip, "from the trampoline's start");
	for (uint64_t s = back->step + 1; s < again->step; s++)
		TEST_EQ_U64(0, t->steps[s].vcpu, "no step of vCPU 1 while it waits (step %" PRIu64 ")", s);
	TEST_EQ_U64(2, kt_value(t, 1, NULL), "the AP started twice");
	kt_free(t);
}

/* A halted AP takes no steps: lock-step skips it until the IPI can wake it. */
static void ipi_wakes_a_halted_ap(void)
{
	struct kt_trace *t = kt_record_scenario("ipi-hlt", "ipi-hlt.xtr", "", (1 << 1) | 1);
	check_bring_up(t);
	uint64_t halted = kt_step_at_rip(t, ap_ip(t, "ap_shadow"), first_step_of(t, 1, 1));
	TEST_ASSERT(halted, "the AP's HLT completed");
	TEST_EQ_U64(1, t->steps[halted].vcpu, "a step of vCPU 1");
	TEST_EQ_U64(ap_ip(t, "ap_wait_hlt"), t->steps[own_prev(t, halted)].regs.rip, "that ran the HLT");
	const struct xt_event *fixed = ipi(t, 0, 0), *ev = kt_event(t, XT_EV_IRQ_TAKEN, IPI_VECTOR, 0);
	TEST_ASSERT(fixed && ev, "the IPI was sent and taken");
	TEST_ASSERT(fixed->step > halted + 8, "sent well after the HLT");
	for (uint64_t s = halted + 1; s <= fixed->step; s++)
		TEST_EQ_U64(0, t->steps[s].vcpu, "no step of the halted AP before the IPI (step %" PRIu64 ")", s);
	TEST_EQ_U64(fixed->step + 1, ev->step, "the AP's next step takes it");
	TEST_EQ_U64(1, ev->vcpu, "on vCPU 1");
	TEST_EQ_U64(ap_ip(t, "ap_shadow"), ev->taken.rip_before, "from the HLT it was halted after");
	TEST_EQ_U64(TRAMPOLINE + ap_ip(t, "ap_irq"), ev->taken.handler, "into its handler");
	kt_free(t);
}

/* The interleaving is the recorder's: two recordings are the same trace, and replay reproduces it. */
static void deterministic(void)
{
	const char *a = kt_record("det-a.xtr", (1 << 1) | 1, "--scenario ipi");
	char pa[512];
	snprintf(pa, sizeof(pa), "%s", a);
	const char *b = kt_record("det-b.xtr", (1 << 1) | 1, "--scenario ipi");
	TEST_EQ_U64(0, kt_exitrace("diff %s %s", pa, b), "the same trace twice; out: %s", kt_out());
	TEST_EQ_U64(0, kt_exitrace("dump %s", pa), "dump a");
	char *da = strdup(kt_out());
	TEST_EQ_U64(0, kt_exitrace("dump %s", b), "dump b");
	TEST_EQ_STR(da, kt_out(), "every step and event alike, vCPU by vCPU");
	free(da);
	TEST_EQ_U64(0, kt_exitrace("replay %s", pa), "replays identically: %s", kt_out());
	TEST_CONTAINS(kt_out(), "1 vCPU starts by SIPI", "the AP's start was taken in place");
}

/* With --ktrace the kernel's own kvm_apic_ipi sits at the step of each IPI the recorder saw. */
static void kernel_agrees(void)
{
	struct stat st;
	if (stat("/sys/kernel/tracing", &st) != 0) {
		printf("tracefs is not here: --ktrace is not tested\n");
		return;
	}
	const char *out = kt_tmp("ipi-ktrace.xtr");
	int status = kt_exitrace("record --scenario ipi --ktrace -o %s --console /dev/null", out);
	if (status == 2 && strstr(kt_err(), "--ktrace")) {
		printf("--ktrace is not possible here: %s\n", kt_err());
		return;
	}
	TEST_EQ_U64((1 << 1) | 1, status, "stderr: %s", kt_err());
	struct kt_trace *t = kt_load(out);
	size_t ipis = 0, matched = 0;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct xt_event *e = &t->events[i];
		if (e->kind != XT_EV_IPI)
			continue;
		ipis++;
		for (size_t k = 0; k < t->nevents; k++) {
			const struct xt_event *x = &t->events[k];
			if (x->kind != XT_EV_KTRACE || strcmp(x->ktrace.name, "kvm:kvm_apic_ipi") || x->step != e->step)
				continue;
			for (size_t f = 0; f < x->ktrace.n_fields; f++)
				if (!strcmp(x->ktrace.fields[f].name, "icr_low") &&
				    (uint64_t)x->ktrace.fields[f].num == (uint32_t)e->ipi.icr)
					matched++;
		}
	}
	TEST_EQ_U64(3, ipis, "INIT, SIPI and the fixed IPI");
	TEST_EQ_U64(ipis, matched, "each at the step and with the ICR the kernel logged");
	kt_free(t);
}

static void usage_errors(void)
{
	const char *out = kt_tmp("bad.xtr");
	TEST_EQ_U64(2, kt_exitrace("record --scenario ipi --irqchip none -o %s", out), "no irqchip");
	TEST_CONTAINS(kt_err(), "need an in-kernel local APIC", "named: %s", kt_err());
	TEST_EQ_U64(2, kt_exitrace("record --scenario ipi --vcpus 0 -o %s", out), "--vcpus 0");
	TEST_EQ_U64(2, kt_exitrace("record --scenario ipi --vcpus 65 -o %s", out), "--vcpus 65");
	TEST_CONTAINS(kt_err(), "--vcpus needs a number from 1 to 64", "named: %s", kt_err());
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	ipi_lands_after_sti_shadow();
	blockirq_holds_it_on_the_ap();
	init_sends_it_back();
	ipi_wakes_a_halted_ap();
	deterministic();
	kernel_agrees();
	usage_errors();
	return 0;
}
