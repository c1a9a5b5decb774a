// SPDX-License-Identifier: MIT
/*
 * The diff engine on synthetic traces of two vCPUs, written through the
 * library (no KVM):
 * - each vCPU is walked against the same vCPU: identical traces are
 *   identical on both; a field changed on vCPU 1 is one hunk of vCPU 1 at
 *   its own step, with the global steps and context of vCPU 1 only;
 * - the global order: the same streams interleaved otherwise are identical
 *   per vCPU, and the first global step where they part is told; an IPI
 *   from vCPU 0 taken by vCPU 1 at another own step is told with both;
 * - --vcpu (vcpu >= 0) keeps only that vCPU's notes;
 * - a vCPU count that differs is a header difference.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "fixture.h"
#include "test_util.h"

#define OWN_STEPS 300		/* each vCPU's */
#define IPI_VECTOR 0xf0
#define CHANGED_STEP 150	/* vCPU 1's own step changed in "field" */

static char dir[] = "/tmp/xt-diff-vcpus-XXXXXX";

struct spec {
	uint32_t n_vcpus;
	uint64_t swap_at;	/* from this global step on, vCPU 1 runs first in each pair (0: never) */
	uint64_t ipi_taken;	/* vCPU 1's own step that takes the IPI (0: none) */
	uint64_t ipi_taken2;	/* ... and the second one (0: none) */
	uint64_t changed;	/* vCPU 1's own step whose rbx is changed (0: none) */
};

/* vCPU v's own step k: the fixture's plain loop from its initial state, whatever the order. */
static void write_trace(const char *path, const struct spec *sp)
{
	static struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fx_header_vcpus(&fh, sp->n_vcpus);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 50 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, &opts, &err), "open %s: %s", path, err.msg);
	struct xt_state s[2] = { fh.initial, sp->n_vcpus > 1 ? fh.initial_vcpus[0] : fh.initial };
	struct fx_rng rng[2] = { { 1 }, { 2 } };
	uint64_t own[2] = { 0, 0 }, global = 0;
	for (uint64_t k = 1; k <= OWN_STEPS; k++) {
		for (uint32_t turn = 0; turn < sp->n_vcpus; turn++) {
			uint32_t v = sp->n_vcpus > 1 && sp->swap_at && global + 1 >= sp->swap_at ? 1 - turn : turn;
			global++;
			own[v]++;
			fx_step(&rng[v], &s[v], own[v], XT_CAPTURE_DEFAULT, false);
			struct xt_state st = s[v];
			if (v == 1 && own[v] == sp->changed)
				st.regs.rbx ^= 0x5a;
			TEST_EQ_U64(0, xt_writer_step_vcpu(w, v, &st, 0), "step %" PRIu64, global);
			if (v == 0 && (own[v] == 20 || own[v] == 100)) {
				/* vCPU 0 sends IPI_VECTOR to APIC ID 2 (vCPU 1): fixed, physical */
				struct xt_event ev = { .kind = XT_EV_IPI, .step = global, .vcpu = 0 };
				ev.ipi.icr = (2ull << 56) | IPI_VECTOR;
				TEST_EQ_U64(0, xt_writer_event(w, &ev), "ipi event");
			}
			if (v == 1 && (own[v] == sp->ipi_taken || own[v] == sp->ipi_taken2)) {
				/* its delivery failed: the walk stays in lock-step, the event alone differs */
				struct xt_event ev = fx_taken(global);
				ev.vcpu = 1;
				ev.taken.vector = IPI_VECTOR;
				ev.taken.outcome = XT_TAKEN_FAILED;
				TEST_EQ_U64(0, xt_writer_event(w, &ev), "irq-taken event");
			}
		}
	}
	struct xt_footer foot = { .end_reason = XT_END_HLT };
	TEST_EQ_U64(0, xt_writer_close(w, &foot, &err), "close: %s", err.msg);
}

struct seen {
	unsigned hunks;
	struct xd_hunk first;		/* its lines are not kept */
	uint64_t ctx_step[8], ctx_global[8];
	size_t n_ctx;
	bool all_one_vcpu;
};

static void on_hunk(void *arg, const struct xd_hunk *h)
{
	struct seen *s = arg;
	if (!s->hunks++) {
		s->first = *h;
		for (size_t i = 0; i < h->n_lines && s->n_ctx < 8; i++) {
			if (h->lines[i].kind != XD_LINE_CONTEXT)
				break;
			s->ctx_step[s->n_ctx] = h->lines[i].a.step;
			s->ctx_global[s->n_ctx++] = h->lines[i].a.global;
		}
	}
}

static struct xd_diff *open_pair(const char *a, const char *b)
{
	struct xd_options o;
	xd_options_init(&o);
	struct xd_diff *d;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xd_open(&d, test_path(dir, a), test_path(dir, b), &o, &err), "open: %s", err.msg);
	return d;
}

