/* SPDX-License-Identifier: MIT */
/*
 * Durations summed up the way `perf kvm stat report` does (count, total,
 * mean, min, max, p99), in constant memory whatever the trace's length:
 * a log-linear histogram (16 buckets per power of two, so a percentile is
 * off by at most 1/16 of its value) instead of every sample.  Durations are
 * in the trace's ticks (header vm key 22); tools convert when they print.
 */
#ifndef XT_TIME_STATS_H
#define XT_TIME_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define TIME_SUB_BITS 4
#define TIME_SUB (1u << TIME_SUB_BITS)
/* values below TIME_SUB each have a bucket; then TIME_SUB buckets per power of two up to 2^64 */
#define TIME_BUCKETS ((64 - TIME_SUB_BITS + 1) * TIME_SUB)

struct time_hist {
	uint64_t count, total, min, max;
	uint64_t bucket[TIME_BUCKETS];
};

/* The bucket of v, and the smallest and largest value it holds. */
unsigned time_bucket(uint64_t v);
uint64_t time_bucket_low(unsigned b);
uint64_t time_bucket_high(unsigned b);

void time_hist_add(struct time_hist *h, uint64_t v);
/*
 * The value below which (or at which) a share q (0 < q <= 1) of the samples
 * lie: the upper end of the bucket that holds the ceil(q * count)-th
 * smallest, but never above max nor below min.  0 when there are none.
 */
uint64_t time_hist_quantile(const struct time_hist *h, double q);

/* Both times of a step: its KVM_RUN's, and the host's after the exit until the vCPU's next KVM_RUN. */
struct time_key_stats {
	struct time_hist run;
	uint64_t after_count, after_total, after_max;
};

/*
 * Stats by key (an I/O port and direction, an MMIO address and access), in
 * a table of at most TIME_KEYS_MAX keys: keys first seen after it filled
 * are summed in one "other" entry, so memory stays bounded.
 */
#define TIME_KEYS_MAX 256
struct time_keyed {
	uint64_t key;
	bool used;
	struct time_key_stats s;
};
struct time_table {
	struct time_keyed *e;	/* open addressing over 2 * TIME_KEYS_MAX slots, allocated when first used */
	uint32_t used;
	bool overflowed;
	struct time_key_stats other;
};

/* The stats of key, added if new (or the "other" entry when full); NULL when out of memory. */
struct time_key_stats *time_table_get(struct time_table *t, uint64_t key);
/* The used entries, sorted by key, into a new array (caller frees); *n their number. */
struct time_keyed *time_table_sorted(const struct time_table *t, uint32_t *n);
void time_table_free(struct time_table *t);

#endif
