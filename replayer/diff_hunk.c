// SPDX-License-Identifier: MIT
/* Building a hunk and naming its cause. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff_hunk.h"

static int copy_view(struct xd_view *v, struct xt_state **store, struct xt_field_set *ch,
		     struct xd_events *ev, const struct xd_view_src *src)
{
	v->step = src->step;
	v->global = src->global;
	v->rip_before = src->rip_before;
	if (!src->state)
		return 0;
	*store = malloc(sizeof(**store));
	if (!*store)
		return -ENOMEM;
	**store = *src->state;
	v->state = *store;
	if (src->changed)
		*ch = *src->changed;
	v->changed = ch;
	for (size_t i = 0; src->events && i < src->events->n; i++)
		XD_TRY(xd_events_add(ev, &src->events->v[i]));
	return 0;
}

static void free_line(struct xd_stored_line *l)
{
	free(l->sa);
	free(l->sb);
	xd_events_free(&l->eva);
	xd_events_free(&l->evb);
	free(l->fields);
}

struct xd_stored_line *xd_hunk_add(struct xd_hunk_buf *h, uint32_t kind, const struct xd_view_src *a,
				   const struct xd_view_src *b, int *rc)
{
	bool step_line = kind == XD_LINE_CONTEXT || kind == XD_LINE_DIFF;
	*rc = 0;
	if (kind == XD_LINE_DIFF)
		h->diff_steps++;
	if (kind != XD_LINE_CONTEXT)
		h->equal_run = 0;
	if (!h->v) {
		h->v = calloc(XD_HUNK_MAX_ALL, sizeof(*h->v));
		if (!h->v) {
			*rc = -ENOMEM;
			return NULL;
		}
	}
	if ((step_line && h->n >= XD_HUNK_MAX_LINES) || h->n >= XD_HUNK_MAX_ALL) {
		h->dropped++;
		return NULL;
	}
	struct xd_stored_line *l = &h->v[h->n++];
	memset(l, 0, sizeof(*l));
	l->line.kind = kind;
	if ((a && (*rc = copy_view(&l->line.a, &l->sa, &l->cha, &l->eva, a))) ||
	    (b && (*rc = copy_view(&l->line.b, &l->sb, &l->chb, &l->evb, b))))
		return NULL;
	if (kind != XD_LINE_CONTEXT)
		h->last_change = h->n;
	return l;
}

int xd_hunk_set_views(struct xd_stored_line *l, const struct xd_view_src *a, const struct xd_view_src *b)
{
	free(l->sa);
	free(l->sb);
	l->sa = l->sb = NULL;
	xd_events_clear(&l->eva);
	xd_events_clear(&l->evb);
	XD_TRY(copy_view(&l->line.a, &l->sa, &l->cha, &l->eva, a));
	return copy_view(&l->line.b, &l->sb, &l->chb, &l->evb, b);
}

int xd_hunk_set_fields(struct xd_stored_line *l, const struct xt_field_set *set)
{
	size_t n = xt_field_set_count(set);
	free(l->fields);
	l->fields = n ? malloc(n * sizeof(*l->fields)) : NULL;
	if (n && !l->fields)
		return -ENOMEM;
	size_t k = 0;
	XT_FIELD_SET_FOREACH(set, id)
		l->fields[k++] = xt_field_by_id(id);
	l->line.n_fields = n;
	return 0;
}

void xd_hunk_trim(struct xd_hunk_buf *h, unsigned keep)
{
	size_t want = h->last_change + keep;
	while (h->n > want)
		free_line(&h->v[--h->n]);
}

void xd_hunk_reset(struct xd_hunk_buf *h)
{
	for (size_t i = 0; i < h->n; i++)
		free_line(&h->v[i]);
	struct xd_stored_line *v = h->v;
	memset(h, 0, sizeof(*h));
	h->v = v;
}

static const struct xt_event *find_event(const struct xd_view *v, uint32_t kind)
{
	for (size_t i = 0; i < v->n_events; i++)
		if (v->events[i].kind == kind)
			return &v->events[i];
	return NULL;
}

/* The first event of kind in one list without its twin in the other. */
static const struct xt_event *unmatched(const struct xd_view *x, const struct xd_view *y, uint32_t kind)
{
	for (size_t i = 0; i < x->n_events; i++) {
		if (x->events[i].kind != kind)
			continue;
		if (!xd_view_has_twin(y, &x->events[i]))
			return &x->events[i];
	}
	return NULL;
}

static bool exits_differ(const struct xd_line *l)
{
	if (l->a.state->exit.reason != l->b.state->exit.reason)
		return true;
	bool rip = false;
	for (size_t i = 0; i < l->n_fields; i++)
		rip |= l->fields[i]->id == XT_F_RIP;
	for (size_t i = 0; i < l->n_fields; i++) {
		const struct xt_field *f = l->fields[i];
		/* a single-step exit's PC is the RIP: it says nothing more */
		if (f->exit_reason != XT_ANY_EXIT && !(rip && f->id == XT_F_DEBUG_PC))
			return true;
	}
	return false;
}

/*
 * One side takes an IRQ here and the other none: the vector, or -1.  An
 * ambiguous arrival gives 0x100 | its lowest candidate, so that it only
 * matches another ambiguous one, never a decided vector.
 */
