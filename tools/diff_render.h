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

/* One JSON document: begin (files, header differences, "hunks":[), hunks, end (summary). */
void render_json_begin(FILE *o, const char *const path[2], const struct xd_hdiffs *hd);
void render_hunk_json(FILE *o, struct guest_code *const g[2], const struct xd_hunk *hunk);
void render_json_end(FILE *o, const struct xd_summary *s);

/* The cause of a hunk in one line ("A: IRQ 0x30 delivered ... B: no IRQ; ..."). */
void render_cause(char *buf, size_t size, const struct xd_hunk *hunk);
/* "debug-exit (isa-debug-exit, status 3) at step 161", or "truncated at step 40". */
void render_end(char *buf, size_t size, const struct xd_trace_summary *t);
/* "<symbol> instruction" at a RIP in s's mode, from g (Zydis, initial memory); "" without g or s. */
void render_code(char *buf, size_t size, struct guest_code *g, const struct xt_state *s, uint64_t rip);

#endif
