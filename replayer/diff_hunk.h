/* SPDX-License-Identifier: MIT */
/*
 * A hunk being built: its lines own copies of the states and events they
 * show (a trace's reader moves on), and are handed out as struct xd_hunk.
 */
#ifndef XT_DIFF_HUNK_H
#define XT_DIFF_HUNK_H

#include "diff_internal.h"

/* DIFF and CONTEXT lines kept per hunk; the rest are counted. */
#define XD_HUNK_MAX_LINES 48
/* Lines that explain the walk (skips, resyncs, ends) may go a little beyond. */
#define XD_HUNK_MAX_ALL (XD_HUNK_MAX_LINES + 16)

struct xd_stored_line {
	struct xd_line line;
	struct xt_state *sa, *sb;
	struct xt_field_set cha, chb;
	struct xd_events eva, evb;
	const struct xt_field **fields;
};

struct xd_hunk_buf {
	bool open;
	struct xd_stored_line *v;
	size_t n;
	size_t last_change;		/* index after the last line that is not context */
	unsigned equal_run;		/* equal pairs since then */
	uint64_t dropped, diff_steps;
	uint64_t step_a, step_b, rip;
	uint64_t global_a, global_b;
};

/* A copy of a cursor's current step. */
struct xd_view_src {
	uint64_t step, global, rip_before;
	const struct xt_state *state;
	const struct xt_field_set *changed;
	const struct xd_events *events;
};

/* Append a line; a or b may be NULL.  Returns the stored line (NULL: dropped) or -ENOMEM via *rc. */
struct xd_stored_line *xd_hunk_add(struct xd_hunk_buf *h, uint32_t kind, const struct xd_view_src *a,
				   const struct xd_view_src *b, int *rc);
/* Give a line copies of both traces' current steps. */
int xd_hunk_set_views(struct xd_stored_line *l, const struct xd_view_src *a, const struct xd_view_src *b);
/* Set a line's fields to the members of set (in id order). */
int xd_hunk_set_fields(struct xd_stored_line *l, const struct xt_field_set *set);
/* Drop the context lines beyond `keep` after the last change. */
void xd_hunk_trim(struct xd_hunk_buf *h, unsigned keep);
/* Fill out (valid until xd_hunk_reset) with the hunk and its cause. */
void xd_hunk_finish(struct xd_hunk_buf *h, const struct xd_cmp *cmp, unsigned index,
		    struct xd_line *lines, struct xd_hunk *out);
void xd_hunk_reset(struct xd_hunk_buf *h);

#endif
