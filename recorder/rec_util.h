/* SPDX-License-Identifier: MIT */
/* Small helpers shared by recorder/ and replayer/: errors as values. */
#ifndef XT_REC_UTIL_H
#define XT_REC_UTIL_H

#include "exitrace.h"

/* Fill err (if not NULL) with code and a message; returns code. */
int rec_err(struct xt_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Record and replay sample, every REC_OWN_SAMPLE_EVERY steps, the time from
 * a KVM_RUN's return to the next KVM_RUN ("ns of each outside KVM_RUN":
 * the stepping thread's own work, a writer thread's not), from the first
 * step on: two clock reads per sample, ~20 ns of it, nothing on the others.
 */
#define REC_OWN_SAMPLE_EVERY 64
struct rec_own_time {
	uint64_t ns, samples;	/* the time sampled, and the samples */
	uint64_t returned_at;	/* when a sampled KVM_RUN returned; 0 between samples */
};
/* Before each KVM_RUN: ends the sample a KVM_RUN's return opened. */
void rec_own_before_run(struct rec_own_time *o);
/* After each KVM_RUN; done: the steps finished before it. */
void rec_own_after_run(struct rec_own_time *o, uint64_t done);

/*
 * An unsigned number (decimal, or hex after 0x; a leading 0 is decimal,
 * never octal) at the start of s, into *v;
 * *end (if not NULL) is set past it.  Unlike strtoull it refuses what only
 * looks like one: leading blanks or a sign (strtoull takes " -1" for 2^64-1)
 * and a value that does not fit in 64 bits.  False if s does not start with
 * a digit or the number overflows.
 */
bool rec_parse_u64(const char *s, const char **end, uint64_t *v);

/* Read a whole file (at most max bytes); caller frees.  0 or -errno. */
int rec_read_file(const char *path, size_t max, uint8_t **data, size_t *size,
		  struct xt_error *err);

#endif