static void run_vcpu(struct xd_diff *d, uint32_t v, struct seen *seen, struct xd_summary *s)
{
	memset(seen, 0, sizeof(*seen));
	TEST_EQ_U64(0, xd_run_vcpu(d, v, on_hunk, seen, s), "vCPU %u: %s", v, xd_error(d)->msg);
	TEST_ASSERT(s->per_vcpu && s->vcpu == v, "the summary is vCPU %u's", v);
}

static struct xd_order order_of(const char *a, const char *b, int32_t vcpu)
{
	struct xd_order o;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xd_compare_order(test_path(dir, a), test_path(dir, b), vcpu, &o, &err), "order: %s",
		    err.msg);
	return o;
}

static void test_identical(void)
{
	struct xd_diff *d = open_pair("plain.xtr", "plain2.xtr");
	TEST_ASSERT(xd_per_vcpu(d), "two vCPUs: walked per vCPU");
	TEST_EQ_U64(2, xd_common_vcpus(d), "both");
	for (uint32_t v = 0; v < 2; v++) {
		struct seen seen;
		struct xd_summary s;
		run_vcpu(d, v, &seen, &s);
		TEST_EQ_U64(0, s.hunks, "vCPU %u: no hunk", v);
		TEST_EQ_U64(OWN_STEPS, s.compared, "vCPU %u: its own steps compared", v);
		TEST_ASSERT(s.t[0].at_end && s.t[1].at_end, "to the end");
	}
	TEST_ASSERT(!xd_ends_differ(d), "same ends");
	struct xd_order o = order_of("plain.xtr", "plain2.xtr", -1);
	TEST_EQ_U64(0, o.n, "the global order is the same");
	xd_order_free(&o);
	xd_close(d);
}

static void test_field(void)
{
	struct xd_diff *d = open_pair("plain.xtr", "field.xtr");
	struct seen seen;
	struct xd_summary s;
	run_vcpu(d, 0, &seen, &s);
	TEST_EQ_U64(0, s.hunks, "vCPU 0 is the same");
	run_vcpu(d, 1, &seen, &s);
	TEST_EQ_U64(1, s.hunks, "vCPU 1: one hunk");
	TEST_ASSERT(seen.first.per_vcpu && seen.first.vcpu == 1, "a hunk of vCPU 1");
	TEST_EQ_U64(CHANGED_STEP, seen.first.step_a, "at its own step in A");
	TEST_EQ_U64(CHANGED_STEP, seen.first.step_b, "and in B");
	/* vCPU 1 runs second in each pair: its own step k is global step 2k */
	TEST_EQ_U64(2 * CHANGED_STEP, seen.first.global_a, "its global step in A");
	TEST_EQ_U64(2 * CHANGED_STEP, seen.first.global_b, "and in B");
	TEST_EQ_U64(XD_CONTEXT_DEFAULT, seen.n_ctx, "context before it");
	for (size_t i = 0; i < seen.n_ctx; i++) {
		uint64_t want = CHANGED_STEP - XD_CONTEXT_DEFAULT + i;
		TEST_EQ_U64(want, seen.ctx_step[i], "context: vCPU 1's own steps");
		TEST_EQ_U64(2 * want, seen.ctx_global[i], "re-read from vCPU 1's steps only");
	}
	xd_close(d);
}

static void test_interleave(void)
{
	struct xd_diff *d = open_pair("plain.xtr", "swapped.xtr");
	for (uint32_t v = 0; v < 2; v++) {
		struct seen seen;
		struct xd_summary s;
		run_vcpu(d, v, &seen, &s);
		TEST_EQ_U64(0, s.hunks, "vCPU %u: its own stream is the same", v);
	}
	xd_close(d);
	struct xd_order o = order_of("plain.xtr", "swapped.xtr", -1);
	TEST_EQ_U64(1, o.n, "one note: %zu", o.n);
	TEST_EQ_U64(XD_ORDER_INTERLEAVE, o.v[0].kind, "the interleaving");
	TEST_EQ_U64(201, o.v[0].step[0], "from the first step they part");
	TEST_EQ_U64(0, o.v[0].runs[0], "A runs vCPU 0 there");
	TEST_EQ_U64(1, o.v[0].runs[1], "B vCPU 1");
	xd_order_free(&o);
	o = order_of("plain.xtr", "swapped.xtr", 0);
	TEST_EQ_U64(0, o.n, "not told for one vCPU");
	xd_order_free(&o);
}

