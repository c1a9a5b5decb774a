// SPDX-License-Identifier: MIT
/*
 * The diff engine on traces built through the library: identical traces,
 * one field changed at one step, a difference carried along, an extra
 * interrupt handler (returning the way this host's IRETQ step does and the
 * architectural way), an IRQ at different steps, a control-flow detour and
 * a divergence that never ends, an exit reason that ends one trace, a
 * kernel event in one trace only, header differences, --ignore,
 * --max-hunks, --first and a truncated trace.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <unistd.h>

#include "diff.h"
#include "diff_hunk.h"
#include "fixture.h"
#include "test_util.h"

#define STEPS 600
#define HANDLER 0x300000ull
#define VECTOR 0x30

static struct xt_state base[STEPS + 1];	/* A's states: the fixture's loop */
static char dir[] = "/tmp/xt-diff-XXXXXX";

/* ---- building traces ---- */

struct tb {
	struct fx_header fh;
	struct xt_writer *w;
	uint64_t steps;
};

static const char *tmp(const char *name)
{
	return test_path(dir, name);
}

/* Changes the next header written, if set. */
static void (*header_hook)(struct fx_header *fh);

static void tb_open(struct tb *b, const char *path, const char *apicv)
{
	fx_header_init(&b->fh, XT_CAPTURE_DEFAULT);
	if (apicv)
		b->fh.params[1].value = apicv;
	if (header_hook)
		header_hook(&b->fh);
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 50 };
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&b->w, path, &b->fh.h, &opts, &err), "open %s: %s", path, err.msg);
	b->steps = 0;
}

static void tb_step(struct tb *b, const struct xt_state *s)
{
	TEST_EQ_U64(0, xt_writer_step(b->w, s), "step");
	b->steps++;
}

static void tb_event(struct tb *b, const struct xt_event *ev)
{
	TEST_EQ_U64(0, xt_writer_event(b->w, ev), "event");
}

static void tb_close(struct tb *b, uint32_t end)
{
	struct xt_footer f = { .end_reason = end };
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_close(b->w, &f, &err), "close: %s", err.msg);
}

static void write_base(const char *path, const char *apicv)
{
	struct tb b;
	tb_open(&b, path, apicv);
	for (uint64_t k = 1; k <= STEPS; k++)
		tb_step(&b, &base[k]);
	tb_close(&b, XT_END_MAX_STEPS);
}

/* taken_event() makes arrivals ambiguous between VECTOR and VECTOR + 1 */
static bool ambiguous_arrivals;

static struct xt_event taken_event(uint64_t step, uint64_t rip_before, uint64_t rip_after)
{
	struct xt_event ev = { .kind = XT_EV_IRQ_TAKEN, .step = step };
	ev.taken.vector = VECTOR;
	if (ambiguous_arrivals)
		ev.taken.candidates[VECTOR / 64] = 3ull << (VECTOR % 64);
	ev.taken.type = XT_TAKEN_EXTERNAL;
	ev.taken.outcome = XT_TAKEN_HANDLER;
	ev.taken.evidence = XT_EVIDENCE_STACK_FRAME | XT_EVIDENCE_IDT;
	ev.taken.rip_before = rip_before;
	ev.taken.rip_after = rip_after;
	ev.taken.handler = HANDLER;
	return ev;
}

/*
 * An interrupt taken before the instruction at prev's RIP: the delivery step
 * (at handler + 1 instruction, a 40-byte frame pushed), two handler steps
 * (push, pop), then the IRET step.  With iret_plus_one the IRET step also
 * runs the interrupted instruction (kvm-facts Q5/Q6: this host) and ends in
 * `after`; otherwise it ends back in prev (the SDM).  Returns the steps written.
 */
static unsigned write_handler(struct tb *b, const struct xt_state *prev, const struct xt_state *after,
			      bool iret_plus_one)
{
	struct xt_state s = *prev;
	s.regs.rip = HANDLER + 1;
	s.regs.rsp = prev->regs.rsp - 40;
	s.regs.rflags = 0x2;
	s.exit.debug_pc = s.regs.rip;
	tb_step(b, &s);
	struct xt_event ev = taken_event(b->steps, prev->regs.rip, s.regs.rip);
	tb_event(b, &ev);
	s.regs.rip += 1;
	s.regs.rsp -= 8;
	s.exit.debug_pc = s.regs.rip;
	tb_step(b, &s);
	s.regs.rip += 1;
	s.regs.rsp += 8;
	s.exit.debug_pc = s.regs.rip;
	tb_step(b, &s);
	tb_step(b, iret_plus_one ? after : prev);
	return 4;
}

