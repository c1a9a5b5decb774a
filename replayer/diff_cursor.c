// SPDX-License-Identifier: MIT
/*
 * A trace read step by step, each step with its events.  A step's events
 * follow its step record, but an injection for step N precedes step record
 * N; and decoding step record N+1 changes the reader's state in place.  So
 * the cursor reads step N, then peeks and reads events until the next
 * record is a step, keeping injections for N+1 aside.  The state it shows
 * is the reader's own: nothing is copied per step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *put_str(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = memcpy(*at, s, n);
	*at += n;
	return p;
}

static int grow(struct xd_events *e)
{
	if (e->n < e->cap)
		return 0;
	size_t cap = e->cap ? e->cap * 2 : 8;
	struct xt_event *v = realloc(e->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->v = v;
	void **o = realloc(e->owned, cap * sizeof(*o));
	if (!o)
		return -ENOMEM;
	e->owned = o;
	e->cap = cap;
	return 0;
}

int xd_events_add(struct xd_events *e, const struct xt_event *ev)
{
	XD_TRY(grow(e));
	struct xt_event c = *ev;
	size_t size = 0;
	switch (ev->kind) {
	case XT_EV_CONSOLE:
		size = ev->console.len;
		break;
	case XT_EV_INPUT:
		size = ev->input.data ? ev->input.data_len : 0;
		break;
	case XT_EV_KTRACE:
		size = str_size(ev->ktrace.name) + ev->ktrace.n_fields * sizeof(struct xt_ktrace_field);
		for (size_t i = 0; i < ev->ktrace.n_fields; i++)
			size += str_size(ev->ktrace.fields[i].name) + str_size(ev->ktrace.fields[i].str);
		break;
	case XT_EV_NOTE:
		size = str_size(ev->note.text);
		break;
	case XT_EV_STATS:
		size = ev->stats.n * (sizeof(uint32_t) + sizeof(int64_t));
		break;
	}
	char *block = NULL;
	if (size) {
		/* fields first: they need their alignment */
		block = malloc(size);
		if (!block)
			return -ENOMEM;
		char *at = block;
		switch (ev->kind) {
		case XT_EV_CONSOLE:
			c.console.data = memcpy(at, ev->console.data, ev->console.len);
			break;
		case XT_EV_INPUT:
			c.input.data = memcpy(at, ev->input.data, ev->input.data_len);
			break;
		case XT_EV_KTRACE: {
			struct xt_ktrace_field *f = (struct xt_ktrace_field *)at;
			at += ev->ktrace.n_fields * sizeof(*f);
			for (size_t i = 0; i < ev->ktrace.n_fields; i++) {
				f[i] = ev->ktrace.fields[i];
				f[i].name = put_str(&at, ev->ktrace.fields[i].name);
				f[i].str = put_str(&at, ev->ktrace.fields[i].str);
			}
			c.ktrace.fields = f;
			c.ktrace.name = put_str(&at, ev->ktrace.name);
			break;
		}
		case XT_EV_NOTE:
			c.note.text = put_str(&at, ev->note.text);
			break;
		case XT_EV_STATS: {
			int64_t *d = (int64_t *)at;
			uint32_t *ix = (uint32_t *)(at + ev->stats.n * sizeof(int64_t));
			memcpy(d, ev->stats.delta, ev->stats.n * sizeof(*d));
			memcpy(ix, ev->stats.index, ev->stats.n * sizeof(*ix));
			c.stats.delta = d;
			c.stats.index = ix;
			break;
		}
		}
	}
	e->v[e->n] = c;
	e->owned[e->n++] = block;
	return 0;
}

void xd_events_clear(struct xd_events *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->owned[i]);
	e->n = 0;
}

void xd_events_free(struct xd_events *e)
{
	xd_events_clear(e);
	free(e->v);
	free(e->owned);
	memset(e, 0, sizeof(*e));
}

int xd_events_take(struct xd_events *dst, struct xd_events *src, uint64_t step)
{
	size_t keep = 0;
	for (size_t i = 0; i < src->n; i++) {
		if (src->v[i].step <= step) {
			/* the block moves with the event */
			XD_TRY(grow(dst));
			dst->v[dst->n] = src->v[i];
			dst->owned[dst->n++] = src->owned[i];
		} else {
			src->v[keep] = src->v[i];
			src->owned[keep++] = src->owned[i];
		}
	}
	src->n = keep;
	return 0;
}

/*
 * Notes and statistics say nothing about the guest's behaviour: not kept,
 * but for an attached VMM's stale-field notes (what the VMM read);
 * nor, for a cursor of one vCPU, the events about the others.
 */
static bool kept(const struct xd_cursor *c, const struct xt_event *ev)
{
	if (c->vcpu >= 0 && ev->vcpu != (uint32_t)c->vcpu)
		return false;
	return (ev->kind != XT_EV_NOTE || xd_stale_note(ev)) && ev->kind != XT_EV_STATS;
}

