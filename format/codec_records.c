// SPDX-License-Identifier: MIT
/* Event and footer records. */
#include <errno.h>
#include <string.h>

#include "xt_internal.h"

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

/* Event keys after kind (1) and step (2). */
enum { EK_3 = 3, EK_4, EK_5, EK_6, EK_7, EK_8, EK_9, EK_10, EK_11 };

static void kv_uint(struct xti_buf *b, uint64_t k, uint64_t v)
{
	xti_put_uint(b, k);
	xti_put_uint(b, v);
}

static void kv_int(struct xti_buf *b, uint64_t k, int64_t v)
{
	xti_put_uint(b, k);
	xti_put_int(b, v);
}

void xti_put_event(struct xti_buf *b, const struct xt_event *ev)
{
	size_t n = 3;
	switch (ev->kind) {
	case XT_EV_IRQ_INJECT: n += 3 + (ev->inject.port >= 0); break;
	case XT_EV_IRQ_TAKEN: n += 7 + (ev->taken.has_error_code != 0) + xt_taken_ambiguous(ev); break;
	case XT_EV_CONSOLE: case XT_EV_NOTE: case XT_EV_STATS: n += 1; break;
	case XT_EV_INPUT: n += 2 + (ev->input.data != NULL); break;
	case XT_EV_KTRACE: n += 4; break;
	case XT_EV_IPI: n += 2; break;
	case XT_EV_MP_STATE: n += 2 + (ev->mp.by_sipi != 0); break;
	}
	xti_put_map(b, n + (ev->vcpu != 0));
	kv_uint(b, XTK_TYPE, XT_REC_EVENT);
	kv_uint(b, XTK_E_KIND, ev->kind);
	kv_uint(b, XTK_E_STEP, ev->step);
	switch (ev->kind) {
	case XT_EV_IRQ_INJECT:
		kv_uint(b, EK_3, ev->inject.method);
		kv_uint(b, EK_4, ev->inject.vector);
		kv_int(b, EK_5, ev->inject.result);
		if (ev->inject.port >= 0)
			kv_int(b, EK_6, ev->inject.port);
		break;
	case XT_EV_IRQ_TAKEN:
		kv_uint(b, EK_3, ev->taken.vector);
		kv_uint(b, EK_4, ev->taken.type);
		kv_uint(b, EK_5, ev->taken.outcome);
		kv_uint(b, EK_6, ev->taken.evidence);
		kv_uint(b, EK_7, ev->taken.rip_before);
		kv_uint(b, EK_8, ev->taken.rip_after);
		kv_uint(b, EK_9, ev->taken.handler);
		if (ev->taken.has_error_code)
			kv_uint(b, EK_10, ev->taken.error_code);
		if (xt_taken_ambiguous(ev)) {
			size_t k = 0;
			for (unsigned v = 0; v < 256; v++)
				k += xt_taken_candidate(ev, v);
			xti_put_uint(b, EK_11);
			xti_put_array(b, k);
			for (unsigned v = 0; v < 256; v++)
				if (xt_taken_candidate(ev, v))
					xti_put_uint(b, v);
		}
		break;
	case XT_EV_CONSOLE:
		xti_put_uint(b, EK_3);
		xti_put_bytes(b, ev->console.data, ev->console.len);
		break;
	case XT_EV_INPUT:
		kv_uint(b, EK_3, ev->input.what);
		xti_put_uint(b, EK_4);
		xti_put_map(b, ev->input.n);
		for (uint32_t i = 0; i < ev->input.n; i++)
			kv_uint(b, ev->input.v[i].field, ev->input.v[i].value);
		if (ev->input.data) {
			xti_put_uint(b, EK_5);
			xti_put_bytes(b, ev->input.data, ev->input.data_len);
		}
		break;
	case XT_EV_KTRACE:
		xti_put_uint(b, EK_3);
		xti_put_text(b, ev->ktrace.name);
		kv_uint(b, EK_4, ev->ktrace.ts_ns);
		kv_uint(b, EK_5, ev->ktrace.cpu);
		xti_put_uint(b, EK_6);
		xti_put_map(b, ev->ktrace.n_fields);
		for (size_t i = 0; i < ev->ktrace.n_fields; i++) {
			const struct xt_ktrace_field *f = &ev->ktrace.fields[i];
			xti_put_text(b, f->name);
			if (f->str)
				xti_put_text(b, f->str);
			else
				xti_put_int(b, f->num);
		}
		break;
	case XT_EV_NOTE:
		xti_put_uint(b, EK_3);
		xti_put_text(b, ev->note.text);
		break;
	case XT_EV_STATS:
		xti_put_uint(b, EK_3);
		xti_put_map(b, ev->stats.n);
		for (size_t i = 0; i < ev->stats.n; i++)
			kv_int(b, ev->stats.index[i], ev->stats.delta[i]);
		break;
	case XT_EV_IPI:
		kv_uint(b, EK_3, ev->ipi.icr);
		kv_uint(b, EK_4, ev->ipi.x2apic);
		break;
	case XT_EV_MP_STATE:
		kv_uint(b, EK_3, ev->mp.from);
		kv_uint(b, EK_4, ev->mp.to);
		if (ev->mp.by_sipi)
			kv_uint(b, EK_5, ev->mp.sipi_vector);
		break;
	}
	/* the highest key, so last; vCPU 0 leaves it out, as a 1.x trace does */
	if (ev->vcpu)
		kv_uint(b, XTK_VCPU, ev->vcpu);
}

