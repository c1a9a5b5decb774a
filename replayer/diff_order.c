// SPDX-License-Identifier: MIT
/*
 * The global order of two traces of several vCPUs.  The per-vCPU walks
 * compare each vCPU with itself, so they miss what vCPUs do to each other:
 * an IPI taken a few of its own steps later, a vCPU started later.  Here
 * both traces are read side by side in their global order and the events
 * one vCPU owes another are listed with the own step they landed at; the
 * k-th such event of a kind on a vCPU in A is paired with the k-th in B.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* Events of this kind kept per trace; beyond, the comparison says it was cut. */
#define ORDER_MAX 65536

struct cross {
	uint32_t kind, vcpu, vector, mp_from, mp_to;
	uint64_t step;		/* the vCPU's own step */
	uint64_t seq;		/* its place among the trace's cross-vCPU events */
};

struct side {
	struct xt_reader *r;
	uint32_t n_vcpus;
	uint64_t *own;		/* steps read, by vCPU */
	uint64_t *last_global;	/* the global step of each vCPU's last step read */
	uint64_t (*ipi)[4];	/* vectors sent to each vCPU by IPI, not taken yet */
	struct cross *v;
	size_t n, cap;
	bool cut, ended;
};

static int side_open(struct side *s, const char *path, struct xt_error *err)
{
	memset(s, 0, sizeof(*s));
	int rc = xt_reader_open(&s->r, path, err);
	if (rc < 0)
		return rc;
	s->n_vcpus = xt_reader_header(s->r)->vm.n_vcpus;
	s->own = calloc(s->n_vcpus, sizeof(*s->own));
	s->last_global = calloc(s->n_vcpus, sizeof(*s->last_global));
	s->ipi = calloc(s->n_vcpus, sizeof(*s->ipi));
	if (!s->own || !s->last_global || !s->ipi)
		return -ENOMEM;
	return 0;
}

static void side_close(struct side *s)
{
	xt_reader_close(s->r);
	free(s->own);
	free(s->last_global);
	free(s->ipi);
	free(s->v);
}

/* The vCPU own step an event about vcpu belongs to: the one it follows, or its next. */
static uint64_t own_step(const struct side *s, uint32_t vcpu, uint64_t global)
{
	return s->own[vcpu] && global <= s->last_global[vcpu] ? s->own[vcpu] : s->own[vcpu] + 1;
}

static int keep(struct side *s, const struct cross *c)
{
	if (s->n == ORDER_MAX) {
		s->cut = true;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct cross *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = *c;
	s->v[s->n].seq = s->n;
	s->n++;
	return 0;
}

/* Mark vector as sent to the vCPUs an interrupt command addresses (SDM vol. 3, "ICR"). */
static void ipi_sent(struct side *s, const struct xt_event *ev)
{
	uint64_t icr = ev->ipi.icr;
	unsigned mode = xt_icr_mode(icr), vector = xt_icr_vector(icr);
	if (mode > 1)		/* only fixed and lowest-priority deliver a vector */
		return;
	const uint32_t *apic = xt_reader_header(s->r)->vm.apic_ids;
	uint32_t dest = xt_icr_dest(icr, ev->ipi.x2apic);
	unsigned sh = xt_icr_shorthand(icr);
	for (uint32_t v = 0; v < s->n_vcpus; v++) {
		bool to;
		switch (sh) {
		case 1: to = v == ev->vcpu; break;
		case 2: to = true; break;
		case 3: to = v != ev->vcpu; break;
		/* a logical destination: any vCPU may be meant; its IRQ taken says which */
		default: to = xt_icr_logical(icr) || apic[v] == dest; break;
		}
		if (to)
			s->ipi[v][vector / 64] |= 1ull << (vector % 64);
	}
}

static int on_event(struct side *s, const struct xt_event *ev)
{
	if (ev->vcpu >= s->n_vcpus)
		return 0;
	switch (ev->kind) {
	case XT_EV_IPI:
		ipi_sent(s, ev);
		return 0;
	case XT_EV_IRQ_TAKEN: {
		uint32_t vec = ev->taken.vector & 0xff;
		uint64_t *p = &s->ipi[ev->vcpu][vec / 64], bit = 1ull << (vec % 64);
		if (ev->taken.type != XT_TAKEN_EXTERNAL || !(*p & bit))
			return 0;
		*p &= ~bit;
		struct cross c = { XD_ORDER_IPI, ev->vcpu, vec, 0, 0, own_step(s, ev->vcpu, ev->step), 0 };
		return keep(s, &c);
	}
	case XT_EV_MP_STATE: {
		struct cross c = { XD_ORDER_MP, ev->vcpu, 0, ev->mp.from, ev->mp.to,
				   own_step(s, ev->vcpu, ev->step), 0 };
		return keep(s, &c);
	}
	}
	return 0;
}

/* Read up to the next step record (its vCPU in *vcpu): 1, 0 at the end, or a negative errno. */
static int next_step(struct side *s, uint32_t *vcpu, uint64_t *global)
{
	struct xt_record rec = XT_RECORD_INIT;
	for (;;) {
		int rc = xt_reader_next(s->r, &rec);
		if (rc <= 0)
			return rc;
		if (rec.type == XT_REC_EVENT) {
			int e = on_event(s, rec.event);
			if (e < 0)
				return e;
			continue;
		}
		if (rec.type != XT_REC_STEP || rec.vcpu >= s->n_vcpus)
			continue;
		s->own[rec.vcpu] = rec.vcpu_step;
		s->last_global[rec.vcpu] = rec.step;
		*vcpu = rec.vcpu;
		*global = rec.step;
		return 1;
	}
}

static int note(struct xd_order *o, const struct xd_order_note *n)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		struct xd_order_note *v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = *n;
	return 0;
}

