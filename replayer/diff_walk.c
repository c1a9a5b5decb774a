// SPDX-License-Identifier: MIT
/*
 * The walk: both traces in lock-step from step 0.  At a differing pair it
 * opens a hunk (re-reading the few steps before it for context, so that
 * nothing is copied per step) and decides how to get back in step:
 *
 * - one trace took an interrupt and the other did not: read on in that
 *   trace until its handler returns, i.e. RSP is back at the interrupted
 *   RSP and RIP at the interrupted instruction (architectural), or RSP and
 *   RIP equal the other trace's after it ran that instruction (hosts whose
 *   IRET step also runs the next instruction, like kvm_pvm: kvm-facts Q5);
 * - control flow went apart (RIP differs): search both traces, up to a
 *   window of steps each, for the first pair of steps whose RIP, RSP and
 *   general registers agree, and go on from there;
 * - otherwise (same instruction, different data) stay in lock-step.
 *
 * A hunk stays open while differences come within 2 x context equal steps
 * of each other, as diff -U merges them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_hunk.h"

struct window_entry {
	uint64_t step;
	struct xt_regs regs;
};

struct window {
	struct window_entry *e;
	size_t n, cap;
	int32_t *slot;		/* hash table of indices into e; -1 empty */
	size_t nslots;
};

struct xd_diff {
	struct xd_options o;
	int32_t vcpu;			/* the vCPU walked (xd_run_vcpu), or -1 */
	const char *path[2];
	struct xd_cursor cur[2];
	struct xd_cursor ctx;		/* re-reads context; open while in use */
	struct xd_cmp cmp;
	struct xt_error err;
	struct xd_hunk_buf hunk;
	struct xd_summary sum;
	bool stop;
	bool hold[2];			/* do not advance this trace for the next pair */
	bool rebase_next;		/* the next pair sets the comparison's baseline */
	struct xd_stored_line *resync_line;	/* to receive the carried fields of that baseline */
	void (*on_hunk)(void *, const struct xd_hunk *);
	void *ctx_arg;
	struct window win[2];
	struct xd_line lines[XD_HUNK_MAX_ALL];
};

static const char side_name[2] = { 'A', 'B' };

/* side: the trace whose reader failed (its message is kept), or -1. */
static int fail(struct xd_diff *d, int side, int rc)
{
	const struct xt_error *re = side >= 0 ? xt_reader_error(d->cur[side].r) : NULL;
	if (re && re->code)
		snprintf(d->err.msg, sizeof(d->err.msg), "%c (%.100s): %.200s", side_name[side],
			 d->path[side], re->msg);
	else
		snprintf(d->err.msg, sizeof(d->err.msg), "%s", strerror(-rc));
	d->err.code = rc;
	return rc;
}

/* ---- open ---- */

/* Did the recording ask for kernel tracepoint events? */
static bool has_ktrace(const struct xt_reader *r)
{
	const struct xt_footer *f = xt_reader_footer(r);
	if (f)
		return f->event_counts[XT_EV_KTRACE] > 0;
	const struct xt_header *h = xt_reader_header(r);
	for (size_t i = 0; i < h->argc; i++)
		if (h->argv[i] && !strcmp(h->argv[i], "--ktrace"))
			return true;
	return false;
}

int xd_open(struct xd_diff **out, const char *path_a, const char *path_b,
	    const struct xd_options *o, struct xt_error *err)
{
	*out = NULL;
	struct xd_diff *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		err->code = -ENOMEM;
		return -ENOMEM;
	}
	d->o = *o;
	if (!d->o.window)
		d->o.window = XD_WINDOW_DEFAULT;
	d->path[0] = path_a;
	d->path[1] = path_b;
	for (int s = 0; s < 2; s++) {
		struct xt_reader *r;
		int rc = xt_reader_open(&r, d->path[s], err);
		if (rc < 0) {
			xd_close(d);
			return rc;
		}
		rc = xd_cursor_init(&d->cur[s], r);
		if (rc < 0) {
			*err = *xt_reader_error(r);
			if (!err->code) {
				err->code = rc;
				snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
			}
			xd_cursor_free(&d->cur[s]);
			xd_close(d);
			return rc;
		}
	}
	xd_cmp_init(&d->cmp, d->cur[0].h, d->cur[1].h,
		    has_ktrace(d->cur[0].r) && has_ktrace(d->cur[1].r), &d->o);
	d->vcpu = -1;
	*out = d;
	return 0;
}

