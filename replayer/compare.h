/* SPDX-License-Identifier: MIT */
/*
 * Comparing a replayed state with the recorded one the way the trace says
 * (format/SPEC.md section 10): only fields of captured blocks, each under
 * its compare mask from the trace header (0: not compared), and exit
 * payload fields only where they mean something for the recorded exit.
 */
#ifndef XT_COMPARE_H
#define XT_COMPARE_H

#include "exitrace.h"

struct state_compare {
	uint32_t capture;
	uint64_t masks[XT_FIELD_ID_LIMIT];
};

/* Prepare for a trace's capture set and masks (XT_FIELD_ID_LIMIT entries). */
void state_compare_init(struct state_compare *c, uint32_t capture, const uint64_t *masks);

/*
 * The compared fields that differ between recorded state a and replayed
 * state b, into out; returns how many.  The exit block: its fields that
 * apply to every exit, and the payload of a's exit reason when b's is the
 * same.  with_exit false leaves the exit block out (the initial state).
 */
size_t state_compare(const struct state_compare *c, const struct xt_state *a,
		     const struct xt_state *b, bool with_exit, struct xt_field_set *out);

#endif
