// SPDX-License-Identifier: MIT
/*
 * Hostile command lines refused before anything runs (no /dev/kvm needed):
 * each is exit status 2 with one line that names the problem.
 *
 * Numbers: strtoull skips blanks and takes a sign, so " -1" was 2^64-1
 * (--max-steps " -1" recorded for ever, --irq 0x30@-1 was an injection at
 * step 2^64-1, and "-18446744073709551568@5" was vector 0x30); a value too
 * big for 64 bits was taken as 2^64-1.  Every number option is held to the
 * same rule: it starts with a digit and fits.  And a leading 0 made it
 * octal: every number is decimal or hex after 0x.
 *
 * Outputs that are inputs: record -o (or --console) naming the guest image
 * or a module, through a link or another spelling, truncated that file
 * after reading it: the recording worked and the guest was gone.  And
 * --console naming the -o file truncated a finished trace before -o found
 * its lock taken.  Refused before anything is opened for writing.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_cli.h"
#include "test_util.h"

static const char *exitrace, *good;
static char dir[] = "/tmp/xt-cli-args-XXXXXX";
static char out[8192], err[8192];
static const struct run_cli cli = { dir, 20, out, err, sizeof(out), sizeof(err) };

/* exitrace with the arguments up to NULL; its status */
static int run(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	int status = run_cli_va(&cli, exitrace, first, ap);
	va_end(ap);
	return status;
}

static void refused(int status, const char *what, const char *says)
{
	TEST_EQ_U64(2, status, "%s is refused; stderr: %s", what, err);
	TEST_CONTAINS(err, says, "%s: the message names it", what);
}

static void test_numbers(void)
{
	const char *x = test_path(dir, "x.xtr");
	/* a number with blanks or a sign before it, or too big, in every option that takes one */
	static const char *const bad[] = { " -1", "-1", "+5", " 5", "99999999999999999999", "0x", "5 " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *v = bad[i];
		refused(run("record", good, "--load", "0x100000", "--max-steps", v, "-o", x, NULL), "--max-steps", "--max-steps");
		refused(run("record", good, "--load", v, "-o", x, NULL), "--load", "--load");
		refused(run("record", good, "--load", "0x100000", "--entry", v, "-o", x, NULL), "--entry", "--entry");
		refused(run("record", good, "--load", "0x100000", "--mem", v, "-o", x, NULL), "--mem", "--mem");
		refused(run("record", good, "--load", "0x100000", "--timeout", v, "-o", x, NULL), "--timeout", "--timeout");
		char irq[64];
		snprintf(irq, sizeof(irq), "0x30@%s", v);
		refused(run("record", good, "--load", "0x100000", "--irq", irq, "-o", x, NULL), irq, "--irq");
		snprintf(irq, sizeof(irq), "0x30@io:%s", v);
		refused(run("record", good, "--load", "0x100000", "--irq", irq, "-o", x, NULL), irq, "--irq");
		refused(run("dump", good, "--from", v, NULL), "dump --from", "--from");
		refused(run("dump", good, "--to", v, NULL), "dump --to", "--to");
		refused(run("diff", good, good, "--context", v, NULL), "diff --context", "--context");
		refused(run("replay", good, "--context", v, NULL), "replay --context", "--context");
	}
	/* a vector that wraps to 0x30 when negated */
	refused(run("record", good, "--load", "0x100000", "--irq", "-18446744073709551568@5", "-o", x, NULL),
		"a negative vector", "--irq");
	refused(run("record", good, "--load", "0x100000", "--irq", "+48@5", "-o", x, NULL), "a signed vector", "--irq");
	/* seconds: what strtod takes besides decimals */
	static const char *const secs[] = { "0x10", "1e3", "inf", "nan", " 1", "." };
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		refused(run("record", good, "--load", "0x100000", "--timeout", secs[i], "-o", x, NULL), secs[i], "--timeout");
	/* sizes with a sign or a blank */
	refused(run("record", good, "--load", "0x100000", "--mem", "+64M", "-o", x, NULL), "--mem +64M", "--mem");
	refused(run("record", good, "--load", "0x100000", "--mem", " 64M", "-o", x, NULL), "--mem ' 64M'", "--mem");
	TEST_ASSERT(access(x, F_OK) != 0, "no refused command created the output");
}

