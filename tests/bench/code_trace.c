// SPDX-License-Identifier: MIT
/*
 * A long trace of real guest code, for timing dump with disassembly and
 * symbols: the header (guest ELF, initial memory, initial state) of a real
 * recording, and its steps over and over up to STEPS, so every RIP is one
 * the guest's code and symbols really have (bench_format's synthetic
 * trace has neither).  Events are left out: they are timed elsewhere.
 *
 * usage: code_trace IN.xtr OUT.xtr STEPS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "exitrace.h"

static int die(const char *what, const char *msg)
{
	fprintf(stderr, "code_trace: %s: %s\n", what, msg);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s IN.xtr OUT.xtr STEPS\n", argv[0]);
		return 2;
	}
	uint64_t steps = strtoull(argv[3], NULL, 0);
	struct xt_error err = { 0 };
	struct xt_reader *r;
	if (xt_reader_open(&r, argv[1], &err))
		return die(argv[1], err.msg);
	struct xt_header h = *xt_reader_header(r);
	/* the regions and image the reader does not hold, read back so the copy carries them */
	uint8_t *mem = mmap(NULL, h.vm.mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct xt_mem_region *regions = calloc(h.vm.n_memory + 1, sizeof(*regions));
	uint8_t *image = malloc(h.image.size + 1);
	if (mem == MAP_FAILED || !regions || !image || xt_reader_load_memory(r, mem, h.vm.mem_size) ||
	    xt_reader_load_image(r, image))
		return die(argv[1], "cannot load its memory and image");
	for (size_t i = 0; i < h.vm.n_memory; i++) {
		regions[i] = h.vm.memory[i];
		regions[i].data = mem + regions[i].gpa;
	}
	h.vm.memory = regions;
	h.vm.memory_digests = NULL;
	h.image.data = image;
	h.compare_masks = NULL;

	size_t n = 0, cap = 1024;
	struct xt_state *v = malloc(cap * sizeof(*v));
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while (v && (rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type != XT_REC_STEP)
			continue;
		if (n == cap && !(v = realloc(v, (cap *= 2) * sizeof(*v))))
			break;
		v[n++] = *rec.state;
	}
	if (!v || !n)
		return die(argv[1], "no steps");

	struct xt_writer *w;
	if (xt_writer_open(&w, argv[2], &h, NULL, &err))
		return die(argv[2], err.msg);
	for (uint64_t i = 0; i < steps; i++)
		if (xt_writer_step(w, &v[i % n]))
			return die(argv[2], xt_writer_error(w)->msg);
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	if (xt_writer_close(w, &f, &err))
		return die(argv[2], err.msg);
	xt_reader_close(r);
	free(v);
	free(regions);
	free(image);
	return 0;
}