/* ---- running the engine ---- */

#define MAX_KEPT 16

struct kept_hunk {
	uint64_t step_a, step_b, rip, diff_steps;
	uint32_t cause, cause_side;
	uint64_t cause_step_a, cause_step_b;
	const struct xt_field *cause_field;
	size_t n_lines;
	struct xd_line lines[XD_HUNK_MAX_ALL];
	const struct xt_field *fields[XD_HUNK_MAX_ALL][4];
};

static struct kept_hunk hunks[MAX_KEPT];
static unsigned n_hunks;

static void on_hunk(void *ctx, const struct xd_hunk *h)
{
	(void)ctx;
	TEST_EQ_U64(n_hunks + 1, h->index, "hunks are numbered from 1");
	if (n_hunks == MAX_KEPT)
		return;
	struct kept_hunk *k = &hunks[n_hunks++];
	memset(k, 0, sizeof(*k));
	k->step_a = h->step_a;
	k->step_b = h->step_b;
	k->rip = h->rip;
	k->diff_steps = h->diff_steps;
	k->cause = h->cause.kind;
	k->cause_side = h->cause.side;
	k->cause_step_a = h->cause.step_a;
	k->cause_step_b = h->cause.step_b;
	k->cause_field = h->cause.field;
	k->n_lines = h->n_lines < XD_HUNK_MAX_ALL ? h->n_lines : XD_HUNK_MAX_ALL;
	for (size_t i = 0; i < k->n_lines; i++) {
		k->lines[i] = h->lines[i];
		/* pointers into the hunk die with the callback: keep only what the tests read */
		k->lines[i].a.state = NULL;
		k->lines[i].b.state = NULL;
		k->lines[i].a.events = k->lines[i].b.events = NULL;
		k->lines[i].a.changed = k->lines[i].b.changed = NULL;
		for (size_t f = 0; f < h->lines[i].n_fields && f < 4; f++)
			k->fields[i][f] = h->lines[i].fields[f];
		k->lines[i].fields = NULL;
	}
}

static uint32_t end_reason[2];

static struct xd_summary run_opts(const char *a, const char *b, const struct xd_options *o)
{
	struct xd_diff *d;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xd_open(&d, a, b, o, &err), "xd_open: %s", err.msg);
	n_hunks = 0;
	struct xd_summary s;
	TEST_EQ_U64(0, xd_run(d, on_hunk, NULL, &s), "xd_run: %s", xd_error(d)->msg);
	/* the footers die with the diff */
	for (int i = 0; i < 2; i++) {
		end_reason[i] = s.t[i].footer ? s.t[i].footer->end_reason : XT_END_UNKNOWN;
		s.t[i].footer = NULL;
	}
	xd_close(d);
	TEST_EQ_U64(s.hunks, n_hunks, "the summary counts the hunks handed out");
	return s;
}

static struct xd_summary run(const char *a, const char *b)
{
	struct xd_options o;
	xd_options_init(&o);
	return run_opts(a, b, &o);
}

/* The kinds of a hunk's lines, one letter each: Context Diff Skip Resync End Give-up. */
static const char *shape(const struct kept_hunk *k)
{
	static char s[XD_HUNK_MAX_ALL + 1];
	static const char letters[] = { [XD_LINE_CONTEXT] = 'C', [XD_LINE_DIFF] = 'D',
					 [XD_LINE_SKIP] = 'S', [XD_LINE_RESYNC] = 'R',
					 [XD_LINE_END] = 'E', [XD_LINE_GIVE_UP] = 'G' };
	for (size_t i = 0; i < k->n_lines; i++)
		s[i] = letters[k->lines[i].kind];
	s[k->n_lines] = 0;
	return s;
}

/* ---- the tests ---- */