static int get_u32(struct xti_in *in, const struct xti_tok *t, uint32_t *v)
{
	uint64_t u;
	TRY(xti_uint(in, t, &u));
	if (u > UINT32_MAX)
		return xti_bad(in, "value does not fit 32 bits");
	*v = (uint32_t)u;
	return 0;
}

static int get_bool01(struct xti_in *in, const struct xti_tok *t, uint32_t *v)
{
	TRY(get_u32(in, t, v));
	return *v > 1 ? xti_bad(in, "expected 0 or 1, not %u", *v) : 0;
}

/* An ambiguous arrival's candidates: two or more vectors, ascending. */
static int get_candidates(struct xti_in *in, const struct xti_tok *v, struct xt_event *ev)
{
	if (v->type != XTI_ARRAY)
		return xti_bad(in, "irq-taken candidates: expected an array");
	if (v->u < 2)
		return xti_bad(in, "irq-taken candidates: %llu, an ambiguous arrival has two or more",
			       (unsigned long long)v->u);
	if (v->u > 256)
		return xti_bad(in, "irq-taken candidates: more than 256");
	memset(ev->taken.candidates, 0, sizeof(ev->taken.candidates));
	uint64_t last = 0;
	for (uint64_t i = 0; i < v->u; i++) {
		struct xti_tok t;
		uint64_t c;
		TRY(xti_next(in, &t));
		TRY(xti_uint(in, &t, &c));
		if (c > 255)
			return xti_bad(in, "irq-taken candidate %llu is not a vector", (unsigned long long)c);
		if (i && c <= last)
			return xti_bad(in, "irq-taken candidates: not in ascending order");
		ev->taken.candidates[c / 64] |= 1ull << (c % 64);
		last = c;
	}
	return 0;
}

