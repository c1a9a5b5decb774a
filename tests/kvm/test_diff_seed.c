// SPDX-License-Identifier: MIT
/*
 * The seed case as a user runs it, on the built-in scenarios:
 * - sti-irq without and with --block-irq: the header names BLOCKIRQ, and the
 *   first hunk is the IRQ taken in A only, at the step A's trace says it
 *   arrived and at the RIP it interrupted;
 * - sti-irq-noidt without and with exitrace's default IDT (--idt): the IRQ's
 *   delivery shuts A down and reaches a handler in B, at the same step.
 */
#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	char a[600], b[600], want[300];
	/* sti-irq's status is (IRQs handled << 1) | 1 */
	snprintf(a, sizeof(a), "%s", kt_record("sti.xtr", (1 << 1) | 1, "--scenario sti-irq --quiet"));
	snprintf(b, sizeof(b), "%s",
		 kt_record("sti-block.xtr", (0 << 1) | 1, "--scenario sti-irq --block-irq --quiet"));
	struct kt_trace *ta = kt_load(a);
	const struct xt_event *taken = kt_event(ta, XT_EV_IRQ_TAKEN, 0x30, 0);
	TEST_ASSERT(taken, "A takes vector 0x30");

	TEST_EQ_U64(1, kt_exitrace("diff %s %s", a, b), "the traces differ; err: %s", kt_err());
	const char *out = kt_out();
	TEST_CONTAINS(out, "guest_debug ENABLE|SINGLESTEP (A) vs ENABLE|SINGLESTEP|BLOCKIRQ (B)",
		      "the header difference: BLOCKIRQ");
	snprintf(want, sizeof(want), "first divergence at step %" PRIu64 ", rip 0x%" PRIx64, taken->step,
		 taken->taken.rip_before);
	TEST_CONTAINS(out, want, "at the arrival's step and the interrupted RIP");
	snprintf(want, sizeof(want), "A: IRQ 0x30 delivered (step %" PRIu64 " -> handler 0x%" PRIx64 ")",
		 taken->step, taken->taken.handler);
	TEST_CONTAINS(out, want, "named as an IRQ in A");
	TEST_CONTAINS(out, "B: no IRQ", "and none in B");
	/* the first hunk is the IRQ: nothing differs before it */
	TEST_ASSERT(strstr(out, "first divergence") < strstr(out, "A: IRQ 0x30 delivered"), "order");
	kt_free(ta);

	/* a shutdown is status 0; exitrace's default handler does not count the IRQ */
	snprintf(a, sizeof(a), "%s", kt_record("noidt.xtr", 0, "--scenario sti-irq-noidt --quiet"));
	snprintf(b, sizeof(b), "%s",
		 kt_record("noidt-idt.xtr", (0 << 1) | 1, "--scenario sti-irq-noidt --idt --quiet"));
	ta = kt_load(a);
	TEST_EQ_U64(XT_END_SHUTDOWN, ta->end_reason, "without an IDT the run shuts down");
	taken = kt_event(ta, XT_EV_IRQ_TAKEN, 0x30, 0);
	TEST_ASSERT(taken && taken->taken.outcome == XT_TAKEN_SHUTDOWN, "the arrival that shut it down");
	TEST_EQ_U64(1, kt_exitrace("diff %s %s", a, b), "the traces differ; err: %s", kt_err());
	out = kt_out();
	snprintf(want, sizeof(want), "A: IRQ 0x30 delivery failed at step %" PRIu64 ": SHUTDOWN", taken->step);
	TEST_CONTAINS(out, want, "A shuts down at the arrival");
	snprintf(want, sizeof(want), "B: IRQ 0x30 delivered (step %" PRIu64 " ->", taken->step);
	TEST_CONTAINS(out, want, "B takes it into exitrace's default handler, at the same step");
	TEST_CONTAINS(out, "A ends shutdown", "how A ended");
	kt_free(ta);
	return 0;
}
