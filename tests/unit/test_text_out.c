// SPDX-License-Identifier: MIT
/* dump's hand-built text (tools/text_out.c) against snprintf, and its output buffer. */
#include "test_util.h"
#include "text_out.h"

/* which writer text_of runs */
enum writer { HEX, DEC, DEC_WIDTH };

/*
 * v by one writer, as a string; also checks that it wrote nothing past
 * the end it returned (the buffer is filled with '#' first).
 */
static const char *text_of(enum writer w, uint64_t v, int width)
{
	static char buf[64];
	memset(buf, '#', sizeof(buf));
	char *end = w == HEX ? text_hex(buf, v) : w == DEC ? text_dec(buf, v)
							    : text_dec_width(buf, v, width);
	TEST_ASSERT(end > buf && end < buf + sizeof(buf) - 1, "end in the buffer, v=%" PRIu64, v);
	for (const char *q = end; q < buf + sizeof(buf); q++)
		TEST_ASSERT(*q == '#', "nothing written past the end, v=%" PRIu64, v);
	*end = 0;
	return buf;
}

/* One value through all three writers, against printf's formats. */
static void check(uint64_t v)
{
	char want[64];
	snprintf(want, sizeof(want), "0x%" PRIx64, v);
	TEST_EQ_STR(want, text_of(HEX, v, 0), "text_hex(%" PRIu64 ")", v);
	snprintf(want, sizeof(want), "%" PRIu64, v);
	TEST_EQ_STR(want, text_of(DEC, v, 0), "text_dec(%" PRIu64 ")", v);
	for (int width = -1; width <= 22; width++) {
		snprintf(want, sizeof(want), "%*" PRIu64, width < 0 ? 0 : width, v);
		TEST_EQ_STR(want, text_of(DEC_WIDTH, v, width), "text_dec_width(%" PRIu64 ", %d)", v, width);
	}
}

/* xorshift64: reproducible values of every length */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void check_numbers(void)
{
	static const uint64_t edges[] = { 0, 1, 9, 10, 15, 16, 99, 100, 255, 256,
					  4294967295ull, 4294967296ull, UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check(edges[i]);
	/* where the digit counts change: around every power of two and of ten */
	for (int b = 0; b < 64; b++) {
		uint64_t v = 1ull << b;
		check(v - 1);
		check(v);
		check(v + 1);
	}
	for (uint64_t v = 1;; v *= 10) {
		check(v - 1);
		check(v);
		check(v + 1);
		if (v > UINT64_MAX / 10)
			break;
	}
	for (uint64_t v = 0; v < 10000; v++)
		check(v);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 20000; i++) {
		uint64_t v = next_random(&x);
		check(v);
		check(v >> (v % 64));	/* shorter ones too */
	}
}

/* Pieces of every size through a text_out into a file: the file holds them all, in order. */
static void check_buffer(void)
{
	FILE *f = tmpfile();
	TEST_ASSERT(f, "tmpfile");
	static struct text_out o;
	static char want[4 * TEXT_OUT_SIZE];
	size_t len = 0;
	text_out_init(&o, f);
	for (size_t n = 1; len + n <= sizeof(want); n = n * 7 % 4099 + 1) {
		char *p = text_out_room(&o, n);
		TEST_ASSERT(p >= o.buf && p + n <= o.buf + TEXT_OUT_SIZE, "room for %zu bytes", n);
		for (size_t i = 0; i < n; i++)
			want[len + i] = p[i] = (char)('a' + (len + i) % 26);
		len += n;
		o.p = p + n;
	}
	/* a piece as large as the buffer */
	char *p = text_out_room(&o, TEXT_OUT_SIZE);
	TEST_ASSERT(p == o.buf, "a full buffer's room starts at the buffer");
	text_out_flush(&o);
	text_out_flush(&o);	/* nothing buffered: writes nothing */
	TEST_ASSERT(fflush(f) == 0 && !ferror(f), "writing the file");
	TEST_EQ_U64(len, (uint64_t)ftell(f), "file size");
	static char got[sizeof(want)];
	rewind(f);
	TEST_EQ_U64(len, fread(got, 1, len, f), "reading it back");
	TEST_ASSERT(memcmp(want, got, len) == 0, "the file holds what was written, in order");
	fclose(f);
}

int main(void)
{
	check_numbers();
	check_buffer();
	printf("ok\n");
	return 0;
}