static int get_event_value(struct xti_in *in, uint64_t key, const struct xti_tok *v,
			   struct xt_event *ev, struct xti_arena *a)
{
	int64_t i64;
	/* kind * 16 + key must not wrap: a kind or key this reader does not know is skipped */
	if (key >= 16 || ev->kind >= XT_EV_KIND_LIMIT)
		return xti_skip(in, v);
	switch (ev->kind * 16 + key) {
	case XT_EV_IRQ_INJECT * 16 + EK_3: return get_u32(in, v, &ev->inject.method);
	case XT_EV_IRQ_INJECT * 16 + EK_4: return get_u32(in, v, &ev->inject.vector);
	case XT_EV_IRQ_INJECT * 16 + EK_5:
		TRY(xti_int(in, v, &i64));
		if (i64 < INT32_MIN || i64 > INT32_MAX)
			return xti_bad(in, "irq-inject result %lld does not fit 32 bits", (long long)i64);
		ev->inject.result = (int32_t)i64;
		return 0;
	case XT_EV_IRQ_INJECT * 16 + EK_6: return xti_int(in, v, &ev->inject.port);
	case XT_EV_IRQ_TAKEN * 16 + EK_3: return get_u32(in, v, &ev->taken.vector);
	case XT_EV_IRQ_TAKEN * 16 + EK_4: return get_u32(in, v, &ev->taken.type);
	case XT_EV_IRQ_TAKEN * 16 + EK_5: return get_u32(in, v, &ev->taken.outcome);
	case XT_EV_IRQ_TAKEN * 16 + EK_6: return get_u32(in, v, &ev->taken.evidence);
	case XT_EV_IRQ_TAKEN * 16 + EK_7: return xti_uint(in, v, &ev->taken.rip_before);
	case XT_EV_IRQ_TAKEN * 16 + EK_8: return xti_uint(in, v, &ev->taken.rip_after);
	case XT_EV_IRQ_TAKEN * 16 + EK_9: return xti_uint(in, v, &ev->taken.handler);
	case XT_EV_IRQ_TAKEN * 16 + EK_10:
		ev->taken.has_error_code = 1;
		return xti_uint(in, v, &ev->taken.error_code);
	case XT_EV_IRQ_TAKEN * 16 + EK_11: return get_candidates(in, v, ev);
	case XT_EV_CONSOLE * 16 + EK_3:
		return xti_blob(in, v, a, &ev->console.data, &ev->console.len);
	case XT_EV_INPUT * 16 + EK_3: return get_u32(in, v, &ev->input.what);
	case XT_EV_INPUT * 16 + EK_4:
		if (v->type != XTI_MAP)
			return xti_bad(in, "input: expected a map");
		ev->input.n = 0;
		struct xti_keys fields = { 0 };
		for (uint64_t i = 0; i < v->u; i++) {
			uint64_t field;
			struct xti_tok t;
			TRY(xti_map_key_once(in, &fields, "input values", &field, &t));
			/* a field of a newer minor version: readers skip what they do not know */
			if (!xt_field_by_id(field < XT_FIELD_ID_LIMIT ? (unsigned)field : 0)) {
				TRY(xti_skip(in, &t));
				continue;
			}
			if (ev->input.n == XT_INPUT_MAX_VALUES)
				return xti_bad(in, "input: more than %d values", XT_INPUT_MAX_VALUES);
			struct xt_input_value *iv = &ev->input.v[ev->input.n++];
			iv->field = (uint16_t)field;
			TRY(xti_uint(in, &t, &iv->value));
		}
		return 0;
	case XT_EV_INPUT * 16 + EK_5:
		return xti_blob(in, v, a, &ev->input.data, &ev->input.data_len);
	case XT_EV_KTRACE * 16 + EK_3: return xti_text(in, v, a, &ev->ktrace.name);
	case XT_EV_KTRACE * 16 + EK_4: return xti_uint(in, v, &ev->ktrace.ts_ns);
	case XT_EV_KTRACE * 16 + EK_5: return get_u32(in, v, &ev->ktrace.cpu);
	case XT_EV_KTRACE * 16 + EK_6: {
		if (v->type != XTI_MAP)
			return xti_bad(in, "ktrace fields: expected a map");
		struct xt_ktrace_field *f = xti_alloc(a, v->u * sizeof(*f));
		if (!f && v->u)
			return xti_err(in->err, -ENOMEM, "out of memory");
		for (uint64_t i = 0; i < v->u; i++) {
			struct xti_tok t;
			TRY(xti_next(in, &t));
			TRY(xti_text(in, &t, a, &f[i].name));
			TRY(xti_next(in, &t));
			if (t.type == XTI_TEXT)
				TRY(xti_text(in, &t, a, &f[i].str));
			else
				TRY(xti_int(in, &t, &f[i].num));
		}
		TRY(xti_texts_once(in, f, v->u, sizeof(*f), "ktrace fields"));
		ev->ktrace.fields = f;
		ev->ktrace.n_fields = v->u;
		return 0;
	}
	case XT_EV_NOTE * 16 + EK_3: return xti_text(in, v, a, &ev->note.text);
	case XT_EV_IPI * 16 + EK_3: return xti_uint(in, v, &ev->ipi.icr);
	case XT_EV_IPI * 16 + EK_4: return get_bool01(in, v, &ev->ipi.x2apic);
	case XT_EV_MP_STATE * 16 + EK_3: return get_u32(in, v, &ev->mp.from);
	case XT_EV_MP_STATE * 16 + EK_4: return get_u32(in, v, &ev->mp.to);
	case XT_EV_MP_STATE * 16 + EK_5:
		ev->mp.by_sipi = 1;
		return get_u32(in, v, &ev->mp.sipi_vector);
	case XT_EV_STATS * 16 + EK_3: {
		if (v->type != XTI_MAP)
			return xti_bad(in, "stats: expected a map");
		uint32_t *idx = xti_alloc(a, v->u * sizeof(*idx));
		int64_t *delta = xti_alloc(a, v->u * sizeof(*delta));
		if ((!idx || !delta) && v->u)
			return xti_err(in->err, -ENOMEM, "out of memory");
		struct xti_keys seen = { 0 };
		for (uint64_t i = 0; i < v->u; i++) {
			uint64_t k;
			struct xti_tok t;
			TRY(xti_map_key_once(in, &seen, "stats", &k, &t));
			if (k > UINT32_MAX)
				return xti_bad(in, "stats: index too large");
			idx[i] = (uint32_t)k;
			TRY(xti_int(in, &t, &delta[i]));
		}
		ev->stats.index = idx;
		ev->stats.delta = delta;
		ev->stats.n = v->u;
		return 0;
	}
	}
	return xti_skip(in, v);
}

