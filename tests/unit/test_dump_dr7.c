// SPDX-License-Identifier: MIT
/*
 * A trace from before "not written" (tests/data/exceptions.xtr, recorded
 * when the recorder stored whatever KVM left in debug.dr7): it still reads,
 * the library hands the value back as stored, and dump, text and JSON, shows
 * no value that is not a DR7 (format/SPEC.md section 4).
 *
 * usage: test_dump_dr7 EXITRACE OLD_TRACE
 */
#include <stdlib.h>

#include "exitrace.h"
#include "test_util.h"

static char out[1 << 22];

/* exitrace dump TRACE [--json]: its whole stdout; the status must be 0. */
static const char *dump(const char *exitrace, const char *trace, const char *opt)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "'%s' dump '%s' %s", exitrace, trace, opt);
	FILE *p = popen(cmd, "r");
	TEST_ASSERT(p, "popen %s", cmd);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	TEST_ASSERT(n < sizeof(out) - 1, "the dump fits the buffer");
	TEST_EQ_U64(0, pclose(p), "%s: exit status", cmd);
	return out;
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 3, "usage: test_dump_dr7 EXITRACE OLD_TRACE");
	/* the old trace holds values that are no DR7: count them through the library */
	struct xt_reader *r;
	struct xt_error err;
	TEST_EQ_U64(0, xt_reader_open(&r, argv[2], &err), "open: %s", err.msg);
	struct xt_record rec = XT_RECORD_INIT;
	size_t debug = 0, garbage = 0;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type != XT_REC_STEP || rec.state->exit.reason != 4 /* DEBUG */)
			continue;
		debug++;
		garbage += rec.state->exit.debug_dr7 && !xt_dr7_valid(rec.state->exit.debug_dr7);
	}
	TEST_EQ_U64(0, rc, "read to the end");
	xt_reader_close(r);
	TEST_ASSERT(debug > 100, "DEBUG exits: %zu", debug);
	TEST_ASSERT(garbage >= 4, "the old trace keeps what it stored: %zu values that are no DR7", garbage);

	const char *text = dump(argv[1], argv[2], "");
	TEST_CONTAINS(text, "DEBUG exception=1", "the text dump shows DEBUG exits");
	for (const char *p = text; (p = strstr(p, " dr7=")); p++)
		TEST_ASSERT(xt_dr7_valid(strtoull(p + 5, NULL, 0)), "text dump shows dr7=%.20s", p + 5);
	const char *json = dump(argv[1], argv[2], "--json");
	TEST_CONTAINS(json, "\"debug.dr6\"", "the JSON dump shows DEBUG payloads");
	for (const char *p = json; (p = strstr(p, "\"debug.dr7\":\"")); p++)
		TEST_ASSERT(xt_dr7_valid(strtoull(p + 13, NULL, 0)), "JSON dump shows debug.dr7 %.22s", p + 13);
	return 0;
}