/*
 * A leading 0 made strtoull read octal: --from 010 was step 8, --irq 017@5
 * vector 15 (refused as below 16).  Numbers are decimal or hex after 0x.
 */
static void test_leading_zero(void)
{
	TEST_EQ_U64(0, run("dump", good, "--from", "010", "--to", "010", NULL), "dump --from 010 --to 010; %s", err);
	TEST_CONTAINS(out, "        10  rip=", "step 10 is dumped");
	TEST_ASSERT(!strstr(out, "         8  rip="), "not step 8: %s", out);
	TEST_EQ_U64(0, run("dump", good, "--from", "0x0A", "--to", "0X0a", NULL), "dump --from 0x0A; %s", err);
	TEST_CONTAINS(out, "        10  rip=", "0x0A is step 10");
	TEST_EQ_U64(0, run("show", good, "0009", NULL), "show 0009; %s", err);
	TEST_CONTAINS(out, "step 9:", "0009 is step 9 (no octal digit 9 to stop at)");
	refused(run("dump", good, "--from", "0o10", NULL), "0o10 (no octal spelling)", "--from");
}

/* A list option longer than a fixed buffer was cut, and what was cut could be valid. */
static void test_long_lists(void)
{
	char list[400] = "";
	for (int i = 0; i < 30; i++)
		strcat(list, "default,");
	strcat(list, "stats,fpu,lapicxyz");	/* 250 bytes, then "lapic" ends the first 255 */
	refused(run("record", good, "--load", "0x100000", "--capture", list, "-o", test_path(dir, "x.xtr"), NULL),
		"--capture ...,lapicxyz", "--capture");
}

/*
 * strtok skipped empty names: --capture "", --capture fpu,,lapic and
 * --ignore rax, were taken, while --exit IO,,HLT was refused.  An empty
 * name is a mistake in every list option.
 */
static void test_empty_list_items(void)
{
	static const char *const lists[][2] = {
		{ "", "" }, { ",", "" }, { "fpu,", "rax," }, { ",fpu", ",rax" }, { "fpu,,lapic", "rax,,rbx" },
	};
	const char *x = test_path(dir, "x.xtr");
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		refused(run("record", good, "--load", "0x100000", "--capture", lists[i][0], "-o", x, NULL), lists[i][0],
			"--capture");
		refused(run("diff", good, good, "--ignore", lists[i][1], NULL), lists[i][1], "--ignore");
		refused(run("dump", good, "--exit", i ? "IO," : "", NULL), "--exit IO,", "");
		refused(run("stat", good, "--event", i ? "note," : "", NULL), "--event note,", "");
	}
	/* a STEP that starts with a digit is a number, never a symbol to look up */
	refused(run("show", good, "99999999999999999999", NULL), "show 2^64+", "is not a step number");
	refused(run("show", good, "12abc", NULL), "show 12abc", "is not a step number");
	/* and a range past 2^64 is no range: it printed 0xffffffffffffffff..0xf */
	refused(run("show", good, "3", "--mem", "0xffffffffffffffff", "16", NULL), "--mem at the top", "past the top");
	TEST_EQ_U64(0, run("show", good, "3", "--mem", "0xfffffffffffffff0", "16", NULL), "--mem to the very top: %s", err);
}

static void copy(const char *from, const char *to)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	TEST_EQ_U64(0, system(cmd), "%s", cmd);
}