void xd_close(struct xd_diff *d)
{
	if (!d)
		return;
	for (int s = 0; s < 2; s++) {
		if (d->cur[s].r)
			xd_cursor_free(&d->cur[s]);
		free(d->win[s].e);
		free(d->win[s].slot);
	}
	if (d->ctx.r)
		xd_cursor_free(&d->ctx);
	xd_hunk_reset(&d->hunk);
	free(d->hunk.v);
	free(d);
}

const struct xt_header *xd_header(const struct xd_diff *d, enum xd_side side)
{
	return d->cur[side].h;
}

const struct xt_error *xd_error(const struct xd_diff *d)
{
	return &d->err;
}

const struct xt_error *xd_inconsistency(const struct xd_diff *d, enum xd_side side)
{
	return xt_reader_inconsistency(d->cur[side].r);
}

/* ---- hunks ---- */

/* The global step of a cursor's own step, for the labels (only with several vCPUs). */
static uint64_t global_of(const struct xd_cursor *c, uint64_t step)
{
	return c->vcpu < 0 ? 0 : xd_cursor_global_of(c, step);
}

static struct xd_view_src view_of(const struct xd_cursor *c)
{
	return (struct xd_view_src){ .step = c->step, .global = c->vcpu < 0 ? 0 : c->global,
				     .rip_before = c->rip_before, .state = c->state,
				     .changed = c->changed, .events = &c->ev };
}

static int add_line(struct xd_diff *d, uint32_t kind, const struct xd_view_src *a,
		    const struct xd_view_src *b, struct xd_stored_line **out)
{
	int rc;
	struct xd_stored_line *l = xd_hunk_add(&d->hunk, kind, a, b, &rc);
	if (out)
		*out = l;
	return rc < 0 ? fail(d, -1, rc) : 0;
}

static int context_failed(struct xd_diff *d, int rc)
{
	const struct xt_error *re = xt_reader_error(d->ctx.r);
	if (!re->code)
		return fail(d, -1, rc);
	snprintf(d->err.msg, sizeof(d->err.msg), "A (%.80s), reading context again: %.180s",
		 d->path[0], re->msg);
	d->err.code = rc;
	return rc;
}

/*
 * The equal steps before A's step `a` (B's `b`), re-read from A's trace by
 * a reader of its own: nothing is kept per step while the traces agree.
 */
static int leading_context(struct xd_diff *d, uint64_t a, uint64_t b)
{
	unsigned n = d->o.context;
	if (!n || a <= 1)
		return 0;
	uint64_t from = a > n ? a - n : 1;
	if (!d->ctx.r) {
		struct xt_reader *r;
		struct xt_error e;
		if (xt_reader_open(&r, d->path[0], &e) < 0) {
			d->err = e;
			return e.code;
		}
		int rc = d->vcpu < 0 ? xd_cursor_init(&d->ctx, r)
				     : xd_cursor_init_vcpu(&d->ctx, r, (uint32_t)d->vcpu, 0);
		if (rc < 0)
			return fail(d, -1, rc);
	}
	/* from the step before, to know the RIP the first context step ran */
	uint64_t start = from > 1 ? from - 1 : from;
	/* a vCPU's own step: A's cursor knows where it is in the global order */
	int rc = xd_cursor_seek_at(&d->ctx, start, xd_cursor_global_of(&d->cur[0], start));
	if (rc < 0)
		return context_failed(d, rc);
	if (start == from)
		d->ctx.rip_before = d->ctx.initial->regs.rip;
	for (;;) {
		if (d->ctx.step >= from) {
			struct xd_view_src va = view_of(&d->ctx);
			uint64_t sb = d->ctx.step + b - a;
			struct xd_view_src vb = { .step = sb, .global = global_of(&d->cur[1], sb) };
			XD_TRY(add_line(d, XD_LINE_CONTEXT, &va, &vb, NULL));
		}
		if (d->ctx.step + 1 >= a)
			return 0;
		rc = xd_cursor_next(&d->ctx);
		if (rc <= 0)
			return context_failed(d, rc < 0 ? rc : -ERANGE);
	}
}

