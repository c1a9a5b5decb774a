// SPDX-License-Identifier: MIT
/*
 * Hostile command lines refused before anything runs (no /dev/kvm needed):
 * each is exit status 2 with one line that names the problem.
 *
 * Numbers: strtoull skips blanks and takes a sign, so " -1" was 2^64-1
 * (--max-steps " -1" recorded for ever, --irq 0x30@-1 was an injection at
 * step 2^64-1, and "-18446744073709551568@5" was vector 0x30); a value too
 * big for 64 bits was taken as 2^64-1.  Every number option is held to the
 * same rule: it starts with a digit and fits.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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
	const char *argv[32] = { exitrace, first };
	int n = 2;
	va_list ap;
	va_start(ap, first);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run_cli_argv(&cli, argv);
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

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 3, "usage: test_cli_args EXITRACE TRACE");
	exitrace = argv[1];
	good = argv[2];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	test_numbers();
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_EQ_U64(0, system(cmd), "cleanup");
	return 0;
}
