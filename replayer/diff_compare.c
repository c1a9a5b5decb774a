// SPDX-License-Identifier: MIT
/*
 * The per-step comparison.  It keeps the set of compared fields whose
 * values differ now (and those values), and looks only at the fields the
 * two steps changed: identical traces cost a few loads per changed field.
 */
#include <linux/kvm.h>
#include <string.h>

#include "diff_internal.h"

static bool is_attached(const struct xt_header *h)
{
	return h->vm.loader && !strcmp(h->vm.loader, "attach");
}

static bool stale_named(const struct xt_header *h)
{
	const char *v = xt_header_extra(h, "attach.stale");
	return v && !strncmp(v, "named", 5);
}

void xd_cmp_init(struct xd_cmp *c, const struct xt_header *a, const struct xt_header *b,
		 bool ktrace_both, const struct xd_options *o)
{
	memset(c, 0, sizeof(*c));
	xt_fields(&c->table);
	uint32_t blocks = a->vm.capture & b->vm.capture;
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++) {
		const struct xt_field *f = xt_field_by_id(id);
		if (!f || !(blocks & (1u << f->block)))
			continue;
		c->mask[id] = a->compare_masks[id] & b->compare_masks[id] & ~o->ignore[id];
		if (!c->mask[id])
			continue;
		xt_field_set_add(&c->compared, id);
		/*
		 * A different RIP means different instructions however it moves;
		 * an exit is an event of its step, not state carried along.
		 */
		if (id == XT_F_RIP || id == XT_F_EXIT_REASON || f->exit_reason != XT_ANY_EXIT)
			xt_field_set_add(&c->absolute, id);
	}
	c->events = (1u << XT_EV_IRQ_TAKEN) | (1u << XT_EV_IRQ_INJECT) | (1u << XT_EV_CONSOLE);
	/* kernel events mean something only when both recordings asked for them */
	if (ktrace_both)
		c->events |= 1u << XT_EV_KTRACE;
	c->events &= ~o->ignore_events;
	/*
	 * Two attached VMMs: what each answered its guest's reads, and which
	 * exit fields KVM left stale (the seed's "exception 1"), are part of
	 * what each VMM saw, so they are compared, where both traces hold them.
	 */
	c->attached = is_attached(a) && is_attached(b);
	c->stale_named = c->attached && stale_named(a) && stale_named(b) && !(o->ignore_events & (1u << XT_EV_NOTE));
}

void xd_cmp_rebase(struct xd_cmp *c, const struct xt_state *a, const struct xt_state *b)
{
	memset(&c->differ, 0, sizeof(c->differ));
	XT_FIELD_SET_FOREACH(&c->compared, id) {
		const struct xt_field *f = xt_field_by_id(id);
		if (f->kind == XT_KIND_BLOB) {
			if (!xt_field_equal(a, b, f))
				xt_field_set_add(&c->differ, id);
			continue;
		}
		uint64_t va = xt_field_get(a, f) & c->mask[id], vb = xt_field_get(b, f) & c->mask[id];
		if (va != vb) {
			xt_field_set_add(&c->differ, id);
			c->va[id] = va;
			c->vb[id] = vb;
		}
	}
}

bool xd_cmp_step(struct xd_cmp *c, const struct xt_state *a, const struct xt_field_set *cha,
		 const struct xt_state *b, const struct xt_field_set *chb, struct xt_field_set *out)
{
	struct xt_field_set u;
	uint64_t any_changed = 0, any = 0;
	for (unsigned w = 0; w < XT_FIELD_ID_LIMIT / 64; w++) {
		u.bits[w] = (cha->bits[w] | chb->bits[w]) & c->compared.bits[w];
		out->bits[w] = 0;
		any_changed |= u.bits[w];
		any |= c->differ.bits[w];
	}
	if (!any_changed && !any)
		return false;
	XT_FIELD_SET_FOREACH(&u, id) {
		const struct xt_field *f = &c->table[id];
		bool was = xt_field_set_has(&c->differ, id);
		/* absolute fields are judged below, where their exit applies */
		bool carried_kind = !xt_field_set_has(&c->absolute, id);
		if (f->kind == XT_KIND_BLOB) {
			if (xt_field_equal(a, b, f)) {
				xt_field_set_del(&c->differ, id);
			} else {
				xt_field_set_add(&c->differ, id);
				if (carried_kind)
					xt_field_set_add(out, id);
				any = 1;
			}
			continue;
		}
		uint64_t va = xt_field_get(a, f) & c->mask[id], vb = xt_field_get(b, f) & c->mask[id];
		if (va == vb) {
			if (was)
				xt_field_set_del(&c->differ, id);
			continue;
		}
		/* the same change on both sides carries an old difference along */
		if (carried_kind && (!was || va - c->va[id] != vb - c->vb[id]))
			xt_field_set_add(out, id);
		xt_field_set_add(&c->differ, id);
		c->va[id] = va;
		c->vb[id] = vb;
		any = 1;
	}
	if (any)
		xd_cmp_absolute(c, a, b, out);
	return !xt_field_set_empty(out);
}