/* Read the events that follow the current step, up to the next step record. */
static int gather(struct xd_cursor *c)
{
	uint32_t type;
	int rc;
	while ((rc = xt_reader_peek(c->r, &type)) > 0 && type == XT_REC_EVENT) {
		struct xt_record rec = XT_RECORD_INIT;
		rc = xt_reader_next(c->r, &rec);
		if (rc <= 0)
			return rc < 0 ? rc : -EBADMSG;
		if (kept(c, rec.event))
			XD_TRY(xd_events_add(rec.event->step <= c->global ? &c->ev : &c->pending,
					     rec.event));
	}
	return rc < 0 ? rc : 0;
}

static int init(struct xd_cursor *c, struct xt_reader *r, int32_t vcpu, size_t ring_len)
{
	memset(c, 0, sizeof(*c));
	static const struct xt_field_set none;
	c->r = r;
	c->h = xt_reader_header(r);
	c->vcpu = vcpu;
	c->state = c->h->initial;
	if (vcpu > 0)
		c->state = (uint32_t)vcpu < c->h->vm.n_vcpus ? &c->h->initial_vcpus[vcpu - 1] : NULL;
	if (!c->state)
		return -EINVAL;
	c->initial = c->state;
	if (ring_len) {
		c->ring = calloc(ring_len, sizeof(*c->ring));
		if (!c->ring)
			return -ENOMEM;
		c->ring_len = ring_len;
	}
	c->changed = &none;
	c->rip_before = c->state->regs.rip;
	c->rsp_before = c->state->regs.rsp;
	return gather(c);
}

int xd_cursor_init(struct xd_cursor *c, struct xt_reader *r)
{
	return init(c, r, -1, 0);
}

int xd_cursor_init_vcpu(struct xd_cursor *c, struct xt_reader *r, uint32_t vcpu, size_t ring_len)
{
	if (vcpu > INT32_MAX)
		return -EINVAL;
	return init(c, r, (int32_t)vcpu, ring_len);
}

uint64_t xd_cursor_global_of(const struct xd_cursor *c, uint64_t step)
{
	if (c->vcpu < 0)
		return step;
	if (!step || !c->ring_len || c->ring[step % c->ring_len].step != step)
		return 0;
	return c->ring[step % c->ring_len].global;
}

int xd_cursor_next(struct xd_cursor *c)
{
	if (c->at_end)
		return 0;
	uint64_t rip = c->state->regs.rip, rsp = c->state->regs.rsp;
	if (c->ev.n)
		xd_events_clear(&c->ev);
	struct xt_record rec = XT_RECORD_INIT;
	for (;;) {
		int rc = xt_reader_next(c->r, &rec);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			c->at_end = true;
			return 0;
		}
		if (rec.type == XT_REC_STEP && (c->vcpu < 0 || rec.vcpu == (uint32_t)c->vcpu))
			break;
		if (rec.type == XT_REC_EVENT && kept(c, rec.event))
			XD_TRY(xd_events_add(&c->pending, rec.event));
	}
	c->rip_before = rip;
	c->rsp_before = rsp;
	c->global = rec.step;
	c->step = c->vcpu < 0 ? rec.step : rec.vcpu_step;
	if (c->ring_len)
		c->ring[c->step % c->ring_len] = (struct xd_ring_entry){ c->step, c->global };
	c->state = rec.state;
	c->changed = rec.changed;
	c->raw = rec.raw;
	c->raw_len = rec.raw_len;
	if (c->pending.n)
		XD_TRY(xd_events_take(&c->ev, &c->pending, c->global));
	if (rec.next_is_step)
		return 1;
	/* the record's bytes live in the reader's frame, which the peeks may replace */
	if (c->raw_cap < rec.raw_len) {
		uint8_t *p = realloc(c->raw_copy, rec.raw_len);
		if (!p)
			return -ENOMEM;
		c->raw_copy = p;
		c->raw_cap = rec.raw_len;
	}
	if (rec.raw_len)
		memcpy(c->raw_copy, rec.raw, rec.raw_len);
	c->raw = c->raw_copy;
	int rc = gather(c);
	return rc < 0 ? rc : 1;
}

int xd_cursor_seek(struct xd_cursor *c, uint64_t step)
{
	/* a vCPU's own step: where it is in the global order, if the ring still knows */
	return xd_cursor_seek_at(c, step, xd_cursor_global_of(c, step));
}

int xd_cursor_seek_at(struct xd_cursor *c, uint64_t step, uint64_t global)
{
	if (c->vcpu < 0)
		global = step;
	xd_events_clear(&c->ev);
	xd_events_clear(&c->pending);
	c->at_end = false;
	if (c->vcpu >= 0 && !global) {
		/* forgotten: read this vCPU's steps again from the start */
		XD_TRY(xt_reader_seek(c->r, 0));
		c->step = c->global = 0;
		c->state = c->initial;
		while (c->step < step) {
			int rc = xd_cursor_next(c);
			if (rc <= 0)
				return rc < 0 ? rc : -ERANGE;
		}
		return 0;
	}
	XD_TRY(xt_reader_seek(c->r, global));
	int rc = xd_cursor_next(c);
	if (rc == 0)
		return -ERANGE;
	return rc < 0 ? rc : 0;
}

void xd_cursor_free(struct xd_cursor *c)
{
	free(c->raw_copy);
	free(c->ring);
	xd_events_free(&c->ev);
	xd_events_free(&c->pending);
	xt_reader_close(c->r);
	memset(c, 0, sizeof(*c));
}
