// SPDX-License-Identifier: MIT
/*
 * Guest image files that are odd but possible, made here byte by byte:
 * - an empty file ran as zeroed memory ("add %al,(%rax)") until a limit:
 *   refused, exit 2, no trace;
 * - an ELF whose segments are not in address order, or leave a gap around
 *   the BIOS area: the ACPI tables (0xe0000) were written over a segment
 *   loaded there when it was not the first, and left out for a guest that
 *   only had segments below and above them (the loader now says exactly
 *   what it loaded);
 * - a multiboot kernel below 1 MiB with --mem 1M: exitrace's area starts
 *   under 1 MiB and mem_upper was 4 TiB (the subtraction wrapped), with a
 *   memory map entry to match;
 * - a segment whose end wraps past 2^64: refused, and named;
 * - a symbol table of a thousand entries that all name one string of 1 MB
 *   (a 1 MB file): each name was copied, 1 GB for --hw-bp to find one
 *   symbol; now they are read in the image where they are.
 * Each recorded trace replays identically.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forge.h"
#include "kt.h"

struct seg {
	uint64_t paddr;
	const uint8_t *bytes;
	size_t len;
	uint64_t memsz;
};

static void put(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An ELF (64: x86-64, else i386) of the segments; their bytes from file offset 0x1000 on. */
static size_t make_elf(uint8_t *img, size_t cap, bool is64, uint64_t entry, const struct seg *s, size_t n)
{
	size_t ehsize = is64 ? 64 : 52, phsize = is64 ? 56 : 32, off = 0x1000;
	memset(img, 0, cap);
	memcpy(img, "\x7f" "ELF", 4);
	img[4] = is64 ? 2 : 1;	/* class */
	img[5] = 1;		/* little-endian */
	img[6] = 1;
	put(img + 16, 2, 2);	/* ET_EXEC */
	put(img + 18, is64 ? 62 : 3, 2);
	put(img + 20, 1, 4);
	put(img + 24, entry, is64 ? 8 : 4);
	put(img + (is64 ? 32 : 28), ehsize, is64 ? 8 : 4);	/* e_phoff */
	uint8_t *t = img + (is64 ? 52 : 40);
	put(t, ehsize, 2);
	put(t + 2, phsize, 2);
	put(t + 4, n, 2);
	for (size_t i = 0; i < n; i++) {
		uint8_t *ph = img + ehsize + i * phsize;
		put(ph, 1, 4);	/* PT_LOAD */
		if (is64) {
			put(ph + 4, 7, 4);
			put(ph + 8, off, 8);
			put(ph + 16, s[i].paddr, 8);
			put(ph + 24, s[i].paddr, 8);
			put(ph + 32, s[i].len, 8);
			put(ph + 40, s[i].memsz ? s[i].memsz : s[i].len, 8);
		} else {
			put(ph + 4, off, 4);
			put(ph + 8, s[i].paddr, 4);
			put(ph + 12, s[i].paddr, 4);
			put(ph + 16, s[i].len, 4);
			put(ph + 20, s[i].memsz ? s[i].memsz : s[i].len, 4);
			put(ph + 24, 7, 4);
		}
		TEST_ASSERT(off + s[i].len <= cap, "the image fits its buffer");
		memcpy(img + off, s[i].bytes, s[i].len);
		off += (s[i].len + 15) & ~(size_t)15;
	}
	return off;
}

static const char *spill(const char *name, const uint8_t *p, size_t n)
{
	const char *path = kt_tmp(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && write(fd, p, n) == (ssize_t)n, "write %s", path);
	close(fd);
	return path;
}

static void replays(const char *trace)
{
	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay %s: %s", trace, kt_err());
	TEST_CONTAINS(kt_out(), "identical:", "%s replays identically", trace);
}

/* long mode: report the dword at 0xe0000 on port 0x80; isa-debug-exit 7 */
static const uint8_t read_e0000[] = {
	0x8b, 0x04, 0x25, 0x00, 0x00, 0x0e, 0x00,	/* mov 0xe0000, %eax */
	0xe7, 0x80,					/* out %eax, $0x80 */
	0xb0, 0x07, 0xe6, 0xf4, 0xf4,			/* mov $7, %al; out %al, $0xf4; hlt */
};