static int open_hunk(struct xd_diff *d)
{
	if (d->hunk.open)
		return 0;
	d->hunk.open = true;
	d->hunk.step_a = d->cur[0].step;
	d->hunk.step_b = d->cur[1].step;
	d->hunk.global_a = d->vcpu < 0 ? 0 : d->cur[0].global;
	d->hunk.global_b = d->vcpu < 0 ? 0 : d->cur[1].global;
	d->hunk.rip = d->cur[0].rip_before;
	return leading_context(d, d->cur[0].step, d->cur[1].step);
}

static void close_hunk(struct xd_diff *d)
{
	if (!d->hunk.open)
		return;
	xd_hunk_trim(&d->hunk, d->o.context);
	struct xd_hunk h;
	xd_hunk_finish(&d->hunk, &d->cmp, ++d->sum.hunks, d->lines, &h);
	h.per_vcpu = d->vcpu >= 0;
	h.vcpu = h.per_vcpu ? (uint32_t)d->vcpu : 0;
	if (d->on_hunk)
		d->on_hunk(d->ctx_arg, &h);
	xd_hunk_reset(&d->hunk);
	d->resync_line = NULL;
	if (d->o.max_hunks && d->sum.hunks >= d->o.max_hunks) {
		d->stop = true;
		d->sum.stop = XD_STOP_MAX_HUNKS;
	}
}

static int equal_pair(struct xd_diff *d)
{
	if (!d->hunk.open)
		return 0;
	unsigned n = d->o.context;
	if (++d->hunk.equal_run > 2 * n) {
		close_hunk(d);
		return 0;
	}
	struct xd_view_src va = view_of(&d->cur[0]);
	struct xd_view_src vb = { .step = d->cur[1].step, .global = view_of(&d->cur[1]).global };
	return add_line(d, XD_LINE_CONTEXT, &va, &vb, NULL);
}

static int diff_pair(struct xd_diff *d, const struct xt_field_set *fields, bool events_differ)
{
	XD_TRY(open_hunk(d));
	struct xd_view_src va = view_of(&d->cur[0]), vb = view_of(&d->cur[1]);
	struct xd_stored_line *l;
	XD_TRY(add_line(d, XD_LINE_DIFF, &va, &vb, &l));
	if (!l)
		return 0;
	l->line.events_differ = events_differ;
	int rc = xd_hunk_set_fields(l, fields);
	return rc < 0 ? fail(d, -1, rc) : 0;
}

static int skip_line(struct xd_diff *d, int side, uint64_t from, uint64_t to)
{
	if (to < from)
		return 0;
	d->sum.t[side].skipped += to - from + 1;
	struct xd_stored_line *l;
	XD_TRY(add_line(d, XD_LINE_SKIP, NULL, NULL, &l));
	if (l) {
		l->line.side = (uint32_t)side;
		l->line.from = from;
		l->line.to = to;
	}
	return 0;
}

/* The carried differences of the new baseline go to the resync line. */
static int resync_line(struct xd_diff *d, uint32_t how, uint64_t a, uint64_t b)
{
	struct xd_view_src va = { .step = a, .global = global_of(&d->cur[0], a) };
	struct xd_view_src vb = { .step = b, .global = global_of(&d->cur[1], b) };
	XD_TRY(add_line(d, XD_LINE_RESYNC, &va, &vb, &d->resync_line));
	if (d->resync_line)
		d->resync_line->line.how = how;
	return 0;
}

/*
 * Rebase the comparison on the current pair.  The fields that differ are
 * carried over from the skipped steps (listed on the resync line), except
 * RIP and the exit, which count at this pair: out.
 */
static int rebase_here(struct xd_diff *d, struct xt_field_set *out)
{
	const struct xt_state *a = d->cur[0].state, *b = d->cur[1].state;
	xd_cmp_rebase(&d->cmp, a, b);
	struct xt_field_set carried = d->cmp.differ;
	memset(out, 0, sizeof(*out));
	xd_cmp_absolute(&d->cmp, a, b, out);
	XT_FIELD_SET_FOREACH(&d->cmp.absolute, id)
		xt_field_set_del(&carried, id);
	if (d->resync_line) {
		/* the line keeps the steps that agree; the values shown are the baseline's */
		struct xd_view_src va = view_of(&d->cur[0]), vb = view_of(&d->cur[1]);
		va.step = d->resync_line->line.a.step;
		vb.step = d->resync_line->line.b.step;
		va.global = d->resync_line->line.a.global;
		vb.global = d->resync_line->line.b.global;
		int rc = xd_hunk_set_fields(d->resync_line, &carried);
		if (rc == 0)
			rc = xd_hunk_set_views(d->resync_line, &va, &vb);
		d->resync_line = NULL;
		if (rc < 0)
			return fail(d, -1, rc);
	}
	return 0;
}