static void test_identical(void)
{
	/* written twice: the files differ (keyframe times), the traces do not */
	write_base(tmp("a.xtr"), NULL);
	write_base(tmp("a2.xtr"), NULL);
	struct xd_summary s = run(tmp("a.xtr"), tmp("a2.xtr"));
	TEST_ASSERT(xd_identical(&s), "identical traces are identical");
	TEST_EQ_U64(0, s.hunks, "no hunks");
	TEST_EQ_U64(STEPS, s.compared, "every step compared");
	TEST_EQ_U64(XD_STOP_END, s.stop, "read to the end");
	TEST_ASSERT(s.t[0].at_end && s.t[1].at_end, "both at their ends");
	TEST_ASSERT(!s.ends_differ, "the same end");
}

static void test_one_field(uint64_t n, bool persistent)
{
	struct tb b;
	tb_open(&b, tmp("field.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		struct xt_state s = base[k];
		if (k == n || (persistent && k > n))
			s.regs.rbx ^= 0x1000;
		tb_step(&b, &s);
	}
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("a.xtr"), tmp("field.xtr"));
	TEST_EQ_U64(1, s.hunks, "exactly one hunk (persistent %d)", persistent);
	const struct kept_hunk *h = &hunks[0];
	TEST_EQ_U64(n, h->step_a, "at step N in A");
	TEST_EQ_U64(n, h->step_b, "and in B");
	TEST_EQ_U64(base[n - 1].regs.rip, h->rip, "at the RIP of the instruction step N ran");
	TEST_EQ_U64(XD_CAUSE_FIELDS, h->cause, "a field");
	TEST_ASSERT(h->cause_field && h->cause_field->id == XT_F_RBX, "rbx");
	TEST_EQ_U64(1, h->diff_steps, "one differing step (a carried difference counts once)");
	TEST_EQ_STR("CCCDCCC", shape(h), "3 steps of context, the step, 3 steps of context");
	TEST_EQ_U64(n - 3, h->lines[0].a.step, "context from N-3");
	TEST_EQ_U64(n, h->lines[3].a.step, "the differing step");
	TEST_EQ_U64(1, h->lines[3].n_fields, "one field");
	TEST_ASSERT(h->fields[3][0]->id == XT_F_RBX, "rbx");
	TEST_EQ_U64(n + 3, h->lines[6].a.step, "context to N+3");
	TEST_EQ_U64(STEPS, s.compared, "every step compared");
}

/*
 * Both traces change rdi at step n, to different values with records of
 * the same length.  At the last step of a frame the comparison must not
 * look at a record whose frame the reader has replaced.
 */
static void test_same_length(uint64_t n)
{
	struct tb a, b;
	tb_open(&a, tmp("rdi5.xtr"), NULL);
	tb_open(&b, tmp("rdi6.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		struct xt_state s = base[k];
		if (k >= n)
			s.regs.rdi = 5;
		tb_step(&a, &s);
		if (k >= n)
			s.regs.rdi = 6;
		tb_step(&b, &s);
	}
	tb_close(&a, XT_END_MAX_STEPS);
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("rdi5.xtr"), tmp("rdi6.xtr"));
	TEST_EQ_U64(1, s.hunks, "one hunk (step %" PRIu64 ")", n);
	TEST_EQ_U64(n, hunks[0].step_a, "at step %" PRIu64, n);
	TEST_ASSERT(hunks[0].cause_field && hunks[0].cause_field->id == XT_F_RDI, "rdi");
}

/* A difference changed the same way on both sides is carried, not new; a different change is. */
static void test_carried(void)
{
	struct tb b;
	tb_open(&b, tmp("carried.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		struct xt_state s = base[k];
		if (k >= 100)
			s.regs.rax += 7;	/* the loop goes on incrementing rax in both */
		if (k >= 400)
			s.regs.rax += 1;	/* and here B's rax moves by a different amount */
		tb_step(&b, &s);
	}
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("a.xtr"), tmp("carried.xtr"));
	TEST_EQ_U64(2, s.hunks, "where it arose, and where it changed differently");
	TEST_EQ_U64(100, hunks[0].step_a, "first hunk");
	TEST_EQ_U64(400, hunks[1].step_a, "second hunk");
	TEST_EQ_U64(1, hunks[0].diff_steps, "one differing step");
	TEST_EQ_U64(1, hunks[1].diff_steps, "one differing step");
}