static bool same_bytes(const char *a, const char *b)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static void test_outputs_that_are_inputs(void)
{
	char guest[300], link[300], trace[300], mod[300], spec[400];
	snprintf(guest, sizeof(guest), "%s", test_path(dir, "guest.bin"));
	snprintf(link, sizeof(link), "%s", test_path(dir, "link.bin"));
	snprintf(trace, sizeof(trace), "%s", test_path(dir, "kept.xtr"));
	snprintf(mod, sizeof(mod), "%s", test_path(dir, "module.bin"));
	copy(good, guest);
	copy(good, trace);
	copy(good, mod);
	TEST_EQ_U64(0, symlink("guest.bin", link), "symlink");
	char other[320];
	snprintf(other, sizeof(other), "%s/./guest.bin", dir);

	/* export -o replaced the trace it read (or the --symbols ELF) with the CSV */
	refused(run("export", trace, "--format", "csv", "-o", trace, NULL), "export -o the trace", "would overwrite");
	refused(run("export", trace, "--format", "perfetto", "-o", link, "--symbols", guest, NULL),
		"export -o a link to --symbols", "would overwrite");
	TEST_ASSERT(same_bytes(good, trace) && same_bytes(good, guest), "the trace and the ELF are untouched");
	refused(run("record", guest, "--load", "0x100000", "-o", guest, NULL), "-o the guest", "would overwrite");
	refused(run("record", guest, "--load", "0x100000", "-o", link, NULL), "-o a link to the guest", "would overwrite");
	refused(run("record", guest, "--load", "0x100000", "-o", other, NULL), "-o the guest spelt otherwise", "would overwrite");
	refused(run("record", guest, "--load", "0x100000", "-o", test_path(dir, "new.xtr"), "--console", link, NULL),
		"--console the guest", "would overwrite");
	snprintf(spec, sizeof(spec), "%s,its string", mod);
	refused(run("record", guest, "-o", mod, "--module", spec, NULL), "-o a module", "would overwrite");
	refused(run("record", guest, "-o", test_path(dir, "new.xtr"), "--console", mod, "--module", spec, NULL),
		"--console a module", "would overwrite");
	refused(run("record", guest, "--load", "0x100000", "-o", trace, "--console", trace, NULL),
		"--console the trace", "would overwrite the trace being recorded");
	TEST_ASSERT(same_bytes(good, guest), "the guest image is intact");
	TEST_ASSERT(same_bytes(good, mod), "the module is intact");
	TEST_ASSERT(same_bytes(good, trace), "the earlier trace is intact");
	/* two new files of one name */
	refused(run("record", guest, "--load", "0x100000", "-o", test_path(dir, "same"), "--console",
		    test_path(dir, "same"), NULL), "--console and -o one new file", "would overwrite");
	TEST_ASSERT(access(test_path(dir, "same"), F_OK) != 0, "nothing was created");
}

/* A scenario's own breakpoints and IRQs were dropped without a word once the user's filled the table. */
/*
 * record -o FILE -- COMMAND: the library learns that FILE cannot be written
 * only when COMMAND creates a VM, and the run went on unrecorded, exit 0.
 * A FILE that cannot be written, or is COMMAND's own file, is refused
 * before COMMAND runs: the marker it would create stays absent.
 */