static void test_empty(void)
{
	const char *img = spill("empty.bin", (const uint8_t *)"", 0);
	char img_copy[512];
	snprintf(img_copy, sizeof(img_copy), "%s", img);
	const char *out = kt_tmp("empty.xtr");
	int status = kt_exitrace_within(30, "record %s --load 0x100000 -o %s --quiet --max-steps 100000", img_copy, out);
	TEST_EQ_U64(2, status, "an empty image is refused: %s", kt_err());
	TEST_CONTAINS(kt_err(), "is empty", "and named");
	TEST_ASSERT(access(out, F_OK) != 0, "no trace is left");
}

static void test_acpi_area(void)
{
	static uint8_t img[0x2000];
	static const uint8_t mark[] = { 'M', 'A', 'R', 'K' };
	char path[512];
	/* a segment in the BIOS area, after (then before) the code's: the guest's bytes win */
	for (int order = 0; order < 2; order++) {
		struct seg s[2] = { { 0x200000, read_e0000, sizeof(read_e0000), 0 }, { 0xe0000, mark, 4, 0 } };
		if (order) {
			struct seg t = s[0];
			s[0] = s[1];
			s[1] = t;
		}
		size_t n = make_elf(img, sizeof(img), true, 0x200000, s, 2);
		snprintf(path, sizeof(path), "%s", spill(order ? "bios-first.elf" : "bios-second.elf", img, n));
		const char *trace = kt_record(order ? "bios-first.xtr" : "bios-second.xtr", 15, "%s", path);
		struct kt_trace *t = kt_load(trace);
		TEST_EQ_U64(0x4b52414d, kt_io_out_value(t, 0x80) & 0xffffffff,
			    "segment order %d: the segment at 0xe0000 keeps its bytes ('MARK'), no ACPI table over it", order);
		kt_free(t);
		replays(trace);
	}
	/* segments below and above the BIOS area, none in it: the tables are there */
	static const uint8_t x = 0x90;
	struct seg s[2] = { { 0x10000, read_e0000, sizeof(read_e0000), 0 }, { 0x200000, &x, 1, 0 } };
	size_t n = make_elf(img, sizeof(img), true, 0x10000, s, 2);
	snprintf(path, sizeof(path), "%s", spill("around-bios.elf", img, n));
	const char *trace = kt_record("around-bios.xtr", 15, "%s", path);
	struct kt_trace *t = kt_load(trace);
	TEST_EQ_U64(0x20445352, kt_io_out_value(t, 0x80) & 0xffffffff,
		    "the RSDP ('RSD ') is at 0xe0000 though the guest has segments on both sides");
	kt_free(t);
	replays(trace);
}

static void test_multiboot_low(void)
{
	/* i386: report mem_upper (0x84) and mmap_length (0x88) of the multiboot info */
	static const uint8_t code[] = {
		0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x4f, 0x52, 0xe4,	/* header, flags 0 */
		0x8b, 0x43, 0x08, 0xe7, 0x84,	/* mov 8(%ebx), %eax; out %eax, $0x84 */
		0x8b, 0x43, 0x2c, 0xe7, 0x88,	/* mov 44(%ebx), %eax; out %eax, $0x88 */
		0xb0, 0x07, 0xe6, 0xf4, 0xf4,
	};
	static uint8_t img[0x2000];
	struct seg s = { 0x10000, code, sizeof(code), 0 };
	size_t n = make_elf(img, sizeof(img), false, 0x1000c, &s, 1);
	char path[512];
	snprintf(path, sizeof(path), "%s", spill("mb-low.elf", img, n));
	const char *trace = kt_record("mb-low.xtr", 15, "%s --mem 1M", path);
	struct kt_trace *t = kt_load(trace);
	TEST_EQ_U64(0, kt_io_out_value(t, 0x84) & 0xffffffff, "--mem 1M: no memory above 1 MiB (mem_upper 0)");
	TEST_EQ_U64(2 * 24, kt_io_out_value(t, 0x88) & 0xffffffff,
		    "two memory map entries: low memory and exitrace's area, none above 1 MiB");
	kt_free(t);
	replays(trace);
	trace = kt_record("mb-128.xtr", 15, "%s", path);
	t = kt_load(trace);
	TEST_EQ_U64((128 * 1024 - 1024 - 64), kt_io_out_value(t, 0x84) & 0xffffffff, "128 MiB: mem_upper in KiB");
	TEST_EQ_U64(3 * 24, kt_io_out_value(t, 0x88) & 0xffffffff, "three memory map entries");
	kt_free(t);
}

