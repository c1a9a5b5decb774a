// SPDX-License-Identifier: MIT
/*
 * count_exits: the exit reasons of a trace and how many steps ended in
 * each, read step by step through libexitrace's public API.
 *
 *   cc count_exits.c $(pkg-config --cflags --libs exitrace) -o count_exits
 *   ./count_exits a.xtr
 */
#include <inttypes.h>
#include <stdio.h>

#include <exitrace.h>

#define REASONS 128	/* KVM's exit reasons are below this; the rest counted as "other" */

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: count_exits FILE.xtr\n");
		return 2;
	}
	struct xt_error err;
	struct xt_reader *r;
	if (xt_reader_open(&r, argv[1], &err) < 0) {
		fprintf(stderr, "count_exits: %s\n", err.msg);
		return 2;
	}
	uint64_t count[REASONS] = { 0 }, other = 0, steps = 0;
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type != XT_REC_STEP)
			continue;
		steps++;
		uint64_t reason = rec.state->exit.reason;
		if (reason < REASONS)
			count[reason]++;
		else
			other++;
	}
	if (rc < 0) {
		fprintf(stderr, "count_exits: %s\n", xt_reader_error(r)->msg);
		xt_reader_close(r);
		return 2;
	}
	printf("%" PRIu64 " steps%s\n", steps, xt_reader_truncated(r) ? " (truncated trace)" : "");
	for (unsigned i = 0; i < REASONS; i++) {
		if (count[i]) {
			const char *name = xt_exit_reason_name(i);
			printf("%-16s %" PRIu64 "\n", name ? name : "?", count[i]);
		}
	}
	if (other)
		printf("%-16s %" PRIu64 "\n", "other", other);
	xt_reader_close(r);
	return 0;
}
