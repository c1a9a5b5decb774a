// SPDX-License-Identifier: MIT
/*
 * Hostile guests: random bytes as a flat image in long mode and in real
 * mode, each bounded by --max-steps.  The recorder never crashes or hangs,
 * and every trace is complete with a recorded end reason.
 */
#include <fcntl.h>
#include <unistd.h>

#include "kt.h"

#define IMAGES 500	/* per mode */

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	unsigned seed = (unsigned)getpid();
	int reasons[XT_END_REASON_LIMIT] = { 0 };
	srand(seed);
	printf("seed %u\n", seed);
	for (int mode = 0; mode < 2; mode++) {
		for (int i = 0; i < IMAGES; i++) {
			uint8_t bytes[256];
			for (size_t j = 0; j < sizeof(bytes); j++)
				bytes[j] = (uint8_t)rand();
			const char *img = kt_tmp("random.bin"), *out = kt_tmp("random.xtr");
			int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			TEST_ASSERT(write(fd, bytes, sizeof(bytes)) == (ssize_t)sizeof(bytes), "write");
			close(fd);
			int status = mode == 0
				? kt_exitrace("record %s --load 0x100000 -o %s --max-steps 300 --timeout 5 --quiet --console /dev/null", img, out)
				: kt_exitrace("record %s --mode real --load 0x7c00 -o %s --max-steps 300 --timeout 5 --quiet --console /dev/null", img, out);
			/* 2 only for a failure of the recorder itself; a guest's isa-debug-exit is odd */
			TEST_ASSERT(status != 2, "image %d (mode %d, seed %u): recorder error: %s", i, mode, seed, kt_err());
			struct kt_trace *t = kt_load(out);
			TEST_ASSERT(!t->truncated, "image %d (seed %u): the trace is complete", i, seed);
			TEST_ASSERT(t->end_reason > XT_END_UNKNOWN && t->end_reason < XT_END_REASON_LIMIT,
				    "image %d: an end reason", i);
			TEST_ASSERT(t->end_reason != XT_END_TIMEOUT || t->nsteps > 0, "image %d: progress", i);
			reasons[t->end_reason]++;
			kt_free(t);
		}
	}
	for (int r = 1; r < XT_END_REASON_LIMIT; r++)
		if (reasons[r])
			printf("%-16s %d\n", xt_end_reason_name((uint32_t)r), reasons[r]);
	return 0;
}