static void test_extra_handler(bool iret_plus_one)
{
	const uint64_t n = 200;
	struct tb b;
	tb_open(&b, tmp("irq.xtr"), NULL);
	for (uint64_t k = 1; k < n; k++)
		tb_step(&b, &base[k]);
	unsigned extra = write_handler(&b, &base[n - 1], &base[n], iret_plus_one);
	for (uint64_t k = iret_plus_one ? n + 1 : n; k <= STEPS; k++)
		tb_step(&b, &base[k]);
	tb_close(&b, XT_END_MAX_STEPS);

	struct xd_summary s = run(tmp("a.xtr"), tmp("irq.xtr"));
	TEST_EQ_U64(1, s.hunks, "one hunk, then back in step to the end");
	const struct kept_hunk *h = &hunks[0];
	TEST_EQ_U64(n, h->step_a, "at the interrupted step");
	TEST_EQ_U64(n, h->step_b, "in B too");
	TEST_EQ_U64(XD_CAUSE_IRQ_ONE_SIDE, h->cause, "named: an IRQ taken in one trace only");
	TEST_EQ_U64(XD_B, h->cause_side, "in B");
	TEST_EQ_STR("CCCDSRCCC", shape(h), "context, the delivery, B's handler, back in step, context");
	const struct xd_line *skip = &h->lines[4], *rs = &h->lines[5];
	TEST_EQ_U64(XD_B, skip->side, "B's steps skipped");
	TEST_EQ_U64(n + 1, skip->from, "from the step after the delivery");
	TEST_EQ_U64(n + extra - 1, skip->to, "to the IRET step");
	TEST_EQ_U64(iret_plus_one ? XD_RESYNC_IRQ_RETURN_NEXT : XD_RESYNC_IRQ_RETURN, rs->how,
		    "how the handler returned");
	TEST_EQ_U64(iret_plus_one ? n : n - 1, rs->a.step, "A's step where they agree again");
	TEST_EQ_U64(n + extra - 1, rs->b.step, "B's step where they agree again");
	TEST_EQ_U64(0, rs->n_fields, "nothing carried: the handler kept the registers");
	TEST_EQ_U64(extra - 1, s.t[1].skipped, "B's handler steps skipped");
	TEST_EQ_U64(0, s.t[0].skipped, "none of A's");
	TEST_ASSERT(s.t[0].at_end && s.t[1].at_end, "both read to the end");
	TEST_ASSERT(!s.ends_differ, "the same end");
}

static void test_irq_timing(void)
{
	const uint64_t n = 200, later = 2;
	struct tb a, b;
	tb_open(&a, tmp("early.xtr"), NULL);
	tb_open(&b, tmp("late.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		if (k == n)
			write_handler(&a, &base[k - 1], &base[k], true);
		if (k == n + later)
			write_handler(&b, &base[k - 1], &base[k], true);
		if (k != n)
			tb_step(&a, &base[k]);
		if (k != n + later)
			tb_step(&b, &base[k]);
	}
	tb_close(&a, XT_END_MAX_STEPS);
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("early.xtr"), tmp("late.xtr"));
	TEST_EQ_U64(1, s.hunks, "one hunk for both deliveries");
	TEST_EQ_U64(XD_CAUSE_IRQ_TIMING, hunks[0].cause, "named: the same IRQ at different steps");
	TEST_EQ_U64(n, hunks[0].cause_step_a, "A takes it at step n");
	TEST_EQ_U64(n + later, hunks[0].cause_step_b, "B two steps later");
	TEST_EQ_STR("CCCDSRCDSRCCC", shape(&hunks[0]), "both handlers skipped");
}

/*
 * An ambiguous arrival is not the same event as a decided one, even of its
 * lowest candidate; nor is an IRQ at different steps, ambiguous in one
 * trace and decided in the other, the same IRQ taken at different points.
 */