static void test_attach_outputs(void)
{
	char marker[300], exe[300], arg[300], eq[400], nodir[300];
	snprintf(marker, sizeof(marker), "%s", test_path(dir, "ran"));
	snprintf(exe, sizeof(exe), "%s", test_path(dir, "cmd.sh"));
	snprintf(arg, sizeof(arg), "%s", test_path(dir, "disk.img"));
	snprintf(nodir, sizeof(nodir), "%s", test_path(dir, "no/such/dir/x.xtr"));
	FILE *f = fopen(exe, "w");
	TEST_ASSERT(f && fprintf(f, "#!/bin/sh\ntouch '%s'\n", marker) > 0 && fclose(f) == 0, "write %s", exe);
	TEST_EQ_U64(0, chmod(exe, 0755), "chmod");
	copy(good, arg);
	snprintf(eq, sizeof(eq), "file=%s,format=raw", arg);
	const struct {
		const char *out, *last, *says;
	} cases[] = {
		{ dir, NULL, "it is a directory" },
		{ "", NULL, "-o needs a file name" },
		{ nodir, NULL, "cannot create" },
		{ "/dev/zero/x.xtr", NULL, "Not a directory" },
		{ exe, NULL, "would overwrite COMMAND" },
		{ arg, arg, "would overwrite a file COMMAND is given" },
		{ arg, eq, "would overwrite a file COMMAND is given" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		refused(run("record", "-o", cases[i].out, "--", exe, cases[i].last, NULL), cases[i].out, cases[i].says);
		TEST_ASSERT(access(marker, F_OK) != 0, "-o '%s': COMMAND did not run", cases[i].out);
	}
	TEST_ASSERT(same_bytes(good, arg), "the argument's file is untouched");
	/* COMMAND must be a file to run: not '' (PATH's first directory), not a directory */
	refused(run("record", "-o", test_path(dir, "y.xtr"), "--", "", NULL), "an empty COMMAND", "command not found");
	refused(run("record", "-o", test_path(dir, "y.xtr"), "--", dir, NULL), "a directory as COMMAND", "command not found");
	/* a good FILE: COMMAND runs (it creates no VM, so no trace) */
	TEST_EQ_U64(0, run("record", "-o", test_path(dir, "y.xtr"), "--", exe, NULL), "a good -o: %s", err);
	TEST_ASSERT(access(marker, F_OK) == 0, "COMMAND ran");
}

/*
 * stdout on a full disk: info, stat, check, scenarios, help and --version
 * ended 0 having written nothing.  Every command must say so and exit 2.
 */
static void test_full_stdout(void)
{
	static const char *const cmds[] = {
		"info %s", "info %s --json", "stat %s", "stat %s --json", "dump %s", "show %s 3",
		"export %s --format csv", "diff %s %s", "scenarios", "help", "--version",
		"help dump", "record --help",
	};
	const char *errs = test_path(dir, "full.err");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char args[600], cmd[1800];
		snprintf(args, sizeof(args), cmds[i], good, good);
		snprintf(cmd, sizeof(cmd), "'%s' %s >/dev/full 2>'%s'", exitrace, args, errs);
		int st = system(cmd);
		TEST_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s to /dev/full: exit 2, not %d", args,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		FILE *f = fopen(errs, "r");
		char msg[512] = "";
		TEST_ASSERT(f && fread(msg, 1, sizeof(msg) - 1, f) > 0, "%s: stderr says something", args);
		fclose(f);
		TEST_CONTAINS(msg, "writing the output failed", "%s says why", args);
	}
}

/*
 * A message longer than the error's buffer lost its end, which says why:
 * "cannot open /tmp/aaaa...aaa" and no "File name too long".  The middle
 * goes instead.
 */
static void test_long_paths(void)
{
	static char path[6000];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/", dir);
	memset(path + n, 'a', 5000);
	strcpy(path + n + 5000, ".xtr");
	refused(run("info", path, NULL), "info of a 5000-byte name", "File name too long");
	refused(run("dump", path, NULL), "dump of a 5000-byte name", "File name too long");
	refused(run("record", good, "--load", "0x100000", "-o", path, NULL), "record -o a 5000-byte name",
		"File name too long");
	TEST_CONTAINS(err, dir, "and the path's start is still there: %s", err);
}

static void test_scenario_limits(void)
{
	const char *x = test_path(dir, "x.xtr");
	refused(run("record", "--scenario", "hw-bp", "--hw-bp", "0x1000", "-o", x, NULL),
		"hw-bp (4 breakpoints of its own) and one more", "at most 0 --hw-bp besides");
	const char *full[140] = { exitrace, "record", "--scenario", "sti-irq", "-o", x };
	int n = 6;
	for (int i = 0; i < 64; i++) {
		full[n++] = "--irq";
		full[n++] = "0x31@io:0x82";
	}
	full[n] = NULL;
	refused(run_cli_argv(&cli, full), "sti-irq (an IRQ of its own) and 64 --irq", "at most 63 --irq besides");
	TEST_ASSERT(access(x, F_OK) != 0, "nothing was recorded");
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 3, "usage: test_cli_args EXITRACE TRACE");
	exitrace = argv[1];
	good = argv[2];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	test_numbers();
	test_leading_zero();
	test_outputs_that_are_inputs();
	test_long_lists();
	test_empty_list_items();
	test_attach_outputs();
	test_full_stdout();
	test_long_paths();
	test_scenario_limits();
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_EQ_U64(0, system(cmd), "cleanup");
	return 0;
}
