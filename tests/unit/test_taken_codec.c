// SPDX-License-Identifier: MIT
/*
 * The irq-taken event's candidates (key 11, format/SPEC.md section 6): an
 * ambiguous arrival is written with them and read back as written; a
 * decided one is written without; the reader refuses candidates that are
 * not two or more vectors in ascending order, naming the problem.
 */
#include "fixture.h"
#include "test_util.h"
#include "xt_internal.h"

/* Decode one event map from b; 0 or the reader's error with err set. */
static int decode(const struct xti_buf *b, struct xt_event *ev, struct xt_error *err)
{
	struct xti_in in = { .p = b->p, .start = b->p, .end = b->p + b->len, .err = err };
	struct xti_arena a = { 0 };
	struct xti_tok t;
	uint64_t k;
	memset(err, 0, sizeof(*err));
	TEST_EQ_U64(0, xti_next(&in, &t), "map head");
	TEST_EQ_U64(XTI_MAP, t.type, "an event map");
	size_t pairs = (size_t)t.u;
	/* key 0, the record type, is the reader's to take, as in reader.c */
	TEST_EQ_U64(0, xti_map_key(&in, &k, &t), "key 0");
	TEST_EQ_U64(0, k, "key 0 first");
	int rc = xti_get_event(&in, pairs - 1, ev, &a);
	xti_arena_free(&a);
	return rc;
}

/* An irq-taken map with key 11 made by hand: its items are n words of what. */
static void put_with(struct xti_buf *b, const uint64_t *items, size_t n, bool as_array)
{
	struct xt_event ev = fx_taken(9);
	b->len = 0;
	xti_put_map(b, 11);
	xti_put_uint(b, 0); xti_put_uint(b, XT_REC_EVENT);
	xti_put_uint(b, 1); xti_put_uint(b, XT_EV_IRQ_TAKEN);
	xti_put_uint(b, 2); xti_put_uint(b, ev.step);
	uint64_t v[] = { 0x30, ev.taken.type, ev.taken.outcome, ev.taken.evidence, ev.taken.rip_before,
			 ev.taken.rip_after, ev.taken.handler };
	for (unsigned k = 0; k < 7; k++) {
		xti_put_uint(b, 3 + k);
		xti_put_uint(b, v[k]);
	}
	xti_put_uint(b, 11);
	if (!as_array) {
		xti_put_uint(b, items[0]);
		return;
	}
	xti_put_array(b, n);
	for (size_t i = 0; i < n; i++)
		xti_put_uint(b, items[i]);
}

int main(void)
{
	struct xti_buf b = { 0 };
	struct xt_event ev = fx_taken(9), back;
	struct xt_error err;

	/* decided: no key 11, read back with no candidates */
	xti_put_event(&b, &ev);
	TEST_EQ_U64(0, decode(&b, &back, &err), "decided: %s", err.msg);
	TEST_ASSERT(!xt_taken_ambiguous(&back), "no candidates");
	TEST_EQ_U64(0x30, back.taken.vector, "the vector");

	/* ambiguous: 0x30, 0x31 and 0xff */
	ev.taken.candidates[0] = 3ull << 48;
	ev.taken.candidates[3] = 1ull << 63;
	b.len = 0;
	xti_put_event(&b, &ev);
	TEST_EQ_U64(0, decode(&b, &back, &err), "ambiguous: %s", err.msg);
	TEST_ASSERT(xt_taken_ambiguous(&back), "ambiguous");
	TEST_ASSERT(!memcmp(ev.taken.candidates, back.taken.candidates, sizeof(ev.taken.candidates)),
		    "the candidates as written");
	TEST_ASSERT(!memcmp(&ev.taken, &back.taken, sizeof(ev.taken)), "the whole event as written");
	char text[64];
	xt_taken_candidates_str(text, sizeof(text), &back);
	TEST_EQ_STR("0x30|0x31|0xff", text, "as text");

	/* what the reader refuses */
	static const struct {
		uint64_t items[3];
		size_t n;
		bool array;
		const char *why;
	} bad[] = {
		{ { 0x30 }, 1, true, "two or more" },
		{ { 0x30, 0x100 }, 2, true, "candidate 256 is not a vector" },
		{ { 0x31, 0x30 }, 2, true, "ascending" },
		{ { 0x30, 0x30 }, 2, true, "ascending" },
		{ { 0x30 }, 1, false, "expected an array" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_with(&b, bad[i].items, bad[i].n, bad[i].array);
		TEST_ASSERT(decode(&b, &back, &err) < 0, "case %zu refused", i);
		TEST_CONTAINS(err.msg, bad[i].why, "case %zu names the problem", i);
	}
	/* and what it takes from a hand-made map */
	uint64_t ok[] = { 0, 0xff };
	put_with(&b, ok, 2, true);
	TEST_EQ_U64(0, decode(&b, &back, &err), "0 and 0xff: %s", err.msg);
	TEST_ASSERT(xt_taken_candidate(&back, 0) && xt_taken_candidate(&back, 0xff), "both");
	xti_buf_free(&b);
	return 0;
}
