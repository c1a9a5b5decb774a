// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "time_stats.h"

#define SLOTS (2 * TIME_KEYS_MAX)

/*
 * Values below TIME_SUB are their own bucket; above, the power of two
 * (e = the top bit's position) picks a row of TIME_SUB buckets and the
 * TIME_SUB_BITS bits below the top bit the bucket in it.
 */
unsigned time_bucket(uint64_t v)
{
	if (v < TIME_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	return (e - TIME_SUB_BITS + 1) * TIME_SUB + (unsigned)((v >> (e - TIME_SUB_BITS)) & (TIME_SUB - 1));
}

uint64_t time_bucket_low(unsigned b)
{
	if (b < TIME_SUB)
		return b;
	unsigned e = b / TIME_SUB + TIME_SUB_BITS - 1;
	return (1ull << e) | ((uint64_t)(b % TIME_SUB) << (e - TIME_SUB_BITS));
}

uint64_t time_bucket_high(unsigned b)
{
	if (b < TIME_SUB)
		return b;
	unsigned e = b / TIME_SUB + TIME_SUB_BITS - 1;
	return time_bucket_low(b) + ((1ull << (e - TIME_SUB_BITS)) - 1);
}

void time_hist_add(struct time_hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->total += v;
	h->bucket[time_bucket(v)]++;
}

uint64_t time_hist_quantile(const struct time_hist *h, double q)
{
	if (!h->count)
		return 0;
	double x = q * (double)h->count;
	uint64_t rank = (uint64_t)x, seen = 0;
	if ((double)rank < x || rank < 1)
		rank++;
	for (unsigned b = time_bucket(h->min); b < TIME_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			uint64_t v = time_bucket_high(b);
			return v > h->max ? h->max : v < h->min ? h->min : v;
		}
	}
	return h->max;
}

struct time_key_stats *time_table_get(struct time_table *t, uint64_t key)
{
	if (!t->e && !(t->e = calloc(SLOTS, sizeof(*t->e))))
		return NULL;
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & (SLOTS - 1);
	while (t->e[i].used && t->e[i].key != key)
		i = (i + 1) & (SLOTS - 1);
	if (t->e[i].used)
		return &t->e[i].s;
	if (t->used == TIME_KEYS_MAX) {
		t->overflowed = true;
		return &t->other;
	}
	t->e[i].used = true;
	t->e[i].key = key;
	t->used++;
	return &t->e[i].s;
}

static int by_key(const void *a, const void *b)
{
	const struct time_keyed *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

struct time_keyed *time_table_sorted(const struct time_table *t, uint32_t *n)
{
	*n = 0;
	struct time_keyed *out = malloc((t->used ? t->used : 1) * sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; t->e && i < SLOTS; i++)
		if (t->e[i].used)
			out[(*n)++] = t->e[i];
	qsort(out, *n, sizeof(*out), by_key);
	return out;
}

void time_table_free(struct time_table *t)
{
	free(t->e);
	t->e = NULL;
}