/*
 * The keys each kind this reader knows requires (bit k: key k): without
 * them a tool would meet a NULL where the format promises a value.
 */
static const uint64_t event_required[XT_EV_KIND_LIMIT] = {
	[XT_EV_IRQ_INJECT] = 0x38,	/* method, vector, result */
	[XT_EV_IRQ_TAKEN] = 0x3f8,	/* vector .. handler */
	[XT_EV_CONSOLE] = 0x08,		/* data */
	[XT_EV_INPUT] = 0x18,		/* what, values */
	[XT_EV_KTRACE] = 0x78,		/* name, ts_ns, cpu, fields */
	[XT_EV_NOTE] = 0x08,		/* text */
	[XT_EV_STATS] = 0x08,		/* deltas */
	[XT_EV_IPI] = 0x18,		/* icr, x2apic */
	[XT_EV_MP_STATE] = 0x18,	/* from, to */
};

int xti_get_event(struct xti_in *in, size_t npairs, struct xt_event *ev, struct xti_arena *a)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);	/* handed out: this library's layout */
	bool have_kind = false, have_step = false;
	struct xti_keys seen = XTI_KEYS_RECORD;
	for (size_t i = 0; i < npairs; i++) {
		uint64_t key;
		struct xti_tok v;
		TRY(xti_map_key_once(in, &seen, "event", &key, &v));
		if (key == XTK_E_KIND) {
			/*
			 * The kind says which union member the keys fill: a second
			 * kind would hand out what one member wrote as another's
			 * pointers and lengths.
			 */
			if (have_kind)
				return xti_bad(in, "event: a second kind");
			TRY(get_u32(in, &v, &ev->kind));
			have_kind = true;
			/* kind-specific keys are read by kind, so the kind must come first */
			if (ev->kind == XT_EV_IRQ_INJECT)
				ev->inject.port = -1;
		} else if (key == XTK_E_STEP) {
			TRY(xti_uint(in, &v, &ev->step));
			have_step = true;
		} else if (key == XTK_VCPU) {
			TRY(get_u32(in, &v, &ev->vcpu));
		} else if (!have_kind) {
			return xti_bad(in, "event: key %llu before the event kind",
				       (unsigned long long)key);
		} else {
			TRY(get_event_value(in, key, &v, ev, a));
		}
	}
	if (!have_kind || !have_step)
		return xti_bad(in, "event without %s", have_kind ? "a step" : "a kind");
	if (ev->kind < XT_EV_KIND_LIMIT) {
		uint64_t missing = event_required[ev->kind] & ~seen.low[0];
		if (missing)
			return xti_bad(in, "%s event without its key %d", xt_event_kind_name(ev->kind),
				       __builtin_ctzll(missing));
	}
	return 0;
}

static void put_hist(struct xti_buf *b, const struct xt_hist_entry *h, size_t n)
{
	xti_put_map(b, n);
	for (size_t i = 0; i < n; i++)
		kv_uint(b, h[i].reason, h[i].count);
}

/* Per vCPU: steps, histogram, and the final state but vCPU 0's, which is the footer's own. */
static void put_vcpu_summaries(struct xti_buf *b, const struct xt_footer *f, uint32_t capture)
{
	xti_put_uint(b, XTK_F_VCPUS);
	xti_put_array(b, f->n_vcpus);
	for (size_t v = 0; v < f->n_vcpus; v++) {
		const struct xt_vcpu_summary *s = &f->vcpus[v];
		xti_put_map(b, v ? 3 : 2);
		kv_uint(b, XTK_FV_STEPS, s->steps);
		xti_put_uint(b, XTK_FV_HIST);
		put_hist(b, s->hist, s->n_hist);
		if (v) {
			xti_put_uint(b, XTK_FV_FINAL);
			xti_put_state(b, s->final, capture);
		}
	}
}

