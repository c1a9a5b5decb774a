// SPDX-License-Identifier: MIT
/* The state map {field id: absolute value}: header, keyframes, footer. */
#include <errno.h>
#include <string.h>

#include "xt_internal.h"

void xti_put_state(struct xti_buf *b, const struct xt_state *s, uint32_t capture)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table), count = 0;

	for (size_t id = 0; id < n; id++)
		if (table[id].name && (capture & (1u << table[id].block)))
			count++;
	xti_put_map(b, count);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (!f->name || !(capture & (1u << f->block)))
			continue;
		xti_put_uint(b, id);
		if (f->kind == XT_KIND_U64) {
			xti_put_uint(b, xt_field_get(s, f));
		} else {
			uint32_t len;
			const uint8_t *p = xt_field_blob(s, f, &len);
			xti_put_bytes(b, p, len);
		}
	}
}

/* Store a decoded value into field f of s: a U64 from an integer, a BLOB from bytes. */
int xti_store_field(struct xti_in *in, struct xt_state *s, const struct xt_field *f,
		    const struct xti_tok *t)
{
	if (f->kind == XT_KIND_U64) {
		if (t->type != XTI_UINT)
			return xti_bad(in, "field %s: expected an unsigned integer", f->name);
		xt_field_put(s, f, t->u);
		return 0;
	}
	if (t->type != XTI_BYTES)
		return xti_bad(in, "field %s: expected a byte string", f->name);
	if (t->len > f->cap)
		return xti_bad(in, "field %s: %zu bytes, at most %u allowed", f->name, t->len, f->cap);
	*(uint32_t *)((char *)s + f->len_offset) = (uint32_t)t->len;
	memcpy((char *)s + f->offset, t->p, t->len);
	return 0;
}

int xti_get_state(struct xti_in *in, const struct xti_tok *t, struct xt_state *s)
{
	int rc;
	if (t->type != XTI_MAP)
		return xti_bad(in, "expected a state map");
	s->size = sizeof(*s);	/* handed out: this library's layout */
	struct xti_keys seen = { 0 };
	for (uint64_t i = 0, n = t->u; i < n; i++) {
		struct xti_tok k, v;
		if ((rc = xti_next(in, &k)) || (rc = xti_next(in, &v)))
			return rc;
		if (k.type != XTI_UINT)
			return xti_bad(in, "state map: expected a field id");
		if ((rc = xti_key_once(in, &seen, k.u, "state map")))
			return rc;
		const struct xt_field *f = k.u < XT_FIELD_ID_LIMIT ? xt_field_by_id((unsigned)k.u) : NULL;
		rc = f ? xti_store_field(in, s, f, &v) : xti_skip(in, &v);
		if (rc)
			return rc;
	}
	return 0;
}
