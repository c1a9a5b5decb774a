// SPDX-License-Identifier: MIT
#include <string.h>

#include "compare.h"

void state_compare_init(struct state_compare *c, uint32_t capture, const uint64_t *masks)
{
	memset(c, 0, sizeof(*c));
	c->capture = capture;
	if (masks)
		memcpy(c->masks, masks, sizeof(c->masks));
	else
		xt_default_compare_masks(c->masks);
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t b = 0; b < XT_NBLOCKS; b++)
		c->block[b].u64_off = SIZE_MAX;
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (!f->name)
			continue;
		struct compare_block *blk = &c->block[f->block];
		if (f->kind == XT_KIND_U64) {
			size_t end = blk->u64_off == SIZE_MAX ? 0 : blk->u64_off + blk->u64_len;
			if (f->offset < blk->u64_off)
				blk->u64_off = f->offset;
			if ((size_t)f->offset + 8 > end)
				end = (size_t)f->offset + 8;
			blk->u64_len = end - blk->u64_off;
		}
		if (c->masks[id] && blk->n < COMPARE_BLOCK_FIELDS)
			blk->ids[blk->n++] = (uint16_t)id;
	}
}

bool state_field_differs(const struct xt_field *f, uint64_t mask, const struct xt_state *a,
			 const struct xt_state *b)
{
	if (!mask)
		return false;
	if (f->kind == XT_KIND_U64)
		return ((xt_field_get(a, f) ^ xt_field_get(b, f)) & mask) != 0;
	return !xt_field_equal(a, b, f);	/* blobs: whole */
}

size_t state_compare(const struct state_compare *c, const struct xt_state *a,
		     const struct xt_state *b, bool with_exit, struct xt_field_set *out)
{
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	for (unsigned blk = 0; blk < XT_NBLOCKS; blk++) {
		if (!(c->capture & (1u << blk)))
			continue;
		bool is_exit = blk == XT_BLOCK_EXIT;
		if (is_exit && !with_exit)
			continue;
		const struct compare_block *bl = &c->block[blk];
		/* the common case, nothing differs at all, costs one memcmp (not for the
		 * exit block: its payload fields keep stale values of other exits) */
		if (!is_exit && bl->u64_len &&
		    !memcmp((const char *)a + bl->u64_off, (const char *)b + bl->u64_off, bl->u64_len))
			continue;
		bool same_reason = a->exit.reason == b->exit.reason;
		for (size_t i = 0; i < bl->n; i++) {
			const struct xt_field *f = xt_field_by_id(bl->ids[i]);
			if (is_exit && f->exit_reason != XT_ANY_EXIT &&
			    (!same_reason || !xt_field_applies(f, a->exit.reason)))
				continue;
			if (state_field_differs(f, c->masks[f->id], a, b)) {
				xt_field_set_add(out, f->id);
				n++;
			}
		}
	}
	return n;
}
