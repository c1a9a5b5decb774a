// SPDX-License-Identifier: MIT
/*
 * A trace that asks replay for a step KVM_RUN never finishes: replay and
 * check hung in KVM_RUN with no way out but a signal.  Now a watchdog looks
 * at the vCPU every 2 s and calls it a divergence, named:
 *
 * - a vCPU that waits for INIT and SIPI (tests/fuzz/corpus/trace-vcpus, a
 *   made-up trace of 3 vCPUs whose vCPU 1 runs at step 1 with no SIPI
 *   sent): at the first look;
 * - a vCPU halted with interrupts off (a --no-step recording whose one
 *   step, the halted run interrupted, is said to be an exit): once
 *   KVM_RUN took 10 s more than twice the whole recording.
 *
 * Each run has an alarm: a regression that hangs fails, not blocks.
 * Arguments: the cli_hlt guest (tests/kvm/guests), that trace.
 */
#include <linux/kvm.h>
#include <string.h>

#include "kt.h"
#include "kt_edit.h"

#define WITHIN 60	/* seconds: the watchdog's 10 s and the replay's own */

/*
 * The recording's one step, its halted vCPU interrupted (KVM_EXIT_INTR,
 * which replay does with immediate_exit), said to be an exit instead: the
 * replayed KVM_RUN is a real one, of a vCPU halted with interrupts off.
 */
static bool intr_to_exit(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)e, (void)step, (void)ev, (void)ctx;
	if (s && s->exit.reason == KVM_EXIT_INTR) {
		s->exit.reason = KVM_EXIT_HLT;
		s->exit.run_ret = 0;
		s->exit.run_errno = 0;
	}
	return true;
}

static void waits_for_sipi(const char *forged)
{
	TEST_EQ_U64(1, kt_exitrace_within(WITHIN, "replay %s", forged), "a divergence, not a hang; stdout: %s\nstderr: %s",
		    kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "vCPU 1 waits for INIT and SIPI (run state init-received) at step 1",
		      "names the stall: %s", kt_out());
}

static void halted_for_ever(const char *cli_hlt)
{
	char orig[600], edited[600];
	snprintf(orig, sizeof(orig), "%s", kt_record("hlt.xtr", 0, "%s --load 0x100000 --no-step --timeout 0.5", cli_hlt));
	struct kt_trace *t = kt_load(orig);
	TEST_EQ_U64(1, t->nsteps, "one step, the halted run interrupted (%s)", t->end_detail);
	TEST_EQ_U64(KVM_EXIT_INTR, t->steps[1].exit_reason, "an INTR step");
	kt_free(t);
	snprintf(edited, sizeof(edited), "%s", kt_tmp("hlt-exit.xtr"));
	kt_rewrite(orig, edited, NULL, intr_to_exit, NULL);
	TEST_EQ_U64(1, kt_exitrace_within(WITHIN, "replay %s", edited), "a divergence, not a hang; stdout: %s\nstderr: %s",
		    kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "vCPU 0 did not finish step 1: KVM_RUN had not returned after", "names the step: %s",
		      kt_out());
	TEST_CONTAINS(kt_out(), "run state halted", "and the vCPU's state: %s", kt_out());
	TEST_EQ_U64(0, kt_exitrace_within(WITHIN, "replay %s", orig), "the recording itself replays: %s", kt_out());
	/* check goes on past it: a TAP line, not a hang */
	TEST_EQ_U64(1, kt_exitrace_within(WITHIN, "check %s", edited), "check: %s", kt_out());
	TEST_CONTAINS(kt_out(), "not ok 1", "one failing TAP line: %s", kt_out());
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	waits_for_sipi(kt_arg(2));
	halted_for_ever(kt_arg(1));
	return 0;
}