static void test_ambiguous(void)
{
	struct xt_event a = taken_event(5, 0x1000, HANDLER + 1), b = a;
	b.taken.candidates[VECTOR / 64] = 3ull << (VECTOR % 64);	/* VECTOR or VECTOR + 1 */
	TEST_ASSERT(xd_event_same(&a, &a) && xd_event_same(&b, &b), "each is itself");
	TEST_ASSERT(!xd_event_same(&a, &b), "decided and ambiguous differ");

	const uint64_t n = 200, later = 2;
	struct tb ta, tb;
	tb_open(&ta, tmp("early.xtr"), NULL);
	tb_open(&tb, tmp("late-ambiguous.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		if (k == n)
			write_handler(&ta, &base[k - 1], &base[k], true);
		if (k == n + later) {
			ambiguous_arrivals = true;
			write_handler(&tb, &base[k - 1], &base[k], true);
			ambiguous_arrivals = false;
		}
		if (k != n)
			tb_step(&ta, &base[k]);
		if (k != n + later)
			tb_step(&tb, &base[k]);
	}
	tb_close(&ta, XT_END_MAX_STEPS);
	tb_close(&tb, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("early.xtr"), tmp("late-ambiguous.xtr"));
	TEST_ASSERT(s.hunks >= 1, "they differ");
	TEST_ASSERT(hunks[0].cause != XD_CAUSE_IRQ_TIMING,
		    "an undecided vector is not named the same IRQ taken later");
	TEST_EQ_U64(XD_CAUSE_IRQ_ONE_SIDE, hunks[0].cause, "A's IRQ, one side only");
}

/* B takes a detour of 5 steps elsewhere, with no event to say why. */
static void test_detour(uint64_t window, bool back)
{
	const uint64_t n = 300;
	struct tb b;
	tb_open(&b, tmp("detour.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		if (k == n) {
			for (int i = 0; i < 5; i++) {
				struct xt_state s = base[n - 1];
				s.regs.rip = 0x500000 + 4 * (uint64_t)i;
				s.exit.debug_pc = s.regs.rip;
				tb_step(&b, &s);
			}
		}
		struct xt_state s = base[k];
		if (!back && k >= n)
			s.regs.rip += 0x400000;	/* never comes back */
		tb_step(&b, &s);
	}
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_options o;
	xd_options_init(&o);
	o.window = window;
	struct xd_summary s = run_opts(tmp("a.xtr"), tmp("detour.xtr"), &o);
	TEST_EQ_U64(1, s.hunks, "one hunk");
	const struct kept_hunk *h = &hunks[0];
	TEST_EQ_U64(n, h->step_a, "where B leaves");
	if (back) {
		TEST_EQ_STR("CCCDSRCCC", shape(h), "B's detour passed over, then in step");
		TEST_EQ_U64(XD_RESYNC_SEARCH, h->lines[5].how, "found by searching");
		TEST_EQ_U64(XD_B, h->lines[4].side, "in B");
		TEST_EQ_U64(5, s.t[1].skipped, "the detour's steps");
		TEST_EQ_U64(XD_CAUSE_FIELDS, h->cause, "rip differs");
		TEST_ASSERT(h->cause_field->id == XT_F_RIP, "control flow");
		TEST_ASSERT(s.t[0].at_end && s.t[1].at_end, "read to the end");
	} else {
		TEST_EQ_U64(XD_STOP_NO_RESYNC, s.stop, "gave up");
		TEST_EQ_U64(XD_LINE_GIVE_UP, h->lines[h->n_lines - 1].kind, "and says so");
		TEST_EQ_U64(window, h->lines[h->n_lines - 1].to, "after the window");
	}
}

/* B ends at step n in SHUTDOWN (a triple fault), A goes on. */
static void test_shutdown(void)
{
	const uint64_t n = 250;
	struct tb b;
	tb_open(&b, tmp("shutdown.xtr"), NULL);
	for (uint64_t k = 1; k < n; k++)
		tb_step(&b, &base[k]);
	struct xt_state s = base[n];
	s.exit.reason = KVM_EXIT_SHUTDOWN;
	tb_step(&b, &s);
	tb_close(&b, XT_END_SHUTDOWN);
	struct xd_summary sum = run(tmp("a.xtr"), tmp("shutdown.xtr"));
	TEST_EQ_U64(1, sum.hunks, "one hunk");
	const struct kept_hunk *h = &hunks[0];
	TEST_EQ_U64(XD_CAUSE_EXIT, h->cause, "named: the exit differs");
	TEST_EQ_U64(n, h->step_a, "at step n");
	TEST_EQ_STR("CCCDE", shape(h), "then B ends");
	TEST_EQ_U64(XD_B, h->lines[4].side, "B ends");
	TEST_EQ_U64(n, h->lines[4].to, "at step n");
	TEST_EQ_U64(STEPS - n, h->lines[4].rest, "A has the rest");
	TEST_ASSERT(!sum.t[0].truncated && !sum.t[1].truncated, "both complete");
	TEST_EQ_U64(XT_END_SHUTDOWN, end_reason[1], "B's end");
	TEST_EQ_U64(XT_END_MAX_STEPS, end_reason[0], "A's end");
}

/* B stops early, in step with A to the last: the traces part where B has no step. */
static void test_shorter(void)
{
	struct tb b;
	tb_open(&b, tmp("short.xtr"), NULL);
	for (uint64_t k = 1; k <= 250; k++)
		tb_step(&b, &base[k]);
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("a.xtr"), tmp("short.xtr"));
	TEST_EQ_U64(1, s.hunks, "one hunk");
	TEST_EQ_U64(XD_CAUSE_END, hunks[0].cause, "named: B ends");
	TEST_EQ_U64(XD_B, hunks[0].cause_side, "B");
	TEST_EQ_U64(251, hunks[0].step_a, "at the first step B does not have");
	TEST_EQ_U64(251, hunks[0].step_b, "in both");
	TEST_EQ_STR("E", shape(&hunks[0]), "nothing else");
	TEST_EQ_U64(STEPS - 250, hunks[0].lines[0].rest, "A's steps after");
	TEST_EQ_U64(250, s.compared, "compared up to B's end");
	TEST_ASSERT(!xd_identical(&s), "not identical");
}

