// SPDX-License-Identifier: MIT
/*
 * The trace library's own speed: records of a single-stepped loop encoded
 * and compressed (writer), then decoded (reader), in records per second of
 * one core, with the bytes each record costs on disk.
 *
 * usage: bench_format STEPS OUT.xtr [busy]
 *   busy: every 7th step also changes segments, events or exits an I/O port
 * Prints one line per measurement: "name value unit".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s STEPS OUT.xtr [busy]\n", argv[0]);
		return 2;
	}
	uint64_t steps = strtoull(argv[1], NULL, 0);
	bool busy = argc > 3 && !strcmp(argv[3], "busy");
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fh.h.vm.n_memory = 0;
	struct xt_writer *w;
	struct xt_error err = { 0 };
	if (xt_writer_open(&w, argv[2], &fh.h, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	/* making the states costs time too: measure it alone and take it off */
	struct fx_rng rng = { 1 };
	static struct xt_state s;
	s = fh.initial;
	uint64_t sink = 0;
	double g0 = cpu();
	for (uint64_t i = 1; i <= steps; i++) {
		fx_step(&rng, &s, i, XT_CAPTURE_DEFAULT, busy);
		sink += s.regs.rip;
	}
	double gen = cpu() - g0;

	rng = (struct fx_rng){ 1 };
	s = fh.initial;
	double t0 = cpu();
	for (uint64_t i = 1; i <= steps; i++) {
		fx_step(&rng, &s, i, XT_CAPTURE_DEFAULT, busy);
		sink += s.regs.rip;
		if (xt_writer_step(w, &s)) {
			fprintf(stderr, "%s\n", xt_writer_error(w)->msg);
			return 2;
		}
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	if (xt_writer_close(w, &f, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	double spent = cpu() - t0 - gen;

	struct xt_reader *r;
	if (xt_reader_open(&r, argv[2], &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	uint64_t size = xt_reader_file_size(r);
	double r0 = now(), c0 = cpu();
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t n = 0, check = 0;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_STEP) {
			n++;
			check += rec.state->regs.rip;
		}
	}
	double rcpu = cpu() - c0, rwall = now() - r0;
	if (rc < 0 || n != steps) {
		fprintf(stderr, "read %llu of %llu steps: %s\n", (unsigned long long)n,
			(unsigned long long)steps, xt_reader_error(r)->msg);
		return 2;
	}
	xt_reader_close(r);
	printf("write_records_per_s %.0f\n", (double)steps / spent);
	printf("read_records_per_s %.0f\n", (double)steps / rcpu);
	printf("read_wall_records_per_s %.0f\n", (double)steps / rwall);
	printf("bytes_per_record %.3f\n", (double)size / (double)steps);
	printf("checksum %llu\n", (unsigned long long)(check + sink));
	return 0;
}
