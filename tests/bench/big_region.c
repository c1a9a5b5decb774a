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
	fg_copy_with_region(argv[1], argv[2], 0x10000000, strtoull(argv[3], NULL, 0) << 20,
			    (uint8_t)strtoul(argv[4], NULL, 0));
	return 0;
}
