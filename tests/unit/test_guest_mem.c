// SPDX-License-Identifier: MIT
/*
 * The recorder's software page walk over guest page tables built in plain
 * memory (no KVM): no paging, 32-bit with 4 KiB and 4 MiB pages, PAE,
 * 4-level with 4 KiB, 2 MiB and 1 GiB pages, unmapped addresses; and the
 * one-entry translation cache, which must follow CR3 and a flush.
 */
#include <stdlib.h>

#include "guest_mem.h"
#include "test_util.h"

#define MEM (8u << 20)
#define P 1ull
#define RW 2ull
#define PS 0x80ull

static struct kvm_vm vm;

static void put(uint64_t gpa, uint64_t v, unsigned size)
{
	memcpy(vm.mem + gpa, &v, size);
}

static uint64_t walk(const struct xt_sregs *s, uint64_t linear)
{
	uint64_t gpa = ~0ull;
	TEST_EQ_U64(0, gmem_translate(&vm, s, linear, &gpa), "translate 0x%" PRIx64, linear);
	return gpa;
}

int main(void)
{
	vm.mem = calloc(1, MEM);
	vm.mem_size = MEM;
	struct xt_sregs s = { 0 };

	/* no paging: linear is physical */
	TEST_EQ_U64(0x123456, walk(&s, 0x123456), "CR0.PG=0");

	/* 32-bit paging: PD at 0x1000, PT at 0x2000 mapping 0x400000 -> 0x5000; a 4 MiB page */
	s.cr0 = 0x80000001;
	s.cr3 = 0x1000;
	put(0x1000 + 4 * 1, 0x2000 | P | RW, 4);	/* 0x400000 */
	put(0x2000 + 4 * 3, 0x5000 | P | RW, 4);	/* 0x403000 */
	TEST_EQ_U64(0x5abc, walk(&s, 0x403abc), "32-bit, 4 KiB page");
	s.cr4 = 0x10;					/* PSE */
	put(0x1000 + 4 * 2, 0x400000 | P | RW | PS, 4);	/* 0x800000 -> 0x400000 */
	TEST_EQ_U64(0x412345, walk(&s, 0x812345), "32-bit, 4 MiB page");
	uint64_t gpa;
	TEST_ASSERT(gmem_translate(&vm, &s, 0xc00000, &gpa) < 0, "an absent PDE faults");

	/* PAE: PDPT at 0x3000, PD at 0x4000, a 2 MiB page and a 4 KiB one */
	s.cr4 = 0x20;
	s.cr3 = 0x3000;
	memset(vm.mem + 0x1000, 0, 0x4000);
	put(0x3000, 0x4000 | P, 8);
	put(0x4000 + 8 * 1, 0x600000 | P | RW | PS, 8);	/* 0x200000 -> 0x600000 */
	put(0x4000 + 8 * 2, 0x2000 | P | RW, 8);		/* 0x400000: PT at 0x2000 */
	put(0x2000 + 8 * 5, 0x7000 | P | RW, 8);		/* 0x405000 -> 0x7000 */
	TEST_EQ_U64(0x600042, walk(&s, 0x200042), "PAE, 2 MiB page");
	TEST_EQ_U64(0x7010, walk(&s, 0x405010), "PAE, 4 KiB page");

	/* 4-level: PML4 0x10000, PDPT 0x11000 (a 1 GiB page at 1 GiB), PD 0x12000, PT 0x13000 */
	s.efer = 0x500;
	s.cr3 = 0x10000;
	put(0x10000, 0x11000 | P | RW, 8);
	put(0x11000, 0x12000 | P | RW, 8);
	put(0x11000 + 8, 0x0 | P | RW | PS, 8);		/* 1 GiB: 0x40000000 -> 0 */
	put(0x12000, 0x13000 | P | RW, 8);
	put(0x12000 + 8 * 3, 0x600000 | P | RW | PS, 8);	/* 0x600000 identity 2 MiB */
	put(0x13000 + 8 * 0x100, 0x8000 | P | RW, 8);	/* 0x100000 -> 0x8000 */
	TEST_EQ_U64(0x8123, walk(&s, 0x100123), "4-level, 4 KiB page");
	TEST_EQ_U64(0x654321, walk(&s, 0x654321), "4-level, 2 MiB page");
	TEST_EQ_U64(0x12345, walk(&s, 0x40012345), "4-level, 1 GiB page");
	TEST_ASSERT(gmem_translate(&vm, &s, 0x8000000000ull, &gpa) < 0, "an absent PML4E faults");

	/* reading across a page boundary follows both pages */
	put(0x13000 + 8 * 0x101, 0x9000 | P | RW, 8);	/* 0x101000 -> 0x9000 */
	memcpy(vm.mem + 0x8ffe, "ab", 2);
	memcpy(vm.mem + 0x9000, "cd", 2);
	char buf[4];
	TEST_EQ_U64(4, gmem_read(&vm, &s, 0x100ffe, buf, 4), "read across pages");
	TEST_ASSERT(!memcmp(buf, "abcd", 4), "the bytes of both pages");

	/* the translation cache */
	struct gmem_tlb tlb = { 0 };
	memcpy(vm.mem + 0x8010, "XY", 2);
	TEST_EQ_U64(2, gmem_read_cached(&vm, &tlb, &s, 0x100010, buf, 2), "cached read");
	TEST_ASSERT(!memcmp(buf, "XY", 2) && tlb.valid, "fills the cache");
	/* a PTE change without a flush: the stale translation stays, as in a TLB */
	put(0x13000 + 8 * 0x100, 0xa000 | P | RW, 8);
	memcpy(vm.mem + 0xa010, "ZW", 2);
	gmem_read_cached(&vm, &tlb, &s, 0x100010, buf, 2);
	TEST_ASSERT(!memcmp(buf, "XY", 2), "served from the cache until a flush");
	gmem_tlb_flush(&tlb);
	gmem_read_cached(&vm, &tlb, &s, 0x100010, buf, 2);
	TEST_ASSERT(!memcmp(buf, "ZW", 2), "after a flush, the new mapping");
	/* a CR3 change is seen without a flush */
	put(0x20000, 0x21000 | P | RW, 8);
	put(0x21000, 0x22000 | P | RW, 8);
	put(0x22000, 0x0 | P | RW | PS, 8);	/* identity 2 MiB at 0 */
	s.cr3 = 0x20000;
	gmem_read_cached(&vm, &tlb, &s, 0x100010, buf, 2);
	TEST_ASSERT(!memcmp(buf, vm.mem + 0x100010, 2) && tlb.cr3 == 0x20000, "a new CR3 walks again");
	/* a read across the page end is not served from one cached page */
	TEST_EQ_U64(4, gmem_read_cached(&vm, &tlb, &s, 0x100ffe, buf, 4), "across pages");
	free(vm.mem);
	return 0;
}