/* ---- ends ---- */

/* Steps a trace has after step `after`: from its footer, or by reading on. */
static int steps_after(struct xd_diff *d, int side, uint64_t after, uint64_t *rest)
{
	struct xd_cursor *c = &d->cur[side];
	const struct xt_footer *f = xt_reader_footer(c->r);
	/* a vCPU's own steps: its part of the footer (a trace of one vCPU has none) */
	uint64_t steps = f ? f->steps : 0;
	if (f && c->vcpu >= 0 && (size_t)c->vcpu < f->n_vcpus)
		steps = f->vcpus[c->vcpu].steps;
	else if (f && c->vcpu > 0)
		f = NULL;
	if (f) {
		*rest = steps > after ? steps - after : 0;
		return 0;
	}
	uint64_t last = c->step;
	int rc;
	while ((rc = xd_cursor_next(c)) > 0)
		last = c->step;
	if (rc < 0)
		return fail(d, side, rc);
	*rest = last > after ? last - after : 0;
	return 0;
}

/* Trace `side` ended after step `last`; the other is at step `other_last` or beyond. */
static int one_ended(struct xd_diff *d, int side, uint64_t other_compared)
{
	d->stop = true;
	d->sum.stop = XD_STOP_END;
	struct xd_cursor *c = &d->cur[side];
	/* a recording that was cut short says nothing about what came next */
	if (!xt_reader_footer(c->r))
		return 0;
	uint64_t rest = 0;
	XD_TRY(steps_after(d, !side, other_compared, &rest));
	if (!rest)
		return 0;
	if (!d->hunk.open) {
		/* the traces part at the first step one of them does not have */
		uint64_t first[2];
		first[side] = c->step + 1;
		first[!side] = other_compared + 1;
		d->hunk.open = true;
		d->hunk.step_a = first[0];
		d->hunk.step_b = first[1];
		d->hunk.rip = side == XD_A ? c->state->regs.rip : d->cur[0].rip_before;
	}
	struct xd_stored_line *l;
	struct xd_view_src v = view_of(c);
	XD_TRY(add_line(d, XD_LINE_END, side == XD_A ? &v : NULL, side == XD_B ? &v : NULL, &l));
	if (l) {
		l->line.side = (uint32_t)side;
		l->line.to = c->step;
		l->line.rest = rest;
		l->line.rest_known = true;
	}
	return 0;
}

static int both_ended(struct xd_diff *d)
{
	d->stop = true;
	d->sum.stop = XD_STOP_END;
	const struct xt_footer *fa = xt_reader_footer(d->cur[0].r);
	const struct xt_footer *fb = xt_reader_footer(d->cur[1].r);
	/* one vCPU's walk: how the traces ended is about all of them (xd_ends_differ) */
	if (d->vcpu < 0 && fa && fb && (fa->end_reason != fb->end_reason || fa->end_code != fb->end_code))
		d->sum.ends_differ = true;
	return 0;
}

const struct xt_footer *xd_footer(const struct xd_diff *d, enum xd_side side)
{
	return xt_reader_footer(d->cur[side].r);
}

bool xd_ends_differ(const struct xd_diff *d)
{
	const struct xt_footer *fa = xt_reader_footer(d->cur[0].r);
	const struct xt_footer *fb = xt_reader_footer(d->cur[1].r);
	return fa && fb && (fa->end_reason != fb->end_reason || fa->end_code != fb->end_code);
}

/* ---- resynchronisation ---- */

static const struct xt_event *taken(const struct xd_cursor *c, bool handler_only)
{
	for (size_t i = 0; i < c->ev.n; i++)
		if (c->ev.v[i].kind == XT_EV_IRQ_TAKEN &&
		    (!handler_only || c->ev.v[i].taken.outcome == XT_TAKEN_HANDLER))
			return &c->ev.v[i];
	return NULL;
}

/* The trace that took an interrupt into a handler at this pair while the other took none. */
static int irq_only_side(const struct xd_diff *d)
{
	bool a = taken(&d->cur[0], true), b = taken(&d->cur[1], true);
	if (a && !taken(&d->cur[1], false))
		return XD_A;
	if (b && !taken(&d->cur[0], false))
		return XD_B;
	return -1;
}

