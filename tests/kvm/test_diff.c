// SPDX-License-Identifier: MIT
/*
 * exitrace diff on real recordings:
 * - the same guest recorded twice is identical (exit 0, "identical");
 * - an IRQ taken in one recording only (BLOCKIRQ in the other) is the
 *   first hunk, named as such, at the injection step, and the walk gets
 *   back in step after the handler;
 * - the same IRQ two steps later is one hunk, a timing difference;
 * - a guest with an IDT (the recorder's) and without one: the IRQ is
 *   delivered in one and shuts the vCPU down in the other;
 * - --json is one document saying the same; usage errors exit 2.
 *
 * The IRQ cases use tests/kvm/guests/irq_wait.S (its own IDT, a vector 0x30
 * handler counting in r15) and irq_noidt.S (no IDT of its own).  To run the
 * same checks on a built-in scenario, point IRQ_RECORD at it, e.g.
 * "--scenario sti-irq", and IRQ_STEP at the step its IRQ is taken.
 */
#include <linux/kvm.h>

#include "kt.h"

#define IRQ_RECORD "%s --load 0x100000 --irq 0x30@30"
#define IRQ_STEP 30

/* the guests end with isa-debug-exit: want_status is (r15 << 1) | 1, r15 the IRQs handled */
static const char *record(const char *name, const char *guest_args, const char *guest, const char *extra,
			  int want_status)
{
	char args[512];
	snprintf(args, sizeof(args), guest_args, guest);
	return kt_record(name, want_status, "%s --quiet %s", args, extra);
}

static void identical(const char *guest, const char *a)
{
	const char *b = record("same-b.xtr", IRQ_RECORD, guest, "", (1 << 1) | 1);
	int status = kt_exitrace("diff %s %s", a, b);
	TEST_EQ_U64(0, status, "identical recordings: exit 0; out: %s err: %s", kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "identical", "says so");
	TEST_ASSERT(!strstr(kt_out(), "divergence"), "and shows no hunk: %s", kt_out());
}

static void irq_one_side(const char *guest, const char *a)
{
	const char *b = record("blocked.xtr", IRQ_RECORD, guest, "--block-irq", (0 << 1) | 1);
	struct kt_trace *ta = kt_load(a), *tb = kt_load(b);
	TEST_EQ_U64(1, kt_count_events(ta, XT_EV_IRQ_TAKEN, 0x30), "A takes the IRQ");
	TEST_EQ_U64(0, kt_count_events(tb, XT_EV_IRQ_TAKEN, -1), "B (BLOCKIRQ) never does");
	const struct xt_event *taken = kt_event(ta, XT_EV_IRQ_TAKEN, 0x30, 0);
	TEST_EQ_U64(IRQ_STEP, taken->step, "taken at the injection step");

	int status = kt_exitrace("diff %s %s", a, b);
	TEST_EQ_U64(1, status, "different: exit 1; err: %s", kt_err());
	const char *out = kt_out();
	TEST_CONTAINS(out, "vm config differs: guest_debug ENABLE|SINGLESTEP (A) vs ENABLE|SINGLESTEP|BLOCKIRQ (B)",
		      "the header names BLOCKIRQ");
	char want[200];
	snprintf(want, sizeof(want), "first divergence at step %d, rip 0x%" PRIx64, IRQ_STEP,
		 taken->taken.rip_before);
	TEST_CONTAINS(out, want, "the first hunk is at the IRQ's step and RIP");
	snprintf(want, sizeof(want), "A: IRQ 0x30 delivered (step %d -> handler 0x%" PRIx64
		 ")   B: no IRQ; next exit DEBUG at 0x%" PRIx64, IRQ_STEP, taken->taken.handler,
		 tb->steps[IRQ_STEP].regs.rip);
	TEST_CONTAINS(out, want, "named: the IRQ was taken in A only");
	/* this host's IRETQ step runs the interrupted instruction too (kvm-facts Q5) */
	TEST_CONTAINS(out, "in step again: the handler returned and ran the interrupted instruction",
		      "back in step after the handler");
	TEST_CONTAINS(out, "still different: r15 0x1 (A) vs 0x0 (B)", "the handler's count carried");
	TEST_CONTAINS(out, "A ends debug-exit (isa-debug-exit, status 3)", "A's end");
	TEST_CONTAINS(out, "B ends debug-exit (isa-debug-exit, status 1)", "B's end");

	/* --first: the same first hunk, and nothing after it */
	status = kt_exitrace("diff --first %s %s", a, b);
	TEST_EQ_U64(1, status, "--first: exit 1");
	TEST_CONTAINS(kt_out(), "A: IRQ 0x30 delivered", "the IRQ");
	TEST_ASSERT(!strstr(kt_out(), "next divergence"), "only the first: %s", kt_out());

	/* --json: one document with the cause as data */
	status = kt_exitrace("diff --json %s %s", a, b);
	TEST_EQ_U64(1, status, "--json: exit 1");
	out = kt_out();
	TEST_ASSERT(out[0] == '{' && strstr(out, "}}\n") == out + strlen(out) - 3, "one object: %s", out);
	snprintf(want, sizeof(want), "\"hunks\":[{\"index\":1,\"a_step\":%d,\"b_step\":%d", IRQ_STEP, IRQ_STEP);
	TEST_CONTAINS(out, want, "the first hunk");
	TEST_CONTAINS(out, "\"cause\":{\"kind\":\"irq-one-side\",\"side\":\"A\",\"vector\":48", "its cause");
	TEST_CONTAINS(out, "{\"group\":\"vm\",\"key\":true,\"what\":\"guest_debug\"", "the header");
	kt_free(ta);
	kt_free(tb);
}

