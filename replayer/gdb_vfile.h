/* SPDX-License-Identifier: MIT */
/*
 * The guest ELF the trace holds, as gdb's executable: qXfer:exec-file
 * names it, and gdb reads it through the vFile packets (its default sysroot
 * "target:"), so `target remote` alone gives gdb the guest's symbols.
 */
#ifndef XT_GDB_VFILE_H
#define XT_GDB_VFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gdb_packet.h"

/* The name gdb is given for the image. */
#define GDB_VFILE_NAME "/exitrace/guest.elf"

/* Is image an ELF file gdb can take as the executable? */
bool gdb_vfile_is_elf(const uint8_t *image, size_t size);

/* Answer a qXfer:exec-file:read or vFile: packet about image (NULL: none).  0 or -errno. */
int gdb_vfile_packet(struct gdb_conn *c, const char *pkt, const uint8_t *image, size_t size);

#endif