static int skip_handler(struct xd_diff *d, int side)
{
	struct xd_cursor *s = &d->cur[side], *o = &d->cur[!side];
	uint64_t rip = s->rip_before, rsp = s->rsp_before, from = s->step + 1;
	for (uint64_t k = 0; k < d->o.window; k++) {
		int rc = xd_cursor_next(s);
		if (rc < 0)
			return fail(d, side, rc);
		if (rc == 0) {
			XD_TRY(skip_line(d, side, from, s->step));
			return one_ended(d, side, o->step);
		}
		const struct xt_regs *r = &s->state->regs;
		if (r->rsp == rsp && r->rip == rip) {
			/* back at the interrupted instruction: the other trace's step ran it */
			XD_TRY(skip_line(d, side, from, s->step));
			XD_TRY(resync_line(d, XD_RESYNC_IRQ_RETURN, side ? o->step - 1 : s->step,
					   side ? s->step : o->step - 1));
			d->hold[!side] = true;
			d->rebase_next = true;
			return 0;
		}
		if (r->rsp == o->state->regs.rsp && r->rip == o->state->regs.rip) {
			XD_TRY(skip_line(d, side, from, s->step));
			XD_TRY(resync_line(d, XD_RESYNC_IRQ_RETURN_NEXT, d->cur[0].step, d->cur[1].step));
			struct xt_field_set now;
			XD_TRY(rebase_here(d, &now));
			return 0;
		}
	}
	XD_TRY(skip_line(d, side, from, s->step));
	struct xd_stored_line *l;
	XD_TRY(add_line(d, XD_LINE_GIVE_UP, NULL, NULL, &l));
	if (l) {
		l->line.side = (uint32_t)side;
		l->line.to = d->o.window;
	}
	d->stop = true;
	d->sum.stop = XD_STOP_NO_RESYNC;
	return 0;
}

static int window_reset(struct xd_diff *d, struct window *w)
{
	uint64_t want = d->o.window + 1;
	if (w->cap < want) {
		free(w->e);
		free(w->slot);
		w->nslots = 1;
		while (w->nslots < 2 * want)
			w->nslots *= 2;
		w->e = malloc(want * sizeof(*w->e));
		w->slot = malloc(w->nslots * sizeof(*w->slot));
		if (!w->e || !w->slot) {
			w->cap = 0;
			return fail(d, -1, -ENOMEM);
		}
		w->cap = want;
	}
	w->n = 0;
	memset(w->slot, 0xff, w->nslots * sizeof(*w->slot));
	return 0;
}

static void window_add(const struct xd_cmp *c, struct window *w, const struct xd_cursor *cur)
{
	if (w->n == w->cap)
		return;
	size_t i = w->n++;
	w->e[i] = (struct window_entry){ cur->step, cur->state->regs };
	size_t mask = w->nslots - 1, k = xd_cmp_regs_hash(c, &cur->state->regs) & mask;
	/* the first step with a register set is the one kept: the earliest resync point */
	while (w->slot[k] >= 0) {
		if (xd_cmp_regs_agree(c, &w->e[w->slot[k]].regs, &cur->state->regs))
			return;
		k = (k + 1) & mask;
	}
	w->slot[k] = (int32_t)i;
}

static const struct window_entry *window_find(const struct xd_cmp *c, const struct window *w,
					      const struct xt_regs *r)
{
	size_t mask = w->nslots - 1, k = xd_cmp_regs_hash(c, r) & mask;
	for (; w->slot[k] >= 0; k = (k + 1) & mask)
		if (xd_cmp_regs_agree(c, &w->e[w->slot[k]].regs, r))
			return &w->e[w->slot[k]];
	return NULL;
}

/* Reposition a trace's cursor at a step of its window. */
static int rewind_to(struct xd_diff *d, int side, const struct window *w, uint64_t step,
		     uint64_t rip_before, uint64_t rsp_before)
{
	struct xd_cursor *c = &d->cur[side];
	if (c->step == step)
		return 0;
	int rc = xd_cursor_seek(c, step);
	if (rc < 0)
		return fail(d, side, rc);
	uint64_t first = w->e[0].step;
	if (step > first) {
		const struct xt_regs *r = &w->e[step - 1 - first].regs;
		c->rip_before = r->rip;
		c->rsp_before = r->rsp;
	} else {
		c->rip_before = rip_before;
		c->rsp_before = rsp_before;
	}
	return 0;
}

