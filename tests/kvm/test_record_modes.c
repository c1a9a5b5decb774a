// SPDX-License-Identifier: MIT
/*
 * Every CPU mode and every loader: flat real, protected and long mode
 * binaries, static ELF64 and ELF32, a multiboot kernel.  Each prints its
 * name on the serial port and leaves through isa-debug-exit; the trace must
 * show the mode, the entry, the console text and the guest's status.
 */
#include <unistd.h>

#include "kt.h"

#define CR0_PE 1u
#define EFER_LMA (1u << 10)

static void check(const char *guest, const char *args, const char *name, uint32_t mode,
		  uint64_t entry, const char *text, int code)
{
	/* the exit status is the guest's */
	struct kt_trace *t = kt_load(kt_record(name, (code << 1) | 1, "%s %s", guest, args));
	TEST_ASSERT(!t->truncated, "%s: complete", name);
	TEST_EQ_U64(XT_END_DEBUG_EXIT, t->end_reason, "%s: ended by isa-debug-exit (%s)", name, t->end_detail);
	TEST_EQ_U64((code << 1) | 1, t->end_code, "%s: status in the footer", name);
	TEST_EQ_U64(mode, t->cpu_mode, "%s: mode in the header", name);
	TEST_EQ_U64(entry, t->entry, "%s: entry in the header", name);
	TEST_EQ_STR(text, t->console, "%s: console events", name);

	const struct kt_step *s0 = &t->steps[0];
	bool pe = s0->cr0 & CR0_PE, lma = s0->efer & EFER_LMA;
	TEST_EQ_U64(mode != XT_MODE_REAL, pe, "%s: CR0.PE at step 0", name);
	TEST_EQ_U64(mode == XT_MODE_LONG, lma, "%s: EFER.LMA at step 0", name);
	/* the initial RIP is the entry (real mode: CS:IP) */
	uint64_t linear = mode == XT_MODE_REAL ? (s0->cs_selector << 4) + s0->regs.rip : s0->regs.rip;
	TEST_EQ_U64(entry, linear, "%s: step 0 starts at the entry", name);
	/* the last exit is the OUT to 0xf4 */
	const struct kt_step *last = &t->steps[t->nsteps];
	TEST_EQ_U64(2, last->exit_reason, "%s: last exit is IO", name);
	TEST_EQ_U64(0xf4, last->io_port, "%s: to isa-debug-exit", name);
	TEST_EQ_U64(code, last->io_value & 0xff, "%s: with the status", name);
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	check(kt_arg(1), "--mode real --load 0x7c00", "real.xtr", XT_MODE_REAL, 0x7c00, "real\n", 3);
	check(kt_arg(2), "--mode prot --load 0x100000", "prot.xtr", XT_MODE_PROT, 0x100000, "prot\n", 4);
	check(kt_arg(3), "", "elf64.xtr", XT_MODE_LONG, 0x200000, "elf64\n", 5);
	check(kt_arg(4), "", "elf32.xtr", XT_MODE_PROT, 0x300000, "elf32\n", 6);

	/* multiboot: EAX carries the boot magic, EBX the info block with memory and command line */
	struct kt_trace *t = kt_load(kt_record("mb.xtr", 15, "%s --mem 32M --append hello-multiboot", kt_arg(5)));
	TEST_EQ_U64(XT_MODE_PROT, t->cpu_mode, "multiboot enters protected mode");
	TEST_EQ_U64(0x2badb002, t->initial.regs.rax, "EAX at entry");
	uint64_t s = kt_step_io_out(t, 0x80, 1);
	TEST_ASSERT(s, "the kernel reports EAX on port 0x80");
	TEST_EQ_U64(0x2badb002, t->steps[s].io_value, "EAX as the kernel saw it");
	s = kt_step_io_out(t, 0x84, 1);
	TEST_ASSERT(s, "the kernel reports mem_upper on port 0x84");
	/* 32 MiB less the first MiB and exitrace's top 64 KiB, in KiB */
	TEST_EQ_U64((32u << 10) - 1024 - 64, t->steps[s].io_value, "mem_upper");
	char line[600];
	snprintf(line, sizeof(line), "%s hello-multiboot", kt_arg(5));
	TEST_EQ_STR(line, t->console, "the command line from the info block: the kernel's name, then --append");
	kt_free(t);

	/* the ELF loader rejects what is not a loadable image, before anything runs */
	const char *bad = kt_tmp("bad.elf");
	FILE *f = fopen(bad, "w");
	fputs("\177ELF this is not really an ELF file, it is too short", f);
	fclose(f);
	int status = kt_exitrace("record %s -o %s", bad, kt_tmp("bad.xtr"));
	TEST_EQ_U64(2, status, "a malformed ELF is an error");
	TEST_CONTAINS(kt_err(), "bad.elf", "the message names the file");
	TEST_ASSERT(access(kt_tmp("bad.xtr"), F_OK) != 0, "no trace is written for a guest that never ran");

	/* --append is a multiboot kernel's command line: with any other guest it is a mistake */
	status = kt_exitrace("record %s -o %s --append console=ttyS0", kt_arg(3), kt_tmp("append.xtr"));
	TEST_EQ_U64(2, status, "--append with an ELF64 guest");
	TEST_CONTAINS(kt_err(), "--append is the command line of a multiboot kernel", "says why");

	/* a guest that does not fit guest memory */
	status = kt_exitrace("record %s -o %s --mem 2M", kt_arg(4), kt_tmp("big.xtr"));
	TEST_EQ_U64(2, status, "an ELF loaded at 3 MiB does not fit 2 MiB");
	TEST_CONTAINS(kt_err(), "does not fit", "the message says why");
	return 0;
}