/* By kind (vCPU, vector, run states), then in the order they happened: the k-th of each kind lines up. */
static int by_kind(const void *p, const void *q)
{
	const struct cross *x = p, *y = q;
	const uint64_t kx[6] = { x->kind, x->vcpu, x->vector, x->mp_from, x->mp_to, x->seq };
	const uint64_t ky[6] = { y->kind, y->vcpu, y->vector, y->mp_from, y->mp_to, y->seq };
	for (int i = 0; i < 6; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

/* Notes by vCPU, then by where they happened (A's own step, or B's for one in B only). */
static int by_place(const void *p, const void *q)
{
	const struct xd_order_note *x = p, *y = q;
	uint64_t sx = x->in[0] ? x->step[0] : x->step[1], sy = y->in[0] ? y->step[0] : y->step[1];
	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	return sx < sy ? -1 : sx > sy;
}

static struct xd_order_note note_of(const struct cross *a, const struct cross *b)
{
	const struct cross *c = a ? a : b;
	struct xd_order_note n = { .kind = c->kind, .vcpu = c->vcpu, .vector = c->vector,
				   .mp_from = c->mp_from, .mp_to = c->mp_to };
	n.in[0] = a != NULL;
	n.step[0] = a ? a->step : 0;
	n.in[1] = b != NULL;
	n.step[1] = b ? b->step : 0;
	return n;
}

/*
 * Pair the k-th of a kind in A with the k-th in B, a sorted walk over both;
 * note the pairs at other own steps and those in one trace only.
 */
static int pair_up(struct side *sd, int32_t vcpu, struct xd_order *o)
{
	struct side *a = &sd[0], *b = &sd[1];
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), by_kind);
	if (b->n)
		qsort(b->v, b->n, sizeof(*b->v), by_kind);
	size_t i = 0, j = 0, first = o->n;
	while (i < a->n || j < b->n) {
		const struct cross *x = i < a->n ? &a->v[i] : NULL, *y = j < b->n ? &b->v[j] : NULL;
		int c = !x ? 1 : !y ? -1 : by_kind(x, y);
		/* the same kind but for seq: a pair */
		if (x && y && x->kind == y->kind && x->vcpu == y->vcpu && x->vector == y->vector &&
		    x->mp_from == y->mp_from && x->mp_to == y->mp_to)
			c = 0;
		const struct cross *na = c <= 0 ? x : NULL, *nb = c >= 0 ? y : NULL;
		i += na != NULL;
		j += nb != NULL;
		const struct cross *any = na ? na : nb;
		if (vcpu >= 0 && any->vcpu != (uint32_t)vcpu)
			continue;
		if (na && nb && na->step == nb->step)
			continue;
		struct xd_order_note n = note_of(na, nb);
		int rc = note(o, &n);
		if (rc < 0)
			return rc;
	}
	if (o->n - first > 1)
		qsort(o->v + first, o->n - first, sizeof(*o->v), by_place);
	return 0;
}

static int order_failed(struct side *sd, int which, int rc, struct xt_error *err)
{
	const struct xt_error *re = which >= 0 && sd[which].r ? xt_reader_error(sd[which].r) : NULL;
	if (re && re->code)
		*err = *re;
	else {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
	}
	return rc;
}

int xd_compare_order(const char *path_a, const char *path_b, int32_t vcpu, struct xd_order *out,
		     struct xt_error *err)
{
	memset(out, 0, sizeof(*out));
	struct side sd[2];
	memset(sd, 0, sizeof(sd));
	const char *path[2] = { path_a, path_b };
	int rc = 0;
	for (int s = 0; s < 2 && rc == 0; s++) {
		rc = side_open(&sd[s], path[s], err);
		if (rc < 0 && rc != -ENOMEM && !sd[s].r)
			goto out;
		if (rc < 0)
			rc = order_failed(sd, -1, rc, err);
	}
	bool told = false;
	while (rc == 0 && !(sd[0].ended && sd[1].ended)) {
		uint32_t runs[2] = { 0, 0 };
		uint64_t global[2] = { 0, 0 };
		bool got[2] = { false, false };
		for (int s = 0; s < 2; s++) {
			if (sd[s].ended)
				continue;
			int r = next_step(&sd[s], &runs[s], &global[s]);
			if (r < 0) {
				rc = order_failed(sd, s, r, err);
				break;
			}
			sd[s].ended = r == 0;
			got[s] = r > 0;
		}
		/*
		 * where one trace runs another vCPU than the other: once, the
		 * first time; it is about two vCPUs, so not told for one alone
		 */
		if (rc == 0 && !told && vcpu < 0 && got[0] && got[1] && runs[0] != runs[1]) {
			struct xd_order_note n = { .kind = XD_ORDER_INTERLEAVE, .step = { global[0], global[1] },
						   .runs = { runs[0], runs[1] } };
			told = true;
			rc = note(out, &n);
			if (rc < 0)
				rc = order_failed(sd, -1, rc, err);
		}
	}
	if (rc == 0) {
		out->cut = sd[0].cut || sd[1].cut;
		rc = pair_up(sd, vcpu, out);
		if (rc < 0)
			rc = order_failed(sd, -1, rc, err);
	}
out:
	for (int s = 0; s < 2; s++)
		side_close(&sd[s]);
	if (rc < 0)
		xd_order_free(out);
	return rc;
}

void xd_order_free(struct xd_order *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}