static int one_sided_irq(const struct xd_line *l, uint32_t *side)
{
	const struct xt_event *ta = find_event(&l->a, XT_EV_IRQ_TAKEN);
	const struct xt_event *tb = find_event(&l->b, XT_EV_IRQ_TAKEN);
	if (!ta == !tb)
		return -1;
	*side = ta ? XD_A : XD_B;
	const struct xt_event *t = ta ? ta : tb;
	return (int)t->taken.vector | (xt_taken_ambiguous(t) ? 0x100 : 0);
}

static void name_cause(const struct xd_line *lines, size_t n, const struct xd_cmp *cmp,
		       struct xd_cause *c)
{
	memset(c, 0, sizeof(*c));
	const struct xd_line *l = NULL;
	for (size_t i = 0; i < n && !l; i++)
		if (lines[i].kind == XD_LINE_DIFF)
			l = &lines[i];
	if (!l) {
		for (size_t i = 0; i < n; i++) {
			if (lines[i].kind == XD_LINE_END) {
				c->kind = XD_CAUSE_END;
				c->side = lines[i].side;
				c->line = &lines[i];
				return;
			}
		}
		c->kind = XD_CAUSE_EVENTS;
		return;
	}
	c->line = l;
	c->step_a = l->a.step;
	c->step_b = l->b.step;
	const struct xt_event *ta = find_event(&l->a, XT_EV_IRQ_TAKEN);
	const struct xt_event *tb = find_event(&l->b, XT_EV_IRQ_TAKEN);
	c->ev_a = ta;
	c->ev_b = tb;
	uint32_t side;
	int vector = one_sided_irq(l, &side);
	if (vector >= 0) {
		c->kind = XD_CAUSE_IRQ_ONE_SIDE;
		c->side = side;
		/* the other trace taking the same vector later in the hunk: a timing difference */
		for (const struct xd_line *m = l + 1; m < lines + n; m++) {
			uint32_t s2;
			if (m->kind != XD_LINE_DIFF || one_sided_irq(m, &s2) != vector || s2 == side)
				continue;
			c->kind = XD_CAUSE_IRQ_TIMING;
			if (side == XD_A) {
				c->ev_b = find_event(&m->b, XT_EV_IRQ_TAKEN);
				c->step_b = m->b.step;
			} else {
				c->ev_a = find_event(&m->a, XT_EV_IRQ_TAKEN);
				c->step_a = m->a.step;
			}
			break;
		}
		return;
	}
	if (ta && tb && !xd_event_same(ta, tb)) {
		c->kind = XD_CAUSE_IRQ_DIFFERENT;
		return;
	}
	if (exits_differ(l)) {
		c->kind = XD_CAUSE_EXIT;
		return;
	}
	static const uint32_t kinds[] = { XT_EV_KTRACE, XT_EV_IRQ_INJECT, XT_EV_CONSOLE };
	static const uint32_t causes[] = { XD_CAUSE_KTRACE, XD_CAUSE_INJECT, XD_CAUSE_CONSOLE };
	for (unsigned k = 0; k < 3; k++) {
		if (!xd_cmp_event_kind(cmp, kinds[k]))
			continue;
		const struct xt_event *ua = unmatched(&l->a, &l->b, kinds[k]);
		const struct xt_event *ub = unmatched(&l->b, &l->a, kinds[k]);
		if (ua || ub) {
			c->kind = causes[k];
			c->side = ua ? XD_A : XD_B;
			c->ev_a = ua;
			c->ev_b = ub;
			return;
		}
	}
	if (l->n_fields) {
		c->kind = XD_CAUSE_FIELDS;
		c->field = l->fields[0];
		/* a different RIP means the control flow went apart: that first */
		for (size_t i = 0; i < l->n_fields; i++)
			if (l->fields[i]->id == XT_F_RIP)
				c->field = l->fields[i];
		return;
	}
	c->kind = XD_CAUSE_EVENTS;
	/* two attached VMMs: the answers, or the stale fields, are what differ (diff_compare.c) */
	if (cmp->attached) {
		const struct xt_event *ua = unmatched(&l->a, &l->b, XT_EV_NOTE);
		const struct xt_event *ub = unmatched(&l->b, &l->a, XT_EV_NOTE);
		c->ev_a = ua && xd_stale_note(ua) ? ua : NULL;
		c->ev_b = ub && xd_stale_note(ub) ? ub : NULL;
		if (!c->ev_a && !c->ev_b) {
			c->ev_a = unmatched(&l->a, &l->b, XT_EV_INPUT);
			c->ev_b = unmatched(&l->b, &l->a, XT_EV_INPUT);
		}
	}
}

void xd_hunk_finish(struct xd_hunk_buf *h, const struct xd_cmp *cmp, unsigned index,
		    struct xd_line *lines, struct xd_hunk *out)
{
	for (size_t i = 0; i < h->n; i++) {
		struct xd_stored_line *s = &h->v[i];
		lines[i] = s->line;
		lines[i].a.events = s->eva.v;
		lines[i].a.n_events = s->eva.n;
		lines[i].b.events = s->evb.v;
		lines[i].b.n_events = s->evb.n;
		lines[i].fields = s->fields;
	}
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->step_a = h->step_a;
	out->step_b = h->step_b;
	out->global_a = h->global_a;
	out->global_b = h->global_b;
	out->rip = h->rip;
	out->lines = lines;
	out->n_lines = h->n;
	out->dropped_lines = h->dropped;
	out->diff_steps = h->diff_steps;
	name_cause(lines, h->n, cmp, &out->cause);
}
