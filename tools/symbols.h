/* SPDX-License-Identifier: MIT */
/*
 * Guest symbols: function+offset for an address, and the DWARF file:line
 * where the ELF has a line table, read with elfutils (libelf, libdw) from
 * the guest ELF carried in the trace or from a file the user names.
 */
#ifndef XT_SYMBOLS_H
#define XT_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symtab;

/*
 * From an ELF image in memory (copied: the caller may free data).  Returns
 * NULL when it is not an ELF or has no code symbols: a flat image has none,
 * which is not an error.
 */
struct symtab *symtab_from_image(const uint8_t *data, size_t size);
/* From an ELF file (--symbols); NULL with msg set when it cannot be used. */
struct symtab *symtab_from_file(const char *path, char *msg, size_t msg_size);
void symtab_free(struct symtab *t);

/*
 * The symbol addr is in: its name (owned by t) and addr's offset from it.
 * False if no code symbol covers addr.
 */
bool symtab_lookup(const struct symtab *t, uint64_t addr, const char **name, uint64_t *off);
/* The address of a symbol by name, and the first address after it (next symbol or its size). */
bool symtab_find(const struct symtab *t, const char *name, uint64_t *addr, uint64_t *end);
/* The source file (owned by t) and line of addr from DWARF; false if the ELF has none for it. */
bool symtab_line(struct symtab *t, uint64_t addr, const char **file, int *line);
/* Does t hold a DWARF line table at all? */
bool symtab_has_lines(struct symtab *t);

#endif
