// SPDX-License-Identifier: MIT
#include <string.h>

#include "compare.h"

void state_compare_init(struct state_compare *c, uint32_t capture, const uint64_t *masks)
{
	c->capture = capture;
	memcpy(c->masks, masks, sizeof(c->masks));
}

/* Do fields f of a and b differ under mask? */
static bool state_field_differs(const struct xt_field *f, uint64_t mask, const struct xt_state *a,
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
	uint32_t capture = with_exit ? c->capture : c->capture & ~(1u << XT_BLOCK_EXIT);
	struct xt_field_set changed;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	/* a field whose whole value is equal cannot differ under a mask */
	if (!xt_state_diff(a, b, capture, &changed))
		return 0;
	bool same_reason = a->exit.reason == b->exit.reason;
	XT_FIELD_SET_FOREACH(&changed, id) {
		const struct xt_field *f = xt_field_by_id(id);
		/* exit payload fields keep stale values of other exits */
		if (f->block == XT_BLOCK_EXIT && f->exit_reason != XT_ANY_EXIT &&
		    (!same_reason || !xt_field_applies(f, a->exit.reason)))
			continue;
		if (state_field_differs(f, c->masks[id], a, b)) {
			xt_field_set_add(out, id);
			n++;
		}
	}
	return n;
}