static void test_ktrace(void)
{
	const uint64_t n = 150;
	struct tb a, b;
	tb_open(&a, tmp("kt-a.xtr"), NULL);
	tb_open(&b, tmp("kt-b.xtr"), NULL);
	struct fx_rng rng = { 3 };
	for (uint64_t k = 1; k <= STEPS; k++) {
		tb_step(&a, &base[k]);
		tb_step(&b, &base[k]);
		struct xt_event ev;
		struct fx_event_storage st;
		/* both recorded kernel events: one at step 1 in each */
		if (k == 1 || k == n) {
			fx_event(&rng, XT_EV_KTRACE, k, &ev, &st);
			ev.ktrace.name = k == 1 ? "kvm:kvm_apicv_inhibit_changed" : "kvm:kvm_apicv_accept_irq";
			tb_event(&a, &ev);
			if (k == 1) {
				ev.ktrace.ts_ns += 12345;	/* when it happened is not what */
				tb_event(&b, &ev);
			}
		}
	}
	tb_close(&a, XT_END_MAX_STEPS);
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("kt-a.xtr"), tmp("kt-b.xtr"));
	TEST_EQ_U64(1, s.hunks, "one hunk: the posted interrupt");
	TEST_EQ_U64(n, hunks[0].step_a, "at its step");
	TEST_EQ_U64(XD_CAUSE_KTRACE, hunks[0].cause, "named: a kernel event");
	TEST_EQ_U64(XD_A, hunks[0].cause_side, "in A only");

	struct xd_options o;
	xd_options_init(&o);
	char msg[200];
	TEST_EQ_U64(0, xd_ignore_parse(&o, "ktrace", msg, sizeof(msg)), "ignore ktrace: %s", msg);
	s = run_opts(tmp("kt-a.xtr"), tmp("kt-b.xtr"), &o);
	TEST_ASSERT(xd_identical(&s), "--ignore ktrace");
}

static const struct xd_hdiff *find_hdiff(const struct xd_hdiffs *d, const char *what)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].what, what))
			return &d->v[i];
	return NULL;
}

/* Leaf 1 with APIC ID 0 ... */
static void cpuid_leaf1(struct fx_header *fh)
{
	fh->cpuid[0].function = 1;
	fh->cpuid[0].ebx = 0x00020800;
}

/* ... and with APIC ID 1, without BLOCKIRQ */
static void cpuid_and_debug(struct fx_header *fh)
{
	cpuid_leaf1(fh);
	fh->cpuid[0].ebx |= 0x01000000;
	fh->h.vm.guest_debug &= ~KVM_GUESTDBG_BLOCKIRQ;
}

