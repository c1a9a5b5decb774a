/* SPDX-License-Identifier: MIT */
/*
 * A program (the exitrace binary, python3) run as a test's child, its
 * stdout and stderr kept for the test to look at.
 */
#ifndef XT_TEST_RUN_CLI_H
#define XT_TEST_RUN_CLI_H

#include <stdarg.h>
#include <stddef.h>

struct run_cli {
	const char *dir;	/* the test's directory: the output goes through dir/.out and dir/.err */
	unsigned alarm;		/* seconds the child may take, 0: no limit */
	char *out, *err;	/* stdout and stderr, NUL-terminated, cut to fit */
	size_t out_size, err_size;
};

/*
 * Run prog with up to 4 arguments (the first NULL ends them); its exit
 * status.  Fails the test if it did not exit: with an alarm, a child that
 * blocks (in open() of a FIFO, say) dies of SIGALRM and fails it.
 */
int run_cli(const struct run_cli *c, const char *prog, const char *a1, const char *a2, const char *a3,
	    const char *a4);

/* The same with any number of arguments: argv[0] is the program, a NULL ends them. */
int run_cli_argv(const struct run_cli *c, const char *const *argv);

/* The same with prog, first and the arguments of ap up to a NULL (at most 30 in all). */
int run_cli_va(const struct run_cli *c, const char *prog, const char *first, va_list ap);

#endif
