/* SPDX-License-Identifier: MIT */
/* Printing the diff engine's results: text (diff_text.c) and JSON (diff_json.c). */
#ifndef XT_DIFF_RENDER_H
#define XT_DIFF_RENDER_H

#include <stdio.h>

#include "diff.h"

struct guest_code;

/* g[2]: the code of A and B (instructions and symbols at each RIP shown; NULL: none). */
void render_hunk_text(FILE *o, struct guest_code *const g[2], const struct xd_hunk *hunk);
void render_summary_text(FILE *o, const struct xd_summary *s);

/*
 * Several vCPUs: what the walks of each vCPU and the global order add up
 * to, for the last lines (text) and the summary (JSON).
 */
struct diff_totals {
	uint32_t n_vcpus[2];		/* each trace's */
	uint32_t walked;		/* vCPUs compared */
	bool only_one;			/* --vcpu: the others were not looked at */
	unsigned hunks, vcpus_differ;	/* hunks in all, and the vCPUs that have some */
	uint64_t compared, skipped[2];
	bool ends_differ;
	const struct xd_order *order;
	struct xd_trace_summary t[2];	/* the traces as a whole: how they ended */
};

/* Did the traces behave the same: every vCPU walk, the ends, the global order, the vCPU counts? */
bool diff_totals_identical(const struct diff_totals *t);
/* Add one vCPU's walk. */
void diff_totals_add(struct diff_totals *t, const struct xd_summary *s);

/* The last line of a vCPU's section: "vCPU 1: 2 hunks; ..." or "vCPU 0: identical: ...". */
void render_vcpu_summary_text(FILE *o, const struct xd_summary *s);
/* The global order: one line per note ("vCPU 1 took IPI 0xf0 at its step 34 in A, 36 in B"). */
void render_order_text(FILE *o, const struct xd_order *order);
/* How both traces ended, and the totals. */
void render_totals_text(FILE *o, const struct diff_totals *t);

/* One JSON document: begin (files, header differences, "hunks":[), hunks, end (summary). */
void render_json_begin(FILE *o, const char *const path[2], const struct xd_hdiffs *hd);
/*
 * Several vCPUs: render_json_begin_vcpus() opens "vcpus":[ instead of
 * "hunks":[; each vCPU is {"vcpu":N,"hunks":[...],"summary":{...}}
 * (render_json_vcpu_begin, its hunks, render_json_vcpu_end); then
 * render_json_end_vcpus() writes "order":[...] and the summary.
 */
void render_json_begin_vcpus(FILE *o, const char *const path[2], const struct xd_hdiffs *hd);
void render_json_vcpu_begin(FILE *o, bool first, uint32_t vcpu);
void render_json_vcpu_end(FILE *o, const struct xd_summary *s);
void render_json_end_vcpus(FILE *o, const struct diff_totals *t);
void render_hunk_json(FILE *o, struct guest_code *const g[2], const struct xd_hunk *hunk);
void render_json_end(FILE *o, const struct xd_summary *s);

/* The cause of a hunk in one line ("A: IRQ 0x30 delivered ... B: no IRQ; ..."). */
void render_cause(char *buf, size_t size, const struct xd_hunk *hunk);
/* "debug-exit (isa-debug-exit, status 3) at step 161", or "truncated at step 40". */
void render_end(char *buf, size_t size, const struct xd_trace_summary *t);
/* "<symbol> instruction" at a RIP in s's mode, from g (Zydis, initial memory); "" without g or s. */
void render_code(char *buf, size_t size, struct guest_code *g, const struct xt_state *s, uint64_t rip);

#endif
