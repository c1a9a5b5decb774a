/* SPDX-License-Identifier: MIT */
/*
 * The RFLAGS bits an instruction leaves undefined (Intel SDM vol. 2 and
 * appendix A of vol. 1): AF after AND/OR/XOR/TEST and shifts, SF/ZF/AF/PF
 * after MUL/IMUL, all six arithmetic flags after DIV/IDIV, OF after
 * shifts and rotates by more than one, and so on.  CPU vendors (and
 * generations) fill them in differently, so a replay on another host may
 * see other values there without anything being wrong with KVM.
 */
#ifndef XT_INSN_FLAGS_H
#define XT_INSN_FLAGS_H

#include <stddef.h>
#include <stdint.h>

#define XT_RFLAGS_CF 0x001u
#define XT_RFLAGS_PF 0x004u
#define XT_RFLAGS_AF 0x010u
#define XT_RFLAGS_ZF 0x040u
#define XT_RFLAGS_SF 0x080u
#define XT_RFLAGS_OF 0x800u
#define XT_RFLAGS_ARITH (XT_RFLAGS_CF | XT_RFLAGS_PF | XT_RFLAGS_AF | XT_RFLAGS_ZF | \
			 XT_RFLAGS_SF | XT_RFLAGS_OF)

/*
 * The flags the instruction at p (n bytes of it, code size bits = 16, 32
 * or 64) leaves undefined; rcx is the vCPU's RCX before it, for shifts by
 * CL.  0 for every instruction not known to leave any undefined, and for
 * bytes too short to tell.
 */
uint32_t insn_undefined_flags(const uint8_t *p, size_t n, int bits, uint64_t rcx);

#endif