/* The same IRQ injected two steps later: one hunk, named a timing difference. */
static void irq_later(const char *guest, const char *a)
{
	const char *b = record("at32.xtr", "%s --load 0x100000 --irq 0x30@32", guest, "", (1 << 1) | 1);
	int status = kt_exitrace("diff %s %s", a, b);
	TEST_EQ_U64(1, status, "different; err: %s", kt_err());
	const char *o = kt_out();
	TEST_CONTAINS(o, "vm config differs: injections 0x30@30 msi (A) vs 0x30@32 msi (B)", "the schedule");
	TEST_CONTAINS(o, "IRQ 0x30 taken at different points: A at step 30", "named: timing");
	TEST_CONTAINS(o, "B at step 32", "B's step");
	TEST_CONTAINS(o, "\n1 hunk; ", "one hunk: the same behaviour otherwise, r15 included");
	TEST_CONTAINS(o, "skipped to resynchronise (A 5, B 5)", "both handlers passed over");
}

static void idt_or_not(const char *guest)
{
	/* exitrace's default handler does not count in r15 */
	const char *a = record("idt.xtr", "%s --load 0x100000 --irq 0x30@20", guest, "--idt", (0 << 1) | 1);
	/* no IDT: the recording ends in SHUTDOWN, status 0 */
	const char *out = kt_record("noidt.xtr", 0, "%s --load 0x100000 --irq 0x30@20 --quiet", guest);
	struct kt_trace *tb = kt_load(out);
	TEST_EQ_U64(XT_END_SHUTDOWN, tb->end_reason, "a triple fault");
	TEST_EQ_U64(20, tb->nsteps, "at the IRQ's step");

	int status = kt_exitrace("diff %s %s", a, out);
	TEST_EQ_U64(1, status, "different; err: %s", kt_err());
	const char *o = kt_out();
	TEST_CONTAINS(o, "initial state differs: idt.base", "the header shows the IDT");
	TEST_CONTAINS(o, "first divergence at step 20", "at the IRQ");
	TEST_CONTAINS(o, "A: IRQ 0x30 delivered (step 20 -> handler", "A has a handler");
	TEST_CONTAINS(o, "B: IRQ 0x30 delivery failed at step 20: SHUTDOWN (triple fault)", "B shuts down");
	TEST_CONTAINS(o, "B ends here (last exit SHUTDOWN", "B ends");
	TEST_CONTAINS(o, "B ends shutdown", "in the summary too");
	kt_free(tb);
}

static void usage(const char *a)
{
	TEST_EQ_U64(2, kt_exitrace("diff %s", a), "one file: usage error");
	TEST_EQ_U64(2, kt_exitrace("diff --ignore rflag %s %s", a, a), "unknown field");
	TEST_CONTAINS(kt_err(), "did you mean rflags", "names the close one");
	TEST_EQ_U64(2, kt_exitrace("diff %s %s", a, kt_tmp("missing.xtr")), "unreadable B");
	TEST_EQ_U64(0, kt_exitrace("diff --ignore rflags,irq-taken %s %s", a, a), "known names");
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *irq_wait = kt_arg(1), *irq_noidt = kt_arg(2);
	/* all but idt_or_not start from this same recording: make it once */
	char irq[600];	/* kt_tmp() reuses its buffers */
	snprintf(irq, sizeof(irq), "%s", record("irq.xtr", IRQ_RECORD, irq_wait, "", (1 << 1) | 1));
	identical(irq_wait, irq);
	irq_one_side(irq_wait, irq);
	irq_later(irq_wait, irq);
	idt_or_not(irq_noidt);
	usage(irq);
	return 0;
}