static int search(struct xd_diff *d)
{
	struct window *w = d->win;
	struct xd_cursor *c = d->cur;
	uint64_t start[2] = { c[0].step, c[1].step };
	uint64_t rip0[2] = { c[0].rip_before, c[1].rip_before };
	uint64_t rsp0[2] = { c[0].rsp_before, c[1].rsp_before };
	XD_TRY(window_reset(d, &w[0]));
	XD_TRY(window_reset(d, &w[1]));
	window_add(&d->cmp, &w[0], &c[0]);
	window_add(&d->cmp, &w[1], &c[1]);
	bool ended[2] = { false, false };
	uint64_t match[2] = { 0, 0 };
	bool found = false;
	for (uint64_t k = 0; k < d->o.window && !found && !ended[0] && !ended[1]; k++) {
		for (int s = 0; s < 2 && !found && !ended[s]; s++) {
			int rc = xd_cursor_next(&c[s]);
			if (rc < 0)
				return fail(d, s, rc);
			if (rc == 0) {
				ended[s] = true;
				continue;
			}
			window_add(&d->cmp, &w[s], &c[s]);
			const struct window_entry *e = window_find(&d->cmp, &w[!s], &c[s].state->regs);
			if (e) {
				match[s] = c[s].step;
				match[!s] = e->step;
				found = true;
			}
		}
	}
	if (!found && (ended[0] || ended[1])) {
		/* one trace ended apart from the other: what the other did after is its own */
		int s = ended[0] ? 0 : 1;
		return one_ended(d, s, start[!s]);
	}
	if (!found) {
		for (int s = 0; s < 2; s++)
			XD_TRY(skip_line(d, s, start[s] + 1, c[s].step));
		struct xd_stored_line *l;
		XD_TRY(add_line(d, XD_LINE_GIVE_UP, NULL, NULL, &l));
		if (l)
			l->line.to = d->o.window;
		d->stop = true;
		d->sum.stop = XD_STOP_NO_RESYNC;
		return 0;
	}
	for (int s = 0; s < 2; s++) {
		XD_TRY(rewind_to(d, s, &w[s], match[s], rip0[s], rsp0[s]));
		XD_TRY(skip_line(d, s, start[s] + 1, match[s]));
	}
	XD_TRY(resync_line(d, XD_RESYNC_SEARCH, match[0], match[1]));
	struct xt_field_set now;
	return rebase_here(d, &now);
}

/* ---- the walk ---- */

static int after_diff(struct xd_diff *d)
{
	if (d->o.first) {
		close_hunk(d);
		d->stop = true;
		d->sum.stop = XD_STOP_FIRST;
		return 0;
	}
	int side = irq_only_side(d);
	if (side >= 0)
		return skip_handler(d, side);
	const struct xt_state *a = d->cur[0].state, *b = d->cur[1].state;
	if ((a->regs.rip ^ b->regs.rip) & d->cmp.mask[XT_F_RIP])
		return search(d);
	return 0;
}

static int pair(struct xd_diff *d)
{
	struct xd_cursor *a = &d->cur[0], *b = &d->cur[1];
	struct xt_field_set fields = { { 0 } };
	bool differs;
	d->sum.compared++;
	if (d->rebase_next) {
		d->rebase_next = false;
		XD_TRY(rebase_here(d, &fields));
		differs = !xt_field_set_empty(&fields);
	} else if (a->raw_len == b->raw_len && !xd_cmp_any_differ(&d->cmp) &&
		   !memcmp(a->raw, b->raw, a->raw_len)) {
		/* equal states changed by the same record stay equal: the common case */
		differs = false;
	} else {
		differs = xd_cmp_step(&d->cmp, a->state, a->changed, b->state, b->changed, &fields);
	}
	bool events_differ = (a->ev.n || b->ev.n) && !xd_cmp_events(&d->cmp, &a->ev, &b->ev);
	if (!differs && !events_differ)
		return equal_pair(d);
	XD_TRY(diff_pair(d, &fields, events_differ));
	return after_diff(d);
}

