// SPDX-License-Identifier: MIT
/*
 * Time per exit: stat's log-linear histogram (buckets that tile the u64
 * range, each at most 1/16 of its values wide, and the p99 it gives), its
 * bounded key table, and the time block through the writer and reader
 * (cumulative fields whose step deltas are the durations, compare mask 0,
 * time_hz required).
 */
#include <inttypes.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"
#include "time_stats.h"

static char dir[] = "/tmp/xt-time-XXXXXX";

static void check_bucket(uint64_t v)
{
	unsigned b = time_bucket(v);
	TEST_ASSERT(b < TIME_BUCKETS, "bucket of %" PRIu64 ": %u", v, b);
	TEST_ASSERT(time_bucket_low(b) <= v && v <= time_bucket_high(b), "%" PRIu64 " in its bucket %u [%" PRIu64
		    ", %" PRIu64 "]", v, b, time_bucket_low(b), time_bucket_high(b));
}

static void test_buckets(void)
{
	for (uint64_t v = 0; v < (1u << 20); v++)
		check_bucket(v);
	struct fx_rng rng = { 11 };
	for (int i = 0; i < 100000; i++) {
		uint64_t v = fx_rand(&rng) >> (fx_rand(&rng) % 64);
		check_bucket(v);
	}
	check_bucket(UINT64_MAX);
	TEST_EQ_U64(0, time_bucket_low(0), "the first bucket starts at 0");
	TEST_EQ_U64(UINT64_MAX, time_bucket_high(TIME_BUCKETS - 1), "the last bucket ends at 2^64 - 1");
	for (unsigned b = 0; b + 1 < TIME_BUCKETS; b++) {
		TEST_EQ_U64(time_bucket_high(b) + 1, time_bucket_low(b + 1), "bucket %u ends where %u starts", b, b + 1);
		uint64_t lo = time_bucket_low(b), width = time_bucket_high(b) - lo + 1;
		TEST_ASSERT(width == 1 || width <= lo / TIME_SUB, "bucket %u: %" PRIu64 " wide at %" PRIu64, b, width, lo);
	}
}

static void test_quantiles(void)
{
	static struct time_hist h;
	memset(&h, 0, sizeof(h));
	TEST_EQ_U64(0, time_hist_quantile(&h, 0.99), "no samples");
	for (uint64_t v = 1; v <= 10000; v++)
		time_hist_add(&h, v);
	TEST_EQ_U64(10000, h.count, "count");
	TEST_EQ_U64(10000ull * 10001 / 2, h.total, "total");
	TEST_EQ_U64(1, h.min, "min");
	TEST_EQ_U64(10000, h.max, "max");
	uint64_t p99 = time_hist_quantile(&h, 0.99), p50 = time_hist_quantile(&h, 0.5);
	TEST_ASSERT(p99 >= 9900 && p99 <= 9900 + 9900 / TIME_SUB, "p99 of 1..10000: %" PRIu64, p99);
	TEST_ASSERT(p50 >= 5000 && p50 <= 5000 + 5000 / TIME_SUB, "p50 of 1..10000: %" PRIu64, p50);
	TEST_EQ_U64(10000, time_hist_quantile(&h, 1.0), "p100 is the max");

	/* one slow sample in a hundred does not move the p99; two do */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 99; i++)
		time_hist_add(&h, 250);
	time_hist_add(&h, 1000000);
	uint64_t q = time_hist_quantile(&h, 0.99);
	TEST_ASSERT(q >= 250 && q <= 250 + 250 / TIME_SUB, "p99 with one outlier in 100: %" PRIu64, q);
	time_hist_add(&h, 1000000);
	TEST_EQ_U64(1000000, time_hist_quantile(&h, 0.99), "p99 with two in 101: the outliers' (clamped to max)");

	/* a bucket's upper end never exceeds the largest sample nor undercuts the smallest */
	memset(&h, 0, sizeof(h));
	time_hist_add(&h, 1000003);
	TEST_EQ_U64(1000003, time_hist_quantile(&h, 0.99), "a single sample is its own p99");
	TEST_EQ_U64(1000003, time_hist_quantile(&h, 0.01), "and p1");
}

