// SPDX-License-Identifier: MIT
/*
 * tools/text_escape.c: what a trace's strings look like in text output.
 * Nothing a trace holds may reach the terminal as a control (ESC, C1 CSI,
 * BEL) or start a line of its own (check's TAP output must not be forgeable).
 */
#include "test_util.h"
#include "text_escape.h"

static void expect(const char *in, size_t n, unsigned flags, const char *want)
{
	char buf[256];
	size_t len = text_esc_mem(buf, sizeof(buf), in, n, flags);
	TEST_EQ_STR(want, buf, "escaping %zu bytes", n);
	TEST_EQ_U64(strlen(want), len, "the length returned");
}

#define EXPECT(lit, want) expect((lit), sizeof(lit) - 1, 0, (want))

int main(void)
{
	EXPECT("6.1.0-13-amd64", "6.1.0-13-amd64");
	/* the forged TAP line: one line with the newline shown */
	EXPECT("isa-debug-exit\nok 2 - forged.xtr", "isa-debug-exit\\nok 2 - forged.xtr");
	EXPECT("a\r\tb", "a\\r\\tb");
	/* terminal escapes: OSC (title), CSI (clear), BEL */
	EXPECT("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07");
	EXPECT("\x1b[2J", "\\x1b[2J");
	EXPECT("del\x7f", "del\\x7f");
	/* a backslash is doubled, so an escape shown is never ambiguous */
	EXPECT("C:\\x1b", "C:\\\\x1b");
	/* NUL inside the bytes given */
	EXPECT("a\0b", "a\\x00b");
	/* printing UTF-8 stays; C1 controls (CSI as U+009B), bidi overrides and line separators do not */
	EXPECT("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	EXPECT("\xc2\x9b" "2J", "\\u009b2J");
	EXPECT("\xc2\x85", "\\u0085");
	EXPECT("abc\xe2\x80\xae" "cba", "abc\\u202ecba");
	EXPECT("x\xe2\x80\xa8y", "x\\u2028y");
	EXPECT("\xe2\x81\xa6", "\\u2066");
	/* not UTF-8: each byte as \xHH (a lone C1 byte 0x9b is a CSI to some terminals) */
	EXPECT("\x9b" "2J", "\\x9b2J");
	EXPECT("\xc3", "\\xc3");
	EXPECT("\xe2\x82", "\\xe2\\x82");
	EXPECT("\xc0\xaf", "\\xc0\\xaf");	/* overlong */
	/* quotes only when asked */
	EXPECT("say \"hi\"", "say \"hi\"");
	expect("say \"hi\"", 8, TEXT_ESC_QUOTE, "say \\\"hi\\\"");

	/* cut at a whole escape, marked */
	char small[12];
	text_esc_mem(small, sizeof(small), "\x1b\x1b\x1b\x1b", 4, 0);
	TEST_EQ_STR("\\x1b\\x1b...", small, "cut after whole escapes");
	text_esc_mem(small, sizeof(small), "abcdefghijk", 11, 0);
	TEST_EQ_STR("abcdefghijk", small, "fits exactly");
	text_esc_mem(small, sizeof(small), "abcdefghijkl", 12, 0);
	TEST_EQ_STR("abcdefgh...", small, "one byte too many");
	char tiny[4];
	text_esc_mem(tiny, sizeof(tiny), "\n", 1, 0);
	TEST_EQ_STR("\\n", tiny, "a whole escape");
	text_esc_mem(tiny, sizeof(tiny), "\n\n", 2, 0);
	TEST_EQ_STR("...", tiny, "or none, and the mark");
	TEST_ASSERT(strlen(tiny) < sizeof(tiny), "NUL-terminated");

	char buf[64];
	TEST_EQ_STR("?", text_esc(buf, sizeof(buf), NULL), "NULL reads as ?");
	TEST_EQ_STR("a\\nb", text_esc(buf, sizeof(buf), "a\nb"), "text_esc returns buf");

	/* every byte value alone: nothing below 0x20, DEL or a lone high byte passes raw */
	for (unsigned c = 0; c < 256; c++) {
		char in = (char)c;
		text_esc_mem(buf, sizeof(buf), &in, 1, 0);
		for (const char *p = buf; *p; p++)
			TEST_ASSERT((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
				    "byte 0x%02x gives printable ASCII only: \"%s\"", c, buf);
	}
	printf("ok\n");
	return 0;
}
