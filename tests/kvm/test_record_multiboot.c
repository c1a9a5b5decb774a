// SPDX-License-Identifier: MIT
/*
 * What a multiboot kernel gets from exitrace as from a boot loader and a
 * PC: the command line as GRUB and QEMU's -kernel write it (the kernel's
 * name first), or verbatim with --cmdline; modules page-aligned above the
 * kernel, listed with their strings; fw_cfg's signature, CPU count, RAM
 * size, file directory and ID.  The trace shows every fw_cfg access as
 * the exit it is, and replays identically.
 *
 * Guest: mb_platform (tests/kvm/guests).
 */
#include <stdio.h>
#include <string.h>

#include "kt.h"

#define MEM (32ull << 20)

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	TEST_ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *guest = kt_arg(1);
	char mod1[600], mod2[600], trace[600];
	snprintf(mod1, sizeof(mod1), "%s", kt_tmp("mod1.txt"));
	snprintf(mod2, sizeof(mod2), "%s", kt_tmp("mod2.txt"));
	write_text(mod1, "ABC");
	write_text(mod2, "xyz");

	snprintf(trace, sizeof(trace), "%s",
		 kt_record("mb.xtr", (7 << 1) | 1, "%s --mem 32M --append hello-mb --module %s,first-module --initrd %s",
			   guest, mod1, mod2));
	struct kt_trace *t = kt_load(trace);
	char want[4096];
	snprintf(want, sizeof(want), "%s hello-mb\nfirst-module:ABC\n%s:xyz\nQEMU\n", guest, mod2);
	TEST_EQ_STR(want, t->console, "command line (name first), module strings and bytes, fw_cfg signature");

	uint64_t mod_start = kt_io_out_value(t, 0x90);
	TEST_EQ_U64(0, mod_start & 0xfff, "the first module is page-aligned");
	TEST_ASSERT(mod_start > 0x100000 && mod_start < MEM - 0x10000,
		    "above the kernel, below exitrace's reserved top: 0x%llx", (unsigned long long)mod_start);
	TEST_EQ_U64(1, kt_io_out_value(t, 0x80), "fw_cfg NB_CPUS");
	TEST_EQ_U64(MEM, kt_io_out_value(t, 0x84), "fw_cfg RAM_SIZE");
	TEST_EQ_U64(0, kt_io_out_value(t, 0x88), "fw_cfg file directory: no files");
	TEST_EQ_U64(1, kt_io_out_value(t, 0x8c), "fw_cfg ID: the I/O port interface, no DMA");
	TEST_EQ_U64(0, kt_io_out_value(t, 0x8e) & 0xff, "an item that does not exist reads as 0");

	/* every fw_cfg access is in the trace: the selector writes and the data reads */
	size_t sel = 0, data = 0;
	for (size_t i = 1; i <= t->nsteps; i++) {
		const struct kt_step *s = &t->steps[i];
		if (s->exit_reason != 2)
			continue;
		if (s->io_port == 0x510 && s->io_dir == 1 && s->io_size == 2)
			sel++;
		if (s->io_port == 0x511 && s->io_dir == 0)
			data++;
	}
	TEST_EQ_U64(6, sel, "six selector writes");
	TEST_EQ_U64(4 + 2 + 4 + 4 + 4 + 1, data, "one IN exit per byte read");
	kt_free(t);

	/* the header says which modules went where */
	TEST_EQ_U64(0, kt_exitrace("info %s", trace), "info");
	TEST_CONTAINS(kt_out(), "first-module", "info shows the module's string");
	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical:", "replays identically, fw_cfg reads fed back");

	/*
	 * Paths with commas: a --module FILE's comma written twice, an --initrd
	 * FILE as it is; the string after the first single comma keeps its own.
	 */
	char comma1[600], comma2[600], spec1[1300];
	snprintf(comma1, sizeof(comma1), "%s", kt_tmp("a,b.txt"));
	snprintf(comma2, sizeof(comma2), "%s", kt_tmp("c,d.txt"));
	write_text(comma1, "DEF");
	write_text(comma2, "uvw");
	size_t k = 0;
	for (const char *p = comma1; *p && k < sizeof(spec1) - 2; p++) {
		if (*p == ',')
			spec1[k++] = ',';
		spec1[k++] = *p;
	}
	spec1[k] = 0;
	t = kt_load(kt_record("mb-comma.xtr", (7 << 1) | 1, "%s --mem 32M --module %s,s1,with,commas --initrd %s",
			      guest, spec1, comma2));
	snprintf(want, sizeof(want), "%s\ns1,with,commas:DEF\n%s:uvw\nQEMU\n", guest, comma2);
	TEST_EQ_STR(want, t->console, "modules whose paths hold commas, read from those paths");
	kt_free(t);

	/* --cmdline: the whole line, verbatim */
	t = kt_load(kt_record("mb-verbatim.xtr", (7 << 1) | 1, "%s --mem 32M --cmdline just-this", guest));
	TEST_EQ_STR("just-this\nQEMU\n", t->console, "--cmdline is the line as given, no modules");
	kt_free(t);
	t = kt_load(kt_record("mb-plain.xtr", (7 << 1) | 1, "%s --mem 32M", guest));
	snprintf(want, sizeof(want), "%s\nQEMU\n", guest);
	TEST_EQ_STR(want, t->console, "no --append: the kernel's name alone");
	kt_free(t);

	/* mistakes */
	TEST_EQ_U64(2, kt_exitrace("record %s -o %s --append a --cmdline b", guest, kt_tmp("x.xtr")), "both");
	TEST_CONTAINS(kt_err(), "--append or --cmdline", "says which: %s", kt_err());
	TEST_EQ_U64(2, kt_exitrace("record %s -o %s --module %s", guest, kt_tmp("x.xtr"), kt_tmp("missing")),
		    "a missing module");
	TEST_CONTAINS(kt_err(), "missing", "names it: %s", kt_err());
	TEST_EQ_U64(2, kt_exitrace("record %s -o %s --initrd %s,str", guest, kt_tmp("x.xtr"), mod1),
		    "--initrd of a file that does not exist");
	TEST_CONTAINS(kt_err(), "mod1.txt,str", "--initrd's comma is the file's: %s", kt_err());
	TEST_EQ_U64(2, kt_exitrace("record %s --load 0x100000 -o %s --module %s", guest, kt_tmp("x.xtr"), mod1),
		    "a module for a flat image");
	TEST_CONTAINS(kt_err(), "--module is for a multiboot kernel", "says why: %s", kt_err());
	return 0;
}
