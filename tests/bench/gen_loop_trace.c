// SPDX-License-Identifier: MIT
/*
 * A synthetic trace of a single-stepped loop (inc rax; dec rcx; jnz), the
 * test fixture's states, for measuring the reader and diff.
 *
 * usage: gen_loop_trace STEPS OUT.xtr
 */
#include <stdlib.h>

#include "fixture.h"
#include "test_util.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s STEPS OUT.xtr\n", argv[0]);
		return 2;
	}
	uint64_t steps = strtoull(argv[1], NULL, 0);
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, argv[2], &fh.h, NULL, &err), "open: %s", err.msg);
	struct xt_state s = fh.initial;
	struct fx_rng rng = { 42 };
	for (uint64_t k = 1; k <= steps; k++) {
		fx_step(&rng, &s, k, XT_CAPTURE_DEFAULT, false);
		TEST_EQ_U64(0, xt_writer_step(w, &s), "step %" PRIu64 ": %s", k, xt_writer_error(w)->msg);
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);
	return 0;
}