void xti_put_footer(struct xti_buf *b, const struct xt_footer *f, uint32_t capture)
{
	size_t nev = 0;
	for (unsigned k = 0; k < XT_EV_KIND_LIMIT; k++)
		nev += f->event_counts[k] != 0;
	xti_put_map(b, 10 + (f->n_vcpus > 1));
	kv_uint(b, XTK_TYPE, XT_REC_FOOTER);
	kv_uint(b, XTK_F_STEPS, f->steps);
	kv_uint(b, XTK_F_END_REASON, f->end_reason);
	kv_int(b, XTK_F_END_CODE, f->end_code);
	xti_put_uint(b, XTK_F_END_DETAIL);
	xti_put_text(b, f->end_detail ? f->end_detail : "");
	xti_put_uint(b, XTK_F_HIST);
	xti_put_map(b, f->n_hist);
	for (size_t i = 0; i < f->n_hist; i++)
		kv_uint(b, f->hist[i].reason, f->hist[i].count);
	xti_put_uint(b, XTK_F_FINAL);
	xti_put_state(b, f->final, capture);
	xti_put_uint(b, XTK_F_INDEX);
	xti_put_array(b, f->n_index);
	for (size_t i = 0; i < f->n_index; i++) {
		xti_put_array(b, 3);
		xti_put_uint(b, f->index[i].offset);
		xti_put_uint(b, f->index[i].first_step);
		xti_put_uint(b, f->index[i].nsteps);
	}
	kv_uint(b, XTK_F_DURATION, f->duration_ns);
	xti_put_uint(b, XTK_F_EVENT_COUNTS);
	xti_put_map(b, nev);
	for (unsigned k = 0; k < XT_EV_KIND_LIMIT; k++)
		if (f->event_counts[k])
			kv_uint(b, k, f->event_counts[k]);
	if (f->n_vcpus > 1)
		put_vcpu_summaries(b, f, capture);
}

static int get_hist(struct xti_in *in, const struct xti_tok *v, const struct xt_hist_entry **out,
		    size_t *n, struct xti_arena *a)
{
	if (v->type != XTI_MAP)
		return xti_bad(in, "histogram: expected a map");
	struct xt_hist_entry *h = xti_alloc(a, v->u * sizeof(*h));
	if (!h && v->u)
		return xti_err(in->err, -ENOMEM, "out of memory");
	struct xti_keys seen = { 0 };
	for (uint64_t j = 0; j < v->u; j++) {
		struct xti_tok c;
		TRY(xti_map_key_once(in, &seen, "histogram", &h[j].reason, &c));
		TRY(xti_uint(in, &c, &h[j].count));
	}
	*out = h;
	*n = v->u;
	return 0;
}

/* The per-vCPU summaries; vCPU 0's final state is the footer's own (the caller's). */
static int get_vcpu_summaries(struct xti_in *in, const struct xti_tok *v, struct xt_footer *f,
			      struct xti_arena *a)
{
	if (v->type != XTI_ARRAY || v->u == 0 || v->u > XT_VCPUS_MAX)
		return xti_bad(in, "footer vCPUs: expected an array of 1 to %u maps", XT_VCPUS_MAX);
	struct xt_vcpu_summary *s = xti_alloc(a, v->u * sizeof(*s));
	if (!s)
		return xti_err(in->err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < v->u; i++) {
		struct xti_tok t;
		TRY(xti_expect(in, &t, XTI_MAP, "a vCPU summary"));
		struct xti_keys seen = { 0 };
		for (uint64_t j = 0; j < t.u; j++) {
			uint64_t key;
			struct xti_tok c;
			TRY(xti_map_key_once(in, &seen, "vCPU summary", &key, &c));
			if (key == XTK_FV_STEPS) {
				TRY(xti_uint(in, &c, &s[i].steps));
			} else if (key == XTK_FV_HIST) {
				TRY(get_hist(in, &c, &s[i].hist, &s[i].n_hist, a));
			} else if (key == XTK_FV_FINAL && i > 0) {
				struct xt_state *st = xti_alloc(a, sizeof(*st));
				if (!st)
					return xti_err(in->err, -ENOMEM, "out of memory");
				TRY(xti_get_state(in, &c, st));
				s[i].final = st;
			} else {
				TRY(xti_skip(in, &c));
			}
		}
	}
	f->vcpus = s;
	f->n_vcpus = v->u;
	return 0;
}