static void test_headers(void)
{
	write_base(tmp("apicv-off.xtr"), "N");
	struct xt_reader *ra, *rb;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_reader_open(&ra, tmp("a.xtr"), &err), "%s", err.msg);
	TEST_EQ_U64(0, xt_reader_open(&rb, tmp("apicv-off.xtr"), &err), "%s", err.msg);
	struct xd_options o;
	xd_options_init(&o);
	struct xd_hdiffs d;
	TEST_EQ_U64(0, xd_compare_headers(xt_reader_header(ra), xt_reader_header(rb), &o, &d), "compare");
	TEST_EQ_U64(1, d.n, "only what differs is listed");
	const struct xd_hdiff *h = find_hdiff(&d, "kvm_intel.enable_apicv");
	TEST_ASSERT(h, "the APICv parameter");
	TEST_EQ_U64(XD_GROUP_HOST, h->group, "a host difference");
	TEST_ASSERT(h->key, "one that decides interrupt delivery");
	TEST_EQ_STR("Y", h->a, "A's value");
	TEST_EQ_STR("N", h->b, "B's value");
	xd_hdiffs_free(&d);

	/* the same trace against itself: nothing */
	TEST_EQ_U64(0, xd_compare_headers(xt_reader_header(ra), xt_reader_header(ra), &o, &d), "compare");
	TEST_EQ_U64(0, d.n, "no differences");
	xd_hdiffs_free(&d);
	xt_reader_close(ra);
	xt_reader_close(rb);

	/* the host differs, the behaviour does not */
	struct xd_summary s = run(tmp("a.xtr"), tmp("apicv-off.xtr"));
	TEST_ASSERT(xd_identical(&s), "steps identical whatever the host");

	/* CPUID leaf 1 with another APIC ID, and BLOCKIRQ off: both named */
	header_hook = cpuid_leaf1;
	write_base(tmp("leaf1.xtr"), NULL);
	header_hook = cpuid_and_debug;
	write_base(tmp("cpuid.xtr"), NULL);
	header_hook = NULL;
	TEST_EQ_U64(0, xt_reader_open(&ra, tmp("leaf1.xtr"), &err), "%s", err.msg);
	TEST_EQ_U64(0, xt_reader_open(&rb, tmp("cpuid.xtr"), &err), "%s", err.msg);
	TEST_EQ_U64(0, xd_compare_headers(xt_reader_header(ra), xt_reader_header(rb), &o, &d), "compare");
	TEST_EQ_U64(2, d.n, "two differences");
	TEST_EQ_STR("guest_debug", d.v[0].what, "BLOCKIRQ first: it decides interrupt delivery");
	TEST_ASSERT(d.v[0].key, "a key difference");
	TEST_EQ_STR("ENABLE|SINGLESTEP|BLOCKIRQ", d.v[0].a, "A's flags by name");
	TEST_EQ_STR("ENABLE|SINGLESTEP", d.v[0].b, "B's");
	TEST_EQ_STR("cpuid 0x1.0 ebx (host CPU's APIC ID)", d.v[1].what, "only the APIC ID differs");
	xd_hdiffs_free(&d);
	xt_reader_close(ra);
	xt_reader_close(rb);
}

static void test_ignore(void)
{
	struct xd_options o;
	xd_options_init(&o);
	char msg[300];
	TEST_EQ_U64(0, xd_ignore_parse(&o, "rbx,cs.selector,debug.dr6,irq-taken", msg, sizeof(msg)),
		    "known names: %s", msg);
	TEST_EQ_U64(~0ull, o.ignore[XT_F_RBX], "rbx ignored");
	TEST_EQ_U64(~0ull, o.ignore[XT_F_CS_SELECTOR], "cs.selector ignored");
	TEST_ASSERT(o.ignore_events & (1u << XT_EV_IRQ_TAKEN), "irq-taken events ignored");
	TEST_EQ_U64(-EINVAL, xd_ignore_parse(&o, "rflag", msg, sizeof(msg)), "unknown name");
	TEST_CONTAINS(msg, "'rflag'", "names it");
	TEST_CONTAINS(msg, "did you mean rflags", "and the close one");
	TEST_EQ_U64(-EINVAL, xd_ignore_parse(&o, "lapic.timer_curent", msg, sizeof(msg)), "typo");
	TEST_CONTAINS(msg, "lapic.timer_current", "close names");
	TEST_EQ_U64(-EINVAL, xd_ignore_parse(&o, "zzzzzzzzzz", msg, sizeof(msg)), "far from all");

	/* rbx changed at step 77: ignored, the traces are the same */
	test_one_field(77, false);
	xd_options_init(&o);
	TEST_EQ_U64(0, xd_ignore_parse(&o, "rbx", msg, sizeof(msg)), "rbx");
	struct xd_summary s = run_opts(tmp("a.xtr"), tmp("field.xtr"), &o);
	TEST_ASSERT(xd_identical(&s), "--ignore rbx");
}

