/* SPDX-License-Identifier: MIT */
/*
 * The guest's code as a trace shows it: the instruction at a step's RIP,
 * disassembled by Zydis from the trace's initial memory (through the
 * guest's page tables as they were at step 0), and the symbol it is in.
 *
 * A trace does not record what the guest writes to RAM, so the bytes are
 * those of step 0: an instruction the guest wrote or changed later cannot
 * be seen.  Where the bytes are plainly not code of step 0 (unmapped, zero,
 * outside memory) the info says why instead of showing a wrong
 * instruction; callers mark the rest as read from initial memory.
 *
 * Results are cached by linear address and mode, so a long trace that
 * loops costs one hash probe a step.
 */
#ifndef XT_GUEST_CODE_H
#define XT_GUEST_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "exitrace.h"

struct guest_code;
struct symtab;

/* Room put_code() needs at most (with a NUL). */
#define CODE_TEXT_MAX 192

struct code_info {
	uint64_t linear;	/* CS base + RIP (RIP alone in 64-bit code) */
	const char *insn;	/* "cpuid", "mov eax, [rbx+0x8]"; "" when there is none */
	const char *none;	/* why there is no instruction ("not in initial memory"), or NULL */
	const char *sym;	/* "sti_after", "main+0x1c"; "" without symbols */
	uint8_t bits;		/* 16, 32 or 64: the mode it was decoded in */
	uint8_t len;		/* the instruction's length in bytes (0: none) */
	uint8_t bytes[15];
	bool branch;		/* a jump, call, return, interrupt or system call */
	const char *text;	/* put_code()'s "<sym> insn", made once per cached RIP */
	uint16_t text_len;
};

/*
 * Set up from an open reader (before streaming its records): initial memory
 * up to a bound the tools' memory promise allows, and symbols from the
 * trace's ELF image or, if symbols_path is set, from that file.  Returns 0
 * or -1 with msg set (only --symbols can fail: a trace without usable code
 * or symbols gives empty infos).
 */
int guest_code_open(struct guest_code **out, struct xt_reader *r, const char *symbols_path,
		    char *msg, size_t msg_size);
void guest_code_close(struct guest_code *g);

/* The instruction at s's RIP (owned by g, valid until the next call that may fill the cache). */
const struct code_info *guest_code_at(struct guest_code *g, const struct xt_state *s);
/* The same at another RIP in s's mode: the RIP a step started from. */
const struct code_info *guest_code_at_rip(struct guest_code *g, const struct xt_state *s, uint64_t rip);
/*
 * The step after ci's showed that initial memory is not what ran at ci's
 * RIP (a single step moved RIP by other than the instruction's length):
 * from now on ci's RIP says so instead of showing step 0's instruction.
 * ci must be the latest lookup's or one still in its slot (else ignored).
 */
void guest_code_mark_changed(struct guest_code *g, const struct code_info *ci);
/* "file:line" of a linear address from DWARF into buf; false (buf "") when there is none. */
bool guest_code_line(struct guest_code *g, uint64_t linear, char *buf, size_t size);
/* The symbols in use, or NULL. */
struct symtab *guest_code_symbols(struct guest_code *g);
/* Guest-physical memory at step 0: up to n bytes at gpa into dst; returns how many it has. */
size_t guest_code_read_phys(const struct guest_code *g, uint64_t gpa, uint8_t *dst, size_t n);
/* Where the symbols came from: "the trace's ELF image", the --symbols path, or NULL. */
const char *guest_code_symbols_source(const struct guest_code *g);



#include <stdio.h>

/* A code_info with its own copies of the strings, to hold beside another lookup. */
struct code_kept {
	struct code_info info;
	char insn[80], sym[96], text[CODE_TEXT_MAX];
};
void code_keep(struct code_kept *k, const struct code_info *ci);

/* "<sym> insn", "<sym> (why there is none)" or "insn" at p; returns the byte after it. */
char *put_code(char *p, const struct code_info *ci);
/*
 * ,"sym":"..","insn":"..","code":"initial" (and ,"line":"file:line" from
 * DWARF), or ,"insn":null,"no_insn":"why": the keys a JSON step gets.
 */
void json_code(FILE *o, struct guest_code *g, const struct code_info *ci);
#endif
