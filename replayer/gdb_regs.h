/* SPDX-License-Identifier: MIT */
/*
 * The registers gdb sees: one table per architecture gives the target
 * description (XML) and the layout of the 'g' packet.  x86-64 for a guest
 * that starts in long mode, i386 otherwise.  Both add the segment bases
 * and control registers in a feature of their own (org.exitrace.x86.sys).
 * In the i386 view of 16-bit and segmented code, eip is the linear
 * address cs.base + ip, so that breakpoints and x/i $pc mean the code gdb
 * shows (the offset is in the ip register of that feature).
 */
#ifndef XT_GDB_REGS_H
#define XT_GDB_REGS_H

#include <linux/kvm.h>
#include <stddef.h>

#include "xt_state.h"

enum gdb_arch { GDB_ARCH_AMD64, GDB_ARCH_I386 };

/* The target description, NUL-terminated. */
const char *gdb_target_xml(enum gdb_arch a);

/* The 'g' reply: every register in hex, into out (at least GDB_REGS_HEX_MAX bytes); its length. */
#define GDB_REGS_HEX_MAX 4096
size_t gdb_regs_hex(enum gdb_arch a, const struct xt_state *s, const struct kvm_fpu *fpu, char *out);

/* The 'p' reply for register n, into out: its length, or 0 for no such register. */
size_t gdb_reg_hex(enum gdb_arch a, unsigned n, const struct xt_state *s, const struct kvm_fpu *fpu, char *out);

/* The pc gdb sees: rip, or the linear address of the i386 view. */
uint64_t gdb_pc(enum gdb_arch a, const struct xt_state *s);

#endif