static void test_ipi(void)
{
	struct xd_order o = order_of("ipi60.xtr", "ipi62.xtr", -1);
	TEST_EQ_U64(1, o.n, "one note");
	const struct xd_order_note *n = &o.v[0];
	TEST_EQ_U64(XD_ORDER_IPI, n->kind, "an IPI");
	TEST_EQ_U64(1, n->vcpu, "taken by vCPU 1");
	TEST_EQ_U64(IPI_VECTOR, n->vector, "its vector");
	TEST_ASSERT(n->in[0] && n->in[1], "in both");
	TEST_EQ_U64(60, n->step[0], "at its own step 60 in A");
	TEST_EQ_U64(62, n->step[1], "62 in B");
	xd_order_free(&o);
	/* the k-th with the k-th: the second IPI is in A only */
	o = order_of("ipi60-120.xtr", "ipi62.xtr", -1);
	TEST_EQ_U64(2, o.n, "two notes");
	TEST_ASSERT(o.v[0].in[0] && o.v[0].in[1] && o.v[0].step[0] == 60 && o.v[0].step[1] == 62,
		    "the first IPI: 60 in A, 62 in B");
	TEST_ASSERT(o.v[1].in[0] && !o.v[1].in[1] && o.v[1].step[0] == 120, "the second: in A only, at 120");
	xd_order_free(&o);
	o = order_of("ipi62.xtr", "ipi60-120.xtr", -1);
	TEST_EQ_U64(2, o.n, "the other way round");
	TEST_ASSERT(!o.v[1].in[0] && o.v[1].in[1] && o.v[1].step[1] == 120, "in B only, at 120");
	xd_order_free(&o);
	o = order_of("ipi60.xtr", "ipi60.xtr", -1);
	TEST_EQ_U64(0, o.n, "the same step: nothing to tell");
	xd_order_free(&o);
	o = order_of("ipi60.xtr", "plain.xtr", 1);
	TEST_EQ_U64(1, o.n, "in A only");
	TEST_ASSERT(o.v[0].in[0] && !o.v[0].in[1], "A, not B");
	xd_order_free(&o);
	o = order_of("ipi60.xtr", "plain.xtr", 0);
	TEST_EQ_U64(0, o.n, "vCPU 0 took nothing");
	xd_order_free(&o);

	/* vCPU 1's walk sees the event at its own step too */
	struct xd_diff *d = open_pair("ipi60.xtr", "ipi62.xtr");
	struct seen seen;
	struct xd_summary s;
	run_vcpu(d, 1, &seen, &s);
	TEST_EQ_U64(1, s.hunks, "vCPU 1: one hunk");
	TEST_EQ_U64(60, seen.first.step_a, "from its own step 60");
	run_vcpu(d, 0, &seen, &s);
	TEST_EQ_U64(0, s.hunks, "vCPU 0: the sender is the same");
	xd_close(d);
}

static void test_counts(void)
{
	struct xd_diff *d = open_pair("plain.xtr", "one.xtr");
	TEST_ASSERT(xd_per_vcpu(d), "one trace of two vCPUs: per vCPU");
	TEST_EQ_U64(1, xd_common_vcpus(d), "vCPU 0 in common");
	struct xd_options o;
	xd_options_init(&o);
	struct xd_hdiffs hd;
	TEST_EQ_U64(0, xd_compare_headers(xd_header(d, XD_A), xd_header(d, XD_B), &o, &hd), "headers");
	bool told = false;
	for (size_t i = 0; i < hd.n; i++)
		told |= !strcmp(hd.v[i].what, "vcpus") && !strcmp(hd.v[i].a, "2") && !strcmp(hd.v[i].b, "1");
	TEST_ASSERT(told, "the header comparison names the vCPU counts");
	xd_hdiffs_free(&hd);
	struct xd_summary s;
	TEST_ASSERT(xd_run_vcpu(d, 1, NULL, NULL, &s) < 0, "vCPU 1 is not in both");
	xd_close(d);
}

int main(void)
{
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	const struct { const char *name; struct spec sp; } traces[] = {
		{ "plain.xtr", { 2, 0, 0, 0, 0 } },
		{ "plain2.xtr", { 2, 0, 0, 0, 0 } },
		{ "field.xtr", { 2, 0, 0, 0, CHANGED_STEP } },
		{ "swapped.xtr", { 2, 201, 0, 0, 0 } },
		{ "ipi60.xtr", { 2, 0, 60, 0, 0 } },
		{ "ipi62.xtr", { 2, 0, 62, 0, 0 } },
		{ "ipi60-120.xtr", { 2, 0, 60, 120, 0 } },
		{ "one.xtr", { 1, 0, 0, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++)
		write_trace(test_path(dir, traces[i].name), &traces[i].sp);
	test_identical();
	test_field();
	test_interleave();
	test_ipi();
	test_counts();
	for (size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++)
		unlink(test_path(dir, traces[i].name));
	rmdir(dir);
	return 0;
}