static void test_table(void)
{
	struct time_table t = { 0 };
	for (uint64_t k = 0; k < TIME_KEYS_MAX + 44; k++) {
		uint64_t key = (k * 2654435761u) % 100000;	/* spread out, distinct */
		struct time_key_stats *s = time_table_get(&t, key);
		TEST_ASSERT(s != NULL, "key %" PRIu64, key);
		time_hist_add(&s->run, k + 1);
	}
	TEST_EQ_U64(TIME_KEYS_MAX, t.used, "the table stops at its limit");
	TEST_ASSERT(t.overflowed && t.other.run.count == 44, "the rest in other: %" PRIu64, t.other.run.count);
	/* a key already in the table still finds its own entry when full */
	struct time_key_stats *first = time_table_get(&t, 0);
	TEST_ASSERT(first != &t.other && first->run.count == 1, "key 0 keeps its entry");
	uint32_t n;
	struct time_keyed *e = time_table_sorted(&t, &n);
	TEST_EQ_U64(TIME_KEYS_MAX, n, "sorted: every entry");
	for (uint32_t i = 1; i < n; i++)
		TEST_ASSERT(e[i - 1].key < e[i].key, "sorted by key at %u", i);
	free(e);
	time_table_free(&t);
}

/* The time block as the writer stores it and the reader gives it back. */
static void test_encoding(void)
{
	static struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT | XT_CAPTURE_TIME);
	const char *path = test_path(dir, "time.xtr");
	struct xt_writer *w;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, NULL, &err), "open: %s", err.msg);
	static struct xt_state s, want[1001];
	s = fh.initial;
	struct fx_rng rng = { 3 };
	for (uint64_t i = 1; i <= 1000; i++) {
		fx_step(&rng, &s, i, XT_CAPTURE_DEFAULT | XT_CAPTURE_TIME, false);
		want[i] = s;
		TEST_EQ_U64(0, xt_writer_step(w, &s), "step %" PRIu64 ": %s", i, xt_writer_error(w)->msg);
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);

	struct xt_reader *r;
	TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "reopen: %s", err.msg);
	const struct xt_header *h = xt_reader_header(r);
	TEST_EQ_U64(2000000000, h->vm.time_hz, "time_hz read back");
	TEST_EQ_U64(0, h->compare_masks[XT_F_TIME_RUN], "time.run is never compared");
	TEST_EQ_U64(0, h->compare_masks[XT_F_TIME_OUT], "time.out is never compared");
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t steps = 0;
	while (xt_reader_next(r, &rec) > 0) {
		if (rec.type != XT_REC_STEP)
			continue;
		steps++;
		TEST_EQ_U64(want[rec.step].time.run, rec.state->time.run, "time.run at step %" PRIu64, rec.step);
		TEST_EQ_U64(want[rec.step].time.out, rec.state->time.out, "time.out at step %" PRIu64, rec.step);
		/* fx_step's durations: 3000 + step * 37 % 500 ticks in KVM_RUN, 400 + step * 11 % 90 out */
		TEST_EQ_U64(3000 + rec.step * 37 % 500, rec.state->time.run - want[rec.step - 1].time.run,
			    "a step's time.run delta is its KVM_RUN's duration");
	}
	TEST_EQ_U64(1000, steps, "every step");
	xt_reader_close(r);

	/* ticks of no known clock: refused by name */
	fh.h.vm.time_hz = 0;
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, NULL, &err), "open: %s", err.msg);
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);
	TEST_ASSERT(xt_reader_open(&r, path, &err) < 0, "capture time without time_hz is refused");
	TEST_CONTAINS(err.msg, "time_hz", "the error names the missing key");
	unlink(path);
}

int main(void)
{
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	test_buckets();
	test_quantiles();
	test_table();
	test_encoding();
	rmdir(dir);
	return 0;
}
