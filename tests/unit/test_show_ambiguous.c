// SPDX-License-Identifier: MIT
/*
 * How the tools show an ambiguous arrival (irq-taken with candidates):
 * dump's text says "vector=? (0x30|0x31)" and its JSON "vector":null with
 * the candidates, stat counts it apart from vector 0x30; a decided arrival
 * next to it is shown as before.
 *
 * usage: test_show_ambiguous EXITRACE
 */
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"

static char dir[] = "/tmp/xt-show-ambiguous-XXXXXX";
static char out[1 << 16];

/* exitrace ARGS: its stdout; the status must be 0. */
static const char *run(const char *exitrace, const char *args)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "'%s' %s", exitrace, args);
	FILE *p = popen(cmd, "r");
	TEST_ASSERT(p, "popen %s", cmd);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	TEST_EQ_U64(0, pclose(p), "%s: exit status", cmd);
	return out;
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 2, "usage: test_show_ambiguous EXITRACE");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	const char *path = test_path(dir, "amb.xtr");
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, NULL, &err), "open: %s", err.msg);
	struct fx_rng rng = { 1 };
	struct xt_state s = fh.initial;
	for (uint64_t step = 1; step <= 20; step++) {
		fx_step(&rng, &s, step, XT_CAPTURE_DEFAULT, false);
		TEST_EQ_U64(0, xt_writer_step(w, &s), "step");
		if (step == 5 || step == 10) {
			struct xt_event ev = fx_taken(step);
			if (step == 10) {	/* 0x30 or 0x31 */
				ev.taken.candidates[0] = 3ull << 48;
				ev.taken.evidence |= XT_EVIDENCE_FRAME_SIZE;
			}
			TEST_EQ_U64(0, xt_writer_event(w, &ev), "event");
		}
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);

	char args[700];
	snprintf(args, sizeof(args), "dump '%s'", path);
	const char *text = run(argv[1], args);
	TEST_CONTAINS(text, "5  + irq-taken vector=0x30 external rip 0x1000", "the decided one as before");
	TEST_CONTAINS(text, "10  + irq-taken vector=? (0x30|0x31) external rip 0x1000",
		      "the ambiguous one names no vector, only its candidates");
	TEST_CONTAINS(text, "[stack-frame,idt,frame-size]", "the new evidence bit by name");
	snprintf(args, sizeof(args), "dump --json '%s'", path);
	text = run(argv[1], args);
	TEST_CONTAINS(text, "\"step\":5,\"event\":\"irq-taken\",\"vector\":48,", "JSON: decided");
	TEST_CONTAINS(text, "\"step\":10,\"event\":\"irq-taken\",\"vector\":null,\"candidates\":[48,49],",
		      "JSON: null and the candidates");
	snprintf(args, sizeof(args), "stat '%s'", path);
	text = run(argv[1], args);
	TEST_CONTAINS(text, "0x30               0       1\n", "stat: one arrival of 0x30");
	TEST_CONTAINS(text, "\n?                          1  (vector undecided", "and one undecided");
	snprintf(args, sizeof(args), "stat --json '%s'", path);
	text = run(argv[1], args);
	TEST_CONTAINS(text, "{\"vector\":48,\"injected\":0,\"taken\":1}", "stat JSON: one of 0x30");
	TEST_CONTAINS(text, "\"irqs_ambiguous\":1", "and one undecided");
	remove(path);
	rmdir(dir);
	return 0;
}
