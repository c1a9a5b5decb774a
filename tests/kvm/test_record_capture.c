// SPDX-License-Identifier: MIT
/*
 * The heavier capture sets and the kernel's own view, on irq_wait.S with an
 * MSI at step 30: --capture lapic shows the guest's SVR write and the
 * pending vector; --capture stats shows the kernel's exit counter per step;
 * --ktrace places kvm_apic_accept_irq at the injection's step and the
 * VM-creation inhibit event at step 0.
 */
#include <linux/kvm.h>
#include <sys/stat.h>

#include "kt.h"

static bool ktrace_possible(void)
{
	struct stat st;
	return stat("/sys/kernel/tracing/instances", &st) == 0 || stat("/sys/kernel/tracing", &st) == 0;
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *guest = kt_arg(1);

	const char *out = kt_record("lapic.xtr", (1 << 1) | 1,
				    "%s --load 0x100000 --irq 0x30@30 --capture lapic,debugregs,fpu", guest);
	struct kt_trace *t = kt_load(out);
	TEST_ASSERT(t->capture & XT_CAPTURE_LAPIC, "the header says lapic was captured");
	TEST_ASSERT(t->capture & XT_CAPTURE_DEBUGREGS, "and debugregs");
	TEST_ASSERT(t->capture & XT_CAPTURE_FPU, "and fpu");
	/* the SVR the guest wrote (0x1ff) is in the state */
	uint64_t svr_step = 0;
	bool fpu_seen = false;
	for (uint64_t s = 1; s <= t->nsteps; s++) {
		if (!svr_step && (t->steps[s].lapic_svr & 0x1ff) == 0x1ff)
			svr_step = s;
		fpu_seen |= t->steps[s].fpu_len == XT_FPU_SIZE;
	}
	TEST_ASSERT(svr_step, "the local APIC's SVR shows the guest enabling it");
	TEST_ASSERT(fpu_seen, "the FPU state is captured");
	kt_free(t);

	out = kt_record("stats.xtr", 0, "%s --load 0x100000 --capture stats --max-steps 50", guest);
	t = kt_load(out);
	TEST_EQ_U64(50, kt_count_events(t, XT_EV_STATS, -1), "every step moves some counter");
	TEST_EQ_U64(0, kt_exitrace("dump %s --to 3", out), "dump");
	TEST_CONTAINS(kt_out(), "exits+1", "the kernel counted one exit per step, by name");
	kt_free(t);

	if (!ktrace_possible()) {
		printf("tracefs is not here: --ktrace is not tested\n");
		return 0;
	}
	out = kt_tmp("ktrace.xtr");
	/* not kt_record: a host without tracefs access refuses --ktrace with status 2, a skip here */
	int status = kt_exitrace("record %s --load 0x100000 -o %s --irq 0x30@30 --ktrace", guest, out);
	if (status == 2 && strstr(kt_err(), "--ktrace")) {
		printf("--ktrace is not possible here: %s\n", kt_err());
		return 0;
	}
	TEST_EQ_U64(3, status, "stderr: %s", kt_err());
	t = kt_load(out);
	size_t accept = 0, inhibit = 0;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct xt_event *e = &t->events[i];
		if (e->kind != XT_EV_KTRACE)
			continue;
		if (!strcmp(e->ktrace.name, "kvm:kvm_apic_accept_irq")) {
			accept++;
			TEST_EQ_U64(30, e->step, "accepted by the local APIC at the injection's step");
			bool vec = false;
			for (size_t j = 0; j < e->ktrace.n_fields; j++)
				if (!strcmp(e->ktrace.fields[j].name, "vec"))
					vec = e->ktrace.fields[j].num == 0x30;
			TEST_ASSERT(vec, "the event's vec field, parsed from its format file, is 0x30");
		}
		if (!strcmp(e->ktrace.name, "kvm:kvm_apicv_inhibit_changed")) {
			inhibit++;
			TEST_EQ_U64(0, e->step, "logged while the VM was created: step 0");
		}
	}
	TEST_EQ_U64(1, accept, "one kvm_apic_accept_irq");
	TEST_ASSERT(inhibit >= 1, "the APICv inhibit at VM creation");
	kt_free(t);
	return 0;
}
