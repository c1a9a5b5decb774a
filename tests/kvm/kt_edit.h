/* SPDX-License-Identifier: MIT */
/*
 * Rewriting a trace through libexitrace, for tests that need a trace the
 * recorder would not write: every record is read with xt_reader, handed to
 * the test to change, drop or add to, and written with xt_writer.
 */
#ifndef XT_KT_EDIT_H
#define XT_KT_EDIT_H

#include "kt.h"

struct kt_edit {
	struct xt_writer *w;	/* the new trace: a callback may write records of its own */
	uint64_t shift;		/* added to every later event's step (count the steps you insert) */
	const char *end_detail;	/* if a callback sets it: the footer's end detail instead of the source's */
};

/*
 * Called with each step (ev NULL; state is a copy to change) and each event
 * (state NULL; ev is a copy to change) in file order; step is the record's
 * step in the source.  Return false to drop the record.
 */
typedef bool (*kt_edit_fn)(struct kt_edit *e, uint64_t step, struct xt_state *state,
			   struct xt_event *ev, void *ctx);

/* Called once with a copy of the header before anything is written, to change it. */
typedef void (*kt_header_fn)(struct xt_header *h, void *ctx);

/*
 * Copy src to dst through fn (NULL: unchanged).  opts may be NULL.  The
 * footer's end reason is kept; a source without one gives a destination
 * without one.  Fails the test on any error.
 */
void kt_rewrite(const char *src, const char *dst, const struct xt_writer_options *opts,
		kt_edit_fn fn, void *ctx);
/* The same, with the header changed by hfn first. */
void kt_rewrite_with(const char *src, const char *dst, const struct xt_writer_options *opts,
		     kt_header_fn hfn, kt_edit_fn fn, void *ctx);

#endif