void xd_cmp_absolute(const struct xd_cmp *c, const struct xt_state *a, const struct xt_state *b,
		     struct xt_field_set *out)
{
	/* RIP and the exit count whenever they differ (payloads where both exits have them) */
	XT_FIELD_SET_FOREACH(&c->differ, id) {
		if (!xt_field_set_has(&c->absolute, id))
			continue;
		const struct xt_field *f = &c->table[id];
		if (xt_field_applies(f, a->exit.reason) && xt_field_applies(f, b->exit.reason))
			xt_field_set_add(out, id);
	}
}

bool xd_cmp_event_kind(const struct xd_cmp *c, uint32_t kind)
{
	return kind < 32 && (c->events >> kind) & 1;
}

bool xd_stale_note(const struct xt_event *ev)
{
	return ev->kind == XT_EV_NOTE && ev->note.text && !strncmp(ev->note.text, "stale: ", 7);
}

bool xd_cmp_event(const struct xd_cmp *c, const struct xt_event *ev)
{
	if (xd_cmp_event_kind(c, ev->kind))
		return true;
	if (c->attached && ev->kind == XT_EV_INPUT && ev->input.what == XT_INPUT_ANSWER)
		return true;
	return c->stale_named && xd_stale_note(ev);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

bool xd_event_same(const struct xt_event *a, const struct xt_event *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case XT_EV_IRQ_TAKEN:
		/* evidence says how the recorder saw it, which depends on the host */
		return a->taken.vector == b->taken.vector && a->taken.type == b->taken.type &&
		       a->taken.outcome == b->taken.outcome &&
		       a->taken.rip_before == b->taken.rip_before &&
		       a->taken.rip_after == b->taken.rip_after && a->taken.handler == b->taken.handler &&
		       a->taken.has_error_code == b->taken.has_error_code &&
		       a->taken.error_code == b->taken.error_code &&
		       !memcmp(a->taken.candidates, b->taken.candidates, sizeof(a->taken.candidates));
	case XT_EV_IRQ_INJECT:
		return a->inject.vector == b->inject.vector && a->inject.method == b->inject.method &&
		       a->inject.result == b->inject.result && a->inject.port == b->inject.port;
	case XT_EV_CONSOLE:
		return a->console.len == b->console.len &&
		       !memcmp(a->console.data, b->console.data, a->console.len);
	case XT_EV_KTRACE:
		/* the timestamp and CPU say when and where, not what */
		if (!str_eq(a->ktrace.name, b->ktrace.name) || a->ktrace.n_fields != b->ktrace.n_fields)
			return false;
		for (size_t i = 0; i < a->ktrace.n_fields; i++) {
			const struct xt_ktrace_field *x = &a->ktrace.fields[i], *y = &b->ktrace.fields[i];
			if (!str_eq(x->name, y->name) || !str_eq(x->str, y->str) ||
			    (!x->str && x->num != y->num))
				return false;
		}
		return true;
	case XT_EV_NOTE:
		return str_eq(a->note.text, b->note.text);
	case XT_EV_INPUT:
		/* an attached VMM's answers: the same read answered otherwise is a difference */
		return a->input.what == b->input.what && a->input.data_len == b->input.data_len &&
		       (!a->input.data_len || !memcmp(a->input.data, b->input.data, a->input.data_len));
	}
	return true;
}

bool xd_view_has_twin(const struct xd_view *v, const struct xt_event *ev)
{
	for (size_t j = 0; j < v->n_events; j++)
		if (xd_event_same(ev, &v->events[j]))
			return true;
	return false;
}

bool xd_cmp_events(const struct xd_cmp *c, const struct xd_events *a, const struct xd_events *b)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a->n && !xd_cmp_event(c, &a->v[i]))
			i++;
		while (j < b->n && !xd_cmp_event(c, &b->v[j]))
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (!xd_event_same(&a->v[i], &b->v[j]))
			return false;
		i++;
		j++;
	}
}

/* RIP, RSP and the general registers: regs.rax .. regs.rip (rflags aside). */
#define NREGS (offsetof(struct xt_regs, rflags) / sizeof(uint64_t))

bool xd_cmp_regs_agree(const struct xd_cmp *c, const struct xt_regs *a, const struct xt_regs *b)
{
	const uint64_t *x = &a->rax, *y = &b->rax;
	for (unsigned i = 0; i < NREGS; i++)
		if ((x[i] ^ y[i]) & c->mask[XT_F_RAX + i])
			return false;
	return true;
}

uint64_t xd_cmp_regs_hash(const struct xd_cmp *c, const struct xt_regs *r)
{
	const uint64_t *x = &r->rax;
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < NREGS; i++)
		h = (h ^ (x[i] & c->mask[XT_F_RAX + i])) * 0x100000001b3ull;
	return h ^ (h >> 29);
}
