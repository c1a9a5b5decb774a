// SPDX-License-Identifier: MIT
/*
 * Every built-in scenario: "exitrace scenarios" lists exactly these, each
 * records with its own options into a complete trace that ends the way the
 * scenario does on this host, within its step bound.  And over all of
 * them, every single-step exit carries DR6 = 0xffff4ff0 (Intel SDM vol. 3,
 * 17.2.3: BS, bit 14, with the reserved bits 4-11 and 16-31 set; bit 16,
 * RTM, reads 1 when no RTM debugging is pending), pc = RIP, exception 1;
 * the only other DEBUG exits are hw-bp's breakpoints, with Bn instead.
 */
#include <linux/kvm.h>

#include "kt.h"

static const struct {
	const char *name;
	uint32_t end;		/* enum xt_end_reason, on this host */
	int status;		/* exitrace's exit status */
} scenarios[] = {
	{ "sti-irq", XT_END_DEBUG_EXIT, 3 },
	{ "sti-irq-noidt", XT_END_SHUTDOWN, 0 },
	{ "mov-ss", XT_END_DEBUG_EXIT, 1 },
	{ "popf-if", XT_END_DEBUG_EXIT, 3 },
	/* host deviation (kvm_pvm): INT3 cannot be emulated, see test_scenario_sw_bp.c */
	{ "sw-bp", XT_END_INTERNAL_ERROR, 0 },
	{ "hw-bp", XT_END_DEBUG_EXIT, 1 },
	{ "watchpoint", XT_END_DEBUG_EXIT, 1 },
	{ "dr7-gd", XT_END_DEBUG_EXIT, 1 },
	{ "lapic-timer", XT_END_DEBUG_EXIT, 1 },
	{ "exceptions", XT_END_DEBUG_EXIT, 1 },
	{ "io-mmio-cpuid-rdtsc-hlt", XT_END_DEBUG_EXIT, 1 },
	{ "ipi", XT_END_DEBUG_EXIT, 3 },
	{ "init-sipi", XT_END_DEBUG_EXIT, 1 },
	{ "ipi-hlt", XT_END_DEBUG_EXIT, 3 },
};
#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static void listing(void)
{
	TEST_EQ_U64(0, kt_exitrace("scenarios"), "exitrace scenarios; stderr: %s", kt_err());
	char out[8192];
	snprintf(out, sizeof(out), "%s", kt_out());
	size_t n = 0;
	for (char *save, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		TEST_ASSERT(n < N_SCENARIOS, "an unknown scenario listed: %s", line);
		size_t len = strlen(scenarios[n].name);
		TEST_ASSERT(!strncmp(line, scenarios[n].name, len) && line[len] == ' ',
			    "line %zu names %s: %s", n + 1, scenarios[n].name, line);
		while (line[len] == ' ')
			len++;
		TEST_ASSERT(strlen(line + len) > 20, "%s has a description: %s", scenarios[n].name, line);
	}
	TEST_EQ_U64(N_SCENARIOS, n, "every scenario listed once");
	TEST_EQ_U64(2, kt_exitrace("record --scenario no-such -o %s", kt_tmp("x.xtr")), "an unknown scenario");
	TEST_CONTAINS(kt_err(), "exitrace scenarios", "the message points to the list");
}

static void check_debug_exits(const struct kt_trace *t, const char *name)
{
	size_t single = 0;
	for (uint64_t i = 1; i <= t->nsteps; i++) {
		const struct kt_step *k = &t->steps[i];
		if (k->exit_reason != KVM_EXIT_DEBUG)
			continue;
		TEST_EQ_U64(1, k->debug_exception, "%s step %" PRIu64 ": #DB", name, i);
		/* pc is linear: RIP in long mode, CS base + IP for an AP starting in real mode */
		TEST_EQ_U64(k->cs_base + k->regs.rip, k->pc, "%s step %" PRIu64 ": pc is CS base + RIP", name, i);
		if (k->dr6 & 0xf) {
			TEST_EQ_STR("hw-bp", name, "step %" PRIu64 ": a breakpoint exit (dr6 0x%" PRIx64 ")", i, k->dr6);
			TEST_EQ_U64(0xffff0ff0, k->dr6 & ~0xfull, "%s step %" PRIu64 ": Bn alone", name, i);
			continue;
		}
		TEST_EQ_U64(0xffff4ff0, k->dr6, "%s step %" PRIu64 ": a single-step exit's DR6", name, i);
		single++;
	}
	TEST_ASSERT(single >= 20, "%s: %zu single-step exits checked", name, single);
}

/* the user's options apply on top of the scenario's */
static void user_options(void)
{
	struct kt_trace *t = kt_record_scenario("sti-irq", "bounded.xtr", "--max-steps 100 --timeout 5", 0);
	TEST_EQ_U64(XT_END_MAX_STEPS, t->end_reason, "--max-steps overrides the scenario's: %s", t->end_detail);
	TEST_EQ_U64(100, t->nsteps, "100 steps");
	TEST_EQ_U64(5000, t->timeout_ms, "--timeout overrides it too");
	kt_free(t);
	t = kt_record_scenario("dr7-gd", "capture.xtr", "--capture lapic --block-irq", 1);
	TEST_EQ_U64(XT_CAPTURE_DEBUGREGS | XT_CAPTURE_LAPIC, t->capture & (XT_CAPTURE_DEBUGREGS | XT_CAPTURE_LAPIC),
		    "the user's capture set adds to the scenario's");
	TEST_ASSERT(t->guest_debug & KVM_GUESTDBG_BLOCKIRQ, "--block-irq applies");
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	listing();
	user_options();
	for (size_t i = 0; i < N_SCENARIOS; i++) {
		char file[64];
		snprintf(file, sizeof(file), "%s.xtr", scenarios[i].name);
		struct kt_trace *t = kt_record_scenario(scenarios[i].name, file, "", scenarios[i].status);
		TEST_EQ_U64(scenarios[i].end, t->end_reason, "%s: %s", scenarios[i].name, t->end_detail);
		TEST_EQ_U64(XT_MODE_LONG, t->cpu_mode, "%s: a 64-bit guest", scenarios[i].name);
		TEST_EQ_U64(XT_IRQCHIP_KERNEL, t->irqchip, "%s: in-kernel local APIC", scenarios[i].name);
		TEST_ASSERT(t->max_steps && t->nsteps < t->max_steps, "%s: bounded, %zu of at most %" PRIu64 " steps",
			    scenarios[i].name, t->nsteps, t->max_steps);
		TEST_ASSERT(t->timeout_ms, "%s: and bounded in time", scenarios[i].name);
		check_debug_exits(t, scenarios[i].name);
		kt_free(t);
	}
	return 0;
}
