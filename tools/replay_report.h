/* SPDX-License-Identifier: MIT */
/* Printing what a replay found (replay_report.c), for replay and check. */
#ifndef XT_REPLAY_REPORT_H
#define XT_REPLAY_REPORT_H

#include <stdio.h>

#include "replay.h"

/* Up to max host differences, one a line: "what  recorded A, here B". */
void report_hosts(FILE *o, const char *indent, const struct host_diff *d, size_t max);
/* The divergence: the step, the exits, each differing field, context. */
void report_divergence(FILE *o, const struct replay_result *res);
/* "rax 0x1 vs 0x2, rflags 0x202 vs 0x246" (recorded vs replayed), up to max fields. */
void report_fields_short(char *buf, size_t size, const struct replay_divergence *d, size_t max);
/* How the recording ended, as a clause: "the recording ended there: hlt (...)". */
const char *report_end(char *buf, size_t size, const struct replay_result *res);
/*
 * The keys of one replay's JSON object after its first (the caller opens
 * and closes it): file, outcome (identical, diverged, stopped, error),
 * steps, then the end, host differences and divergence; rc is
 * replay_run()'s.
 */
void report_json_body(FILE *o, const char *path, int rc, const struct replay_result *res);

#endif