static void test_wrap(void)
{
	static uint8_t img[0x2000];
	struct seg s = { 0xfffffffffffff000ull, read_e0000, sizeof(read_e0000), 0x2000 };
	size_t n = make_elf(img, sizeof(img), true, 0x200000, &s, 1);
	char path[512];
	snprintf(path, sizeof(path), "%s", spill("wrap.elf", img, n));
	TEST_EQ_U64(2, kt_exitrace("record %s -o %s --quiet", path, kt_tmp("wrap.xtr")), "refused: %s", kt_err());
	TEST_CONTAINS(kt_err(), "0x2000 bytes at 0xfffffffffffff000 does not fit", "named without a wrapped end");
}

static void test_symbols(void)
{
	enum { NSYM = 1000, NAME = 1 << 20 };
	static const uint8_t code[] = { 0x90, 0xb0, 0x07, 0xe6, 0xf4, 0xf4 };	/* nop; isa-debug-exit 7 */
	size_t symtab = 0x2000, strtab = symtab + (NSYM + 1) * 24, shoff = (strtab + NAME + 16 + 7) & ~(size_t)7;
	size_t size = shoff + 3 * 64;
	uint8_t *img = calloc(1, size);
	TEST_ASSERT(img, "calloc");
	struct seg seg = { 0x200000, code, sizeof(code), 0 };
	make_elf(img, 0x2000, true, 0x200000, &seg, 1);
	put(img + 40, shoff, 8);	/* e_shoff */
	put(img + 58, 64, 2);		/* e_shentsize */
	put(img + 60, 3, 2);		/* e_shnum */
	for (size_t i = 0; i < NSYM; i++) {	/* every one names the long string */
		put(img + symtab + i * 24, 1, 4);
		put(img + symtab + i * 24 + 8, 0x200000, 8);
	}
	put(img + symtab + NSYM * 24, 2 + NAME, 4);	/* the last names "target" */
	put(img + symtab + NSYM * 24 + 8, 0x200001, 8);
	memset(img + strtab + 1, 'A', NAME);
	memcpy(img + strtab + 2 + NAME, "target", 7);
	uint8_t *sh = img + shoff + 64;
	put(sh + 4, 2, 4);		/* SHT_SYMTAB */
	put(sh + 24, symtab, 8);
	put(sh + 32, (NSYM + 1) * 24, 8);
	put(sh + 40, 2, 4);		/* its strings: section 2 */
	put(sh + 56, 24, 8);
	sh += 64;
	put(sh + 4, 3, 4);		/* SHT_STRTAB */
	put(sh + 24, strtab, 8);
	put(sh + 32, 2 + NAME + 7, 8);
	char path[512], out[512];
	snprintf(path, sizeof(path), "%s", spill("symbols.elf", img, size));
	free(img);
	snprintf(out, sizeof(out), "%s", kt_tmp("symbols.xtr"));
	const char *args[] = { "record", path, "--hw-bp", "target", "-o", out, "--quiet", NULL };
	fg_run_within(kt_exitrace_path(), args, 15, fg_rss_limit(2 * size), "record --hw-bp on a 1 MB ELF");
	struct kt_trace *t = kt_load(out);
	TEST_EQ_U64(0x200001, t->debugreg[0], "DR0 holds the symbol's address");
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	test_empty();
	test_acpi_area();
	test_multiboot_low();
	test_wrap();
	test_symbols();
	return 0;
}
