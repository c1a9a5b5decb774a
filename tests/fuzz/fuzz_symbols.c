// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the guest ELF a trace carries (or --symbols names), as
 * tools/symbols.c reads it: libelf's symbol table, then libdw's lines.
 * The ELF comes from whoever wrote the trace; a hostile one must give
 * symbols or none, never a crash, a hang or a name that is not printable.
 * fuzz_tools reaches this code only through a whole trace; here every
 * input is an ELF, so the mutations land in its headers and DWARF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "symbols.h"

#define CHECK(e)                                                               \
	do {                                                                   \
		if (!(e)) {                                                    \
			fprintf(stderr, "%s:%d: symbols.c broke a promise: %s\n", \
				__FILE__, __LINE__, #e);                       \
			abort();                                               \
		}                                                              \
	} while (0)

static volatile size_t sink;

/* A name symbols.c hands out is printed as it is: printable ASCII, no quote or backslash. */
static void check_name(const char *name)
{
	CHECK(name && *name);
	for (const char *p = name; *p; p++)
		CHECK(*p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\');
	sink += strlen(name);
}

static void ask(struct symtab *t, uint64_t addr)
{
	const char *name, *file;
	uint64_t off, lo, hi;
	int line;
	if (symtab_lookup(t, addr, &name, &off)) {
		check_name(name);
		CHECK(off <= addr);
		CHECK(symtab_find(t, name, &lo, &hi));
	}
	if (symtab_line(t, addr, &file, &line))
		sink += strlen(file) + (size_t)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab *t = symtab_from_image(data, size);
	if (!t)
		return 0;
	uint64_t entry = 0;
	if (size >= 32)
		memcpy(&entry, data + 24, size >= 64 && data[4] == 2 ? 8 : 4);
	ask(t, entry);
	/* the guests' code lives at 2 MiB (guest.ld) and 1 MiB (flat images) */
	for (uint64_t a = 0; a < 0x2000; a += 0x40) {
		ask(t, 0x200000 + a);
		ask(t, 0x100000 + a);
	}
	ask(t, UINT64_MAX);
	sink += symtab_has_lines(t);
	symtab_free(t);
	return 0;
}