int xti_get_footer(struct xti_in *in, size_t npairs, struct xt_footer *f, struct xt_state *final,
		   struct xti_arena *a)
{
	struct xti_keys seen = XTI_KEYS_RECORD;
	f->size = sizeof(*f);	/* handed out: this library's layout */
	for (size_t i = 0; i < npairs; i++) {
		uint64_t key;
		struct xti_tok v;
		TRY(xti_map_key_once(in, &seen, "footer", &key, &v));
		switch (key) {
		case XTK_F_STEPS: TRY(xti_uint(in, &v, &f->steps)); break;
		case XTK_F_END_REASON: TRY(get_u32(in, &v, &f->end_reason)); break;
		case XTK_F_END_CODE: TRY(xti_int(in, &v, &f->end_code)); break;
		case XTK_F_END_DETAIL: TRY(xti_text(in, &v, a, &f->end_detail)); break;
		case XTK_F_HIST: {
			if (v.type != XTI_MAP)
				return xti_bad(in, "histogram: expected a map");
			struct xt_hist_entry *h = xti_alloc(a, v.u * sizeof(*h));
			if (!h && v.u)
				return xti_err(in->err, -ENOMEM, "out of memory");
			struct xti_keys reasons = { 0 };
			for (uint64_t j = 0; j < v.u; j++) {
				struct xti_tok c;
				TRY(xti_map_key_once(in, &reasons, "histogram", &h[j].reason, &c));
				TRY(xti_uint(in, &c, &h[j].count));
			}
			f->hist = h;
			f->n_hist = v.u;
			break;
		}
		case XTK_F_VCPUS: TRY(get_vcpu_summaries(in, &v, f, a)); break;
		case XTK_F_FINAL:
			TRY(xti_get_state(in, &v, final));
			f->final = final;
			break;
		case XTK_F_INDEX: {
			if (v.type != XTI_ARRAY)
				return xti_bad(in, "frame index: expected an array");
			struct xt_frame_index *ix = xti_alloc(a, v.u * sizeof(*ix));
			if (!ix && v.u)
				return xti_err(in->err, -ENOMEM, "out of memory");
			for (uint64_t j = 0; j < v.u; j++) {
				struct xti_tok t;
				TRY(xti_expect(in, &t, XTI_ARRAY, "an index entry"));
				if (t.u != 3)
					return xti_bad(in, "index entry: expected [offset, first_step, nsteps]");
				uint64_t *dst[3] = { &ix[j].offset, &ix[j].first_step, &ix[j].nsteps };
				for (int k = 0; k < 3; k++) {
					TRY(xti_next(in, &t));
					TRY(xti_uint(in, &t, dst[k]));
				}
			}
			f->index = ix;
			f->n_index = v.u;
			break;
		}
		case XTK_F_DURATION: TRY(xti_uint(in, &v, &f->duration_ns)); break;
		case XTK_F_EVENT_COUNTS:
			if (v.type != XTI_MAP)
				return xti_bad(in, "event counts: expected a map");
			struct xti_keys kinds = { 0 };
			for (uint64_t j = 0; j < v.u; j++) {
				uint64_t kind, count;
				struct xti_tok c;
				TRY(xti_map_key_once(in, &kinds, "event counts", &kind, &c));
				TRY(xti_uint(in, &c, &count));
				if (kind < XT_EV_KIND_LIMIT)
					f->event_counts[kind] = count;
			}
			break;
		default: TRY(xti_skip(in, &v));
		}
	}
	/*
	 * Tools take these as given: a footer (written by anyone) without them
	 * would hand out a NULL final state or an index of nothing.
	 */
	static const struct { unsigned key; const char *name; } required[] = {
		{ XTK_F_STEPS, "step count" }, { XTK_F_FINAL, "final state" },
		{ XTK_F_INDEX, "frame index" },
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!xti_key_seen(&seen, required[i].key))
			return xti_bad(in, "footer without its %s (key %u)", required[i].name,
				       required[i].key);
	if (!f->end_detail)
		f->end_detail = "";
	return 0;
}
