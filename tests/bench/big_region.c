// SPDX-License-Identifier: MIT
/*
 * big_region IN OUT MIB FILL: OUT is trace IN with one more memory region
 * in its header, MIB MiB of the byte FILL at 256 MiB: a few KiB of file
 * that declare hundreds of MiB, for the bench's peak-RSS rows.
 */
#include "forge.h"
#include "test_util.h"

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 5, "usage: big_region IN OUT MIB FILL");
	struct fg_trace t;
	fg_split(&t, argv[1]);
	fg_add_region(&t, 0x10000000, strtoull(argv[3], NULL, 0) << 20, (uint8_t)strtoul(argv[4], NULL, 0));
	size_t *all = calloc(t.n + 1, sizeof(*all));
	TEST_ASSERT(all, "out of memory");
	for (size_t i = 0; i < t.n; i++)
		all[i] = i;
	struct xt_footer f = t.footer;
	fg_write(&t, argv[2], all, t.n, &f, true, NULL);
	free(all);
	fg_free(&t);
	return 0;
}
