// SPDX-License-Identifier: MIT
/*
 * record --vcpus N beyond the scenarios: four vCPUs that all spin take
 * strict turns in lock-step, and the trace replays identically; without
 * single-step (--no-step) each vCPU runs on a thread of its own and the
 * recording still ends the way the guest does — an isa-debug-exit, the
 * timeout, or every vCPU halted with interrupts off or waiting for SIPI.
 */
#include <linux/kvm.h>

#include "kt.h"

static void lockstep_turns(const char *smp_spin)
{
	struct kt_trace *t = kt_load(kt_record("spin4.xtr", 0, "%s --load 0x100000 --vcpus 4 --max-steps 4000", smp_spin));
	TEST_EQ_U64(4, t->n_vcpus, "four vCPUs");
	TEST_EQ_U64(4000, t->nsteps, "--max-steps counts the steps of all vCPUs");
	uint64_t started = 0;
	for (uint64_t s = 1; s <= t->nsteps && !started; s++)
		if (t->steps[s].vcpu == 3)
			started = s;
	TEST_ASSERT(started, "vCPU 3 ran");
	/* once all run, the turns go 0, 1, 2, 3, 0, ... whatever the host's scheduler does */
	for (uint64_t s = started + 1; s <= t->nsteps; s++)
		TEST_EQ_U64((t->steps[s - 1].vcpu + 1) % 4, t->steps[s].vcpu, "step %" PRIu64 "'s vCPU", s);
	const struct xt_event *mp = kt_event(t, XT_EV_MP_STATE, -1, 2);
	TEST_ASSERT(mp && mp->mp.by_sipi && mp->mp.sipi_vector == 8, "the third AP started by SIPI 0x08 too");
	kt_free(t);
	TEST_EQ_U64(0, kt_exitrace("replay %s", kt_tmp("spin4.xtr")), "replays: %s", kt_out());
	TEST_CONTAINS(kt_out(), "3 vCPU starts by SIPI", "every AP's start taken in place");
}

/*
 * Long enough for the recorder's 100 ms timer to interrupt many runs: an
 * interrupted run that made no step costs its vCPU no turn, so the order
 * stays strict (read by streaming: the trace is too long to load whole).
 */
static void order_survives_ticks(const char *smp_spin)
{
	const char *out = kt_record("spin-long.xtr", 0, "%s --load 0x100000 --vcpus 3 --max-steps 300000", smp_spin);
	struct xt_reader *rd;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_reader_open(&rd, out, &err), "open: %s", err.msg);
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	uint64_t checked = 0;
	uint32_t last = 0;
	bool all = false;	/* vCPU 2, the last to start, has made a step */
	while ((rc = xt_reader_next(rd, &rec)) > 0) {
		if (rec.type != XT_REC_STEP)
			continue;
		if (all) {
			TEST_EQ_U64((last + 1) % 3, rec.vcpu, "step %" PRIu64 "'s vCPU", rec.step);
			checked++;
		}
		all |= rec.vcpu == 2;
		last = rec.vcpu;
	}
	TEST_EQ_U64(0, (uint64_t)rc, "read to the end");
	TEST_ASSERT(checked > 190000, "%" PRIu64 " turns checked", checked);
	xt_reader_close(rd);
}

static void freerun_ends(const char *smp_spin, const char *cli_hlt)
{
	/*
	 * the guest's own end, vCPU 0's isa-debug-exit, with the AP run on its own
	 * thread meanwhile: status 3 if it took the IPI in its short STI window, 1 if
	 * not (this host: without single-step an IRQ waits for the end of an
	 * emulation batch, see README "Host deviations")
	 */
	const char *out = kt_tmp("ipi-free.xtr");
	int status = kt_exitrace("record --scenario ipi --no-step -o %s --console /dev/null", out);
	TEST_ASSERT(status == 1 || status == 3, "ends by the guest's exit, status %d: %s", status, kt_err());
	struct kt_trace *t = kt_load(out);
	TEST_EQ_U64(XT_END_DEBUG_EXIT, t->end_reason, "isa-debug-exit: %s", t->end_detail);
	TEST_EQ_U64(2, t->n_vcpus, "two vCPUs");
	TEST_EQ_U64(1, kt_value(t, 1, NULL), "the AP started and ran on its own");
	TEST_EQ_U64(0, t->guest_debug & KVM_GUESTDBG_SINGLESTEP, "no single-step");
	kt_free(t);
	TEST_EQ_U64(0, kt_exitrace("info --verify %s", out), "the footer agrees: %s", kt_err());

	/* vCPUs that never exit: the timeout ends it, every thread stopped */
	t = kt_load(kt_record("spin-free.xtr", 0, "%s --load 0x100000 --vcpus 3 --no-step --timeout 0.5", smp_spin));
	TEST_EQ_U64(XT_END_TIMEOUT, t->end_reason, "the timeout: %s", t->end_detail);
	TEST_ASSERT(!t->truncated, "a complete trace");
	kt_free(t);

	/* vCPU 0 halted with IF clear, vCPU 1 never started: nothing can run, the recording ends */
	out = kt_tmp("hlt-free.xtr");
	TEST_EQ_U64(0, kt_exitrace_within(30, "record %s --load 0x100000 --vcpus 2 --no-step -o %s", cli_hlt, out),
		    "ends by itself: %s", kt_err());
	t = kt_load(out);
	TEST_EQ_U64(XT_END_HLT, t->end_reason, "as a HLT: %s", t->end_detail);
	TEST_CONTAINS(t->end_detail, "every vCPU is halted with interrupts disabled or waits for SIPI", "says why");
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	lockstep_turns(kt_arg(1));
	order_survives_ticks(kt_arg(1));
	freerun_ends(kt_arg(1), kt_arg(2));
	return 0;
}