static void test_limits(void)
{
	struct tb b;
	tb_open(&b, tmp("many.xtr"), NULL);
	for (uint64_t k = 1; k <= STEPS; k++) {
		struct xt_state s = base[k];
		if (k % 100 == 0)
			s.regs.rdx ^= k;	/* one step in every hundred */
		tb_step(&b, &s);
	}
	tb_close(&b, XT_END_MAX_STEPS);
	struct xd_summary s = run(tmp("a.xtr"), tmp("many.xtr"));
	TEST_EQ_U64(STEPS / 100, s.hunks, "every difference its hunk");
	for (unsigned i = 0; i < s.hunks; i++)
		TEST_EQ_U64(100 * (i + 1), hunks[i].step_a, "hunk %u", i + 1);

	struct xd_options o;
	xd_options_init(&o);
	o.max_hunks = 2;
	s = run_opts(tmp("a.xtr"), tmp("many.xtr"), &o);
	TEST_EQ_U64(2, s.hunks, "--max-hunks 2");
	TEST_EQ_U64(XD_STOP_MAX_HUNKS, s.stop, "stopped for it");
	TEST_ASSERT(s.compared < 300, "and stopped reading");

	xd_options_init(&o);
	o.first = true;
	s = run_opts(tmp("a.xtr"), tmp("many.xtr"), &o);
	TEST_EQ_U64(1, s.hunks, "--first");
	TEST_EQ_U64(XD_STOP_FIRST, s.stop, "stopped at it");
	TEST_EQ_U64(100, s.compared, "right there");
	TEST_EQ_STR("CCCD", shape(&hunks[0]), "context and the step");

	xd_options_init(&o);
	o.context = 0;
	s = run_opts(tmp("a.xtr"), tmp("many.xtr"), &o);
	TEST_EQ_STR("D", shape(&hunks[0]), "--context 0");
	o.context = 60;
	s = run_opts(tmp("a.xtr"), tmp("many.xtr"), &o);
	TEST_EQ_U64(1, s.hunks, "hunks 100 steps apart merge with 60 steps of context");
}

static void test_truncated(void)
{
	struct tb b;
	tb_open(&b, tmp("cut.xtr"), NULL);
	for (uint64_t k = 1; k <= 420; k++)
		tb_step(&b, &base[k]);
	xt_writer_abandon(b.w);		/* frames of 50 steps: 400 steps are whole */
	struct xd_summary s = run(tmp("a.xtr"), tmp("cut.xtr"));
	TEST_ASSERT(xd_identical(&s), "the same up to the cut");
	TEST_ASSERT(s.t[1].truncated, "B is truncated");
	TEST_ASSERT(!s.t[0].truncated, "A is not");
	TEST_EQ_U64(400, s.compared, "compared up to B's last whole frame");
	TEST_EQ_U64(400, s.t[1].last_step, "B's last step");
}

int main(void)
{
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct fx_rng rng = { 1 };
	base[0] = fh.initial;
	for (uint64_t k = 1; k <= STEPS; k++) {
		base[k] = base[k - 1];
		fx_step(&rng, &base[k], k, XT_CAPTURE_DEFAULT, false);
	}
	test_identical();
	test_one_field(123, false);
	test_one_field(123, true);
	/* the last step of a frame (50 steps a frame): its record is read before the next frame */
	test_one_field(150, false);
	test_same_length(149);
	test_same_length(150);
	test_carried();
	test_extra_handler(true);
	test_extra_handler(false);
	test_irq_timing();
	test_ambiguous();
	test_detour(1000, true);
	test_detour(64, false);
	test_shutdown();
	test_shorter();
	test_ktrace();
	test_headers();
	test_ignore();
	test_limits();
	test_truncated();

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	TEST_EQ_U64(0, system(cmd), "clean up");
	return 0;
}