/* Both traces from step 0 to where the walk stops; fills d->sum. */
static int walk(struct xd_diff *d, void (*on_hunk)(void *ctx, const struct xd_hunk *h), void *ctx)
{
	d->on_hunk = on_hunk;
	d->ctx_arg = ctx;
	memset(&d->sum, 0, sizeof(d->sum));
	d->sum.per_vcpu = d->vcpu >= 0;
	d->sum.vcpu = d->vcpu < 0 ? 0 : (uint32_t)d->vcpu;
	struct xd_cursor *a = &d->cur[0], *b = &d->cur[1];
	int rc = 0;

	/* step 0: the initial states differ as the header says; their events may too */
	xd_cmp_rebase(&d->cmp, a->state, b->state);
	if ((a->ev.n || b->ev.n) && !xd_cmp_events(&d->cmp, &a->ev, &b->ev)) {
		struct xt_field_set none = { { 0 } };
		rc = diff_pair(d, &none, true);
		if (rc == 0 && d->o.first) {
			close_hunk(d);
			d->stop = true;
			d->sum.stop = XD_STOP_FIRST;
		}
	}
	while (rc == 0 && !d->stop) {
		int ra = d->hold[0] ? 1 : xd_cursor_next(a);
		int rb = d->hold[1] ? 1 : xd_cursor_next(b);
		d->hold[0] = d->hold[1] = false;
		if (ra < 0 || rb < 0) {
			rc = fail(d, ra < 0 ? 0 : 1, ra < 0 ? ra : rb);
			break;
		}
		if (ra == 0 && rb == 0)
			rc = both_ended(d);
		else if (ra == 0)
			rc = one_ended(d, XD_A, b->step - 1);
		else if (rb == 0)
			rc = one_ended(d, XD_B, a->step - 1);
		else
			rc = pair(d);
	}
	if (rc == 0)
		close_hunk(d);
	for (int i = 0; i < 2; i++) {
		struct xd_trace_summary *t = &d->sum.t[i];
		t->last_step = d->cur[i].step;
		t->at_end = d->cur[i].at_end;
		t->footer = xt_reader_footer(d->cur[i].r);
		t->truncated = !t->footer;
	}
	return rc;
}

int xd_run(struct xd_diff *d, void (*on_hunk)(void *ctx, const struct xd_hunk *h), void *ctx,
	   struct xd_summary *s)
{
	int rc = walk(d, on_hunk, ctx);
	*s = d->sum;
	return rc;
}

/* ---- several vCPUs ---- */

bool xd_per_vcpu(const struct xd_diff *d)
{
	return d->cur[0].h->vm.n_vcpus > 1 || d->cur[1].h->vm.n_vcpus > 1;
}

uint32_t xd_common_vcpus(const struct xd_diff *d)
{
	uint32_t a = d->cur[0].h->vm.n_vcpus, b = d->cur[1].h->vm.n_vcpus;
	return a < b ? a : b;
}

/*
 * Start both traces again, each reading only vCPU vcpu.  Each cursor
 * remembers where its last window-and-context steps are in the global
 * order, so that resynchronising and context can seek back to them.
 */
static int open_vcpu(struct xd_diff *d, uint32_t vcpu)
{
	if (d->ctx.r)
		xd_cursor_free(&d->ctx);
	for (int s = 0; s < 2; s++) {
		if (d->cur[s].r)
			xd_cursor_free(&d->cur[s]);
		struct xt_reader *r;
		struct xt_error e;
		if (xt_reader_open(&r, d->path[s], &e) < 0) {
			d->err = e;
			return e.code < 0 ? e.code : -EIO;
		}
		int rc = xd_cursor_init_vcpu(&d->cur[s], r, vcpu, d->o.window + d->o.context + 2);
		if (rc < 0) {
			rc = fail(d, s, rc);
			xd_cursor_free(&d->cur[s]);
			return rc;
		}
	}
	d->vcpu = (int32_t)vcpu;
	d->stop = false;
	d->hold[0] = d->hold[1] = false;
	d->rebase_next = false;
	d->resync_line = NULL;
	xd_hunk_reset(&d->hunk);
	return 0;
}

int xd_run_vcpu(struct xd_diff *d, uint32_t vcpu, void (*on_hunk)(void *ctx, const struct xd_hunk *h),
		void *ctx, struct xd_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (vcpu >= xd_common_vcpus(d) || vcpu > INT32_MAX)
		return fail(d, -1, -EINVAL);
	XD_TRY(open_vcpu(d, vcpu));
	int rc = walk(d, on_hunk, ctx);
	*s = d->sum;
	return rc;
}
