// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the commands that render a trace (info, dump, stat, show,
 * export, diff with itself and with the input before it) on arbitrary bytes, through the same entry points as the
 * exitrace binary.  fuzz_reader checks the reader; this one checks what
 * the tools do with what the reader hands them: the guest ELF in the
 * header (libelf, libdw), Zydis on initial memory, symbol filters, the
 * text and JSON renderers.  A command must end with 0, 1 or 2 and never
 * crash, hang or trip a sanitizer; what it prints is thrown away.
 *
 * tools/main.c is compiled with main renamed (meson.build), so the target
 * calls exitrace's own dispatch with an argv as a shell would.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int exitrace_main(int argc, char **argv);

/*
 * The input, and the one before it: diff of two different traces walks
 * the divergence paths that diff of a trace with itself never takes.
 */
static int input_fd = -1, prev_fd = -1;
static char input_path[64], prev_path[64];

static void put(int fd, const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
}

static void put_input(const uint8_t *data, size_t size)
{
	if (input_fd < 0) {
		input_fd = memfd_create("xt-fuzz-tools", MFD_CLOEXEC);
		prev_fd = memfd_create("xt-fuzz-tools-prev", MFD_CLOEXEC);
		if (input_fd < 0 || prev_fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
		snprintf(prev_path, sizeof(prev_path), "/proc/self/fd/%d", prev_fd);
		/* the commands' output is not what is checked: keep it off the terminal */
		if (!freopen("/dev/null", "w", stdout)) {
			perror("/dev/null");
			abort();
		}
	}
	put(input_fd, data, size);
}

/* One command line; NULL-terminated.  Exit statuses other than 0, 1, 2 abort. */
static void run(const char *a0, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	va_start(ap, a0);
	argv[argc++] = (char *)"exitrace";
	for (const char *a = a0; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0;	/* GNU getopt: start afresh, as in a new process */
	int rc = exitrace_main(argc, argv);
	fflush(stdout);
	if (rc < 0 || rc > 2) {
		fprintf(stderr, "fuzz_tools: exitrace %s ended with %d\n", a0, rc);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	put_input(data, size);
	const char *p = input_path;
	run("info", p, "--verify", NULL);
	run("info", p, "--json", NULL);
	run("dump", p, NULL);
	run("dump", p, "--json", "--to", "64", NULL);
	run("dump", p, "--rip", "main", NULL);
	run("stat", p, NULL);
	run("stat", p, "--json", NULL);
	run("show", p, "3", "--mem", "0xff0", "32", NULL);
	run("show", p, "_start#1", "--json", NULL);
	run("export", p, "--format", "csv", "-o", "/dev/null", NULL);
	run("export", p, "--format", "perfetto", "-o", "/dev/null", NULL);
	run("diff", p, p, "--context", "2", NULL);
	run("diff", prev_path, p, "--max-hunks", "8", NULL);
	run("diff", p, prev_path, "--json", "--first", NULL);
	put(prev_fd, data, size);
	return 0;
}
