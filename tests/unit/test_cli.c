// SPDX-License-Identifier: MIT
/*
 * The command line on bad input: unknown options, missing or extra
 * arguments, conflicting flags, files that are missing, empty, random,
 * truncated or bit-flipped.  Every case exits 2 with a message naming the
 * problem (and, for a damaged trace, the byte offset), never a crash.
 * Needs no /dev/kvm: nothing here gets as far as running a guest.
 *
 * usage: test_cli EXITRACE A_VALID_TRACE
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "run_cli.h"
#include "test_util.h"
#include "xt_internal.h"

static const char *exitrace;
static char dir[] = "/tmp/xt-cli-XXXXXX";
static char err_text[8192], out_text[8192];

static const char *tmp(const char *name)
{
	return test_path(dir, name);
}

/* Run exitrace with a NULL-terminated argument list; returns the status, stdout and stderr kept. */
static int run(const char *first, ...)
{
	const struct run_cli cli = { dir, 0, out_text, err_text, sizeof(out_text), sizeof(err_text) };
	va_list ap;
	va_start(ap, first);
	int status = run_cli_va(&cli, exitrace, first, ap);
	va_end(ap);
	return status;
}

static void expect_usage(const char *cmd, const char *why, int status)
{
	TEST_EQ_U64(2, status, "%s: %s is a usage error; stderr: %s", cmd, why, err_text);
	char hint[64];
	snprintf(hint, sizeof(hint), "try 'exitrace %s --help'", cmd);
	TEST_CONTAINS(err_text, hint, "%s: %s: the usage hint", cmd, why);
	/* one line of message, then the hint */
	const char *nl = strchr(err_text, '\n');
	TEST_ASSERT(nl && !strncmp(nl + 1, "try ", 4), "%s: %s: one line, then the hint: %s", cmd, why, err_text);
}

static void spill(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TEST_ASSERT(fd >= 0 && write(fd, p, n) == (ssize_t)n, "write %s", path);
	close(fd);
}

/*
 * info on the fixture's hostile traces (issue #15): it never dies of a
 * signal, refuses what the reader refuses with the reader's message, and
 * never calls "complete" what reading the frames would refuse.
 */
static void test_hostile_info(void)
{
	struct xti_buf f = { 0 };
	for (size_t i = 0; i < fx_hostile_count(); i++) {
		const struct fx_hostile *h = fx_hostile_make(i, &f);
		char *path = strdup(tmp(h->name));
		spill(path, f.p, f.len);
		/* what the reader finds at open, info reports; the rest is in the frames */
		struct xt_reader *r;
		struct xt_error err;
		bool opens = xt_reader_open(&r, path, &err) == 0;
		xt_reader_close(r);
		for (int json = 0; json < 2; json++) {
			int status = run("info", path, json ? "--json" : NULL, NULL);
			if (!opens) {
				TEST_EQ_U64(2, status, "info %s; stdout: %s", h->name, out_text);
				TEST_CONTAINS(err_text, h->want, "info %s names the problem", h->name);
				continue;
			}
			TEST_EQ_U64(0, status, "info %s: %s", h->name, err_text);
			TEST_CONTAINS(out_text, json ? "\"truncated\":false" : "status:    complete",
				      "info %s: complete", h->name);
			if (!h->want)
				continue;
			/* a fault inside a data frame: info did not read it, and says so */
			TEST_CONTAINS(out_text, json ? "\"verified\":false" : "frames:    not verified",
				      "info %s says what it did not check", h->name);
			status = run("info", path, "--verify", json ? "--json" : NULL, NULL);
			TEST_EQ_U64(2, status, "info --verify %s reads the frames", h->name);
			TEST_CONTAINS(err_text, h->want, "info --verify %s names the problem", h->name);
			TEST_CONTAINS(err_text, "offset", "info --verify %s: and where", h->name);
		}
		if (!strcmp(h->name, "footer-steps-2e63")) {
			/* the count was taken for an error: "exitrace info: " and nothing more */
			run("info", path, NULL);
			TEST_CONTAINS(out_text, "complete: 9223372036854775808 steps", "a count of 2^63");
			run("info", path, "--json", NULL);
			TEST_CONTAINS(out_text, "\"steps\":9223372036854775808", "a count of 2^63 (json)");
		} else if (!strcmp(h->name, "bad-data-checksum")) {
			/* what info --verify refuses (above), stat refuses too */
			TEST_EQ_U64(2, run("stat", path, NULL), "stat reads the frames");
			TEST_CONTAINS(err_text, "checksum", "and names the damage: %s", err_text);
		} else if (!strcmp(h->name, "ok-small")) {
			TEST_EQ_U64(0, run("info", path, "--verify", "--json", NULL), "info --verify: %s", err_text);
			TEST_CONTAINS(out_text, "\"verified\":true", "info --verify says it verified");
		} else if (!strcmp(h->name, "lost-trailer")) {
			/* read to count, so verified; stat agrees that it is complete */
			run("info", path, NULL);
			TEST_CONTAINS(out_text, "frames:    verified", "info read the frames");
			TEST_EQ_U64(0, run("stat", path, "--json", NULL), "stat: %s", err_text);
			TEST_CONTAINS(out_text, "\"truncated\":false", "stat says complete too");
		}
		free(path);
	}
	xti_buf_free(&f);
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 3, "usage: test_cli EXITRACE TRACE");
	exitrace = argv[1];
	const char *good = argv[2];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");

	/* the top level */
	TEST_EQ_U64(2, run("no-such-command", NULL), "an unknown command");
	TEST_CONTAINS(err_text, "unknown command 'no-such-command'", "named");
	TEST_EQ_U64(0, run("--help", NULL), "--help");
	TEST_CONTAINS(out_text, "2 usage, I/O or format error", "the exit statuses");
	TEST_CONTAINS(out_text, "record: the guest's isa-debug-exit status", "and record's own");

	/* unknown options and missing arguments, command by command */
	static const char *const readers[] = { "info", "dump", "stat", "replay" };
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		expect_usage(readers[i], "an unknown option", run(readers[i], "--bogus", good, NULL));
		expect_usage(readers[i], "no file", run(readers[i], NULL));
		TEST_EQ_U64(0, run(readers[i], "--help", NULL), "%s --help", readers[i]);
		/* exitrace help CMD says the same as CMD --help */
		char want[sizeof(out_text)];
		snprintf(want, sizeof(want), "%s", out_text);
		TEST_EQ_U64(0, run("help", readers[i], NULL), "help %s", readers[i]);
		TEST_EQ_STR(want, out_text, "help %s is %s --help", readers[i], readers[i]);
	}
	TEST_EQ_U64(2, run("help", "no-such-command", NULL), "help of no command");
	TEST_CONTAINS(err_text, "no command 'no-such-command'", "named");
	expect_usage("info", "two files", run("info", good, good, NULL));
	expect_usage("diff", "an unknown option", run("diff", "--bogus", good, good, NULL));
	expect_usage("diff", "one file", run("diff", good, NULL));
	expect_usage("diff", "an unknown field to ignore", run("diff", "--ignore", "no-such-field", good, good, NULL));
	TEST_EQ_U64(0, run("diff", good, good, NULL), "a trace is identical to itself");
	expect_usage("dump", "--from after --to", run("dump", good, "--from", "9", "--to", "3", NULL));
	expect_usage("dump", "--from without a number", run("dump", good, "--from", "x", NULL));
	expect_usage("check", "an unknown option", run("check", "--bogus", good, NULL));
	expect_usage("check", "nothing to check", run("check", NULL));
	expect_usage("scenarios", "an extra argument", run("scenarios", "extra", NULL));
	expect_usage("record", "an unknown option", run("record", "--bogus", NULL));
	expect_usage("record", "no output", run("record", "--scenario", "sti-irq", NULL));
	expect_usage("record", "a guest and a scenario", run("record", good, "--scenario", "sti-irq", "-o", tmp("x"), NULL));
	expect_usage("record", "an unknown scenario", run("record", "--scenario", "nope", "-o", tmp("x"), NULL));
	expect_usage("record", "--mode without --load", run("record", good, "--mode", "real", "-o", tmp("x"), NULL));
	expect_usage("record", "a bad --irq", run("record", good, "--load", "0x100000", "--irq", "0x30@", "-o", tmp("x"), NULL));
	expect_usage("record", "a bad --mem", run("record", good, "--load", "0x100000", "--mem", "lots", "-o", tmp("x"), NULL));
	expect_usage("record", "a bad --capture", run("record", good, "--load", "0x100000", "--capture", "everything-else", "-o", tmp("x"), NULL));
	expect_usage("record", "a bad --irqchip", run("record", good, "--load", "0x100000", "--irqchip", "pic", "-o", tmp("x"), NULL));
	TEST_EQ_U64(2, run("record", tmp("missing-guest"), "-o", tmp("x"), NULL), "a missing guest");
	TEST_CONTAINS(err_text, "missing-guest", "the message names it");

	/* an option that takes a value, last on the line: getopt's ':' */
	expect_usage("replay", "--context without a value", run("replay", good, "--context", NULL));
	TEST_CONTAINS(err_text, "option '--context' needs a value", "replay: the option is named");
	expect_usage("record", "-o without a value", run("record", "-o", NULL));
	TEST_CONTAINS(err_text, "option '-o' needs a value", "record: the option is named");
	expect_usage("dump", "--from without a value", run("dump", good, "--from", NULL));
	TEST_CONTAINS(err_text, "option '--from' needs a value", "dump: the option is named");
	expect_usage("diff", "--context without a value", run("diff", good, good, "--context", NULL));
	TEST_CONTAINS(err_text, "option '--context' needs a value", "diff: the option is named");

	/* files that are not traces, or damaged ones */
	size_t size;
	uint8_t *trace;
	{
		int fd = open(good, O_RDONLY);
		struct stat st;
		TEST_ASSERT(fd >= 0 && fstat(fd, &st) == 0, "open %s", good);
		size = (size_t)st.st_size;
		trace = malloc(size);
		TEST_ASSERT(read(fd, trace, size) == (ssize_t)size, "read");
		close(fd);
	}
	uint8_t noise[4096];
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)(i * 2654435761u >> 13);
	spill(tmp("empty.xtr"), "", 0);
	spill(tmp("noise.xtr"), noise, sizeof(noise));
	spill(tmp("cut.xtr"), trace, 25);		/* inside the header frame */
	trace[size / 2] ^= 0x10;			/* inside a data frame */
	spill(tmp("flipped.xtr"), trace, size);
	/* run() reuses tmp()'s buffers: keep copies */
	struct { char *file; const char *says; bool offset; } bad[] = {
		{ strdup(tmp("missing.xtr")), "No such file", false },
		{ strdup(tmp("empty.xtr")), "is empty", false },
		{ strdup(tmp("noise.xtr")), "not an exitrace trace", true },
		{ strdup(tmp("cut.xtr")), "cut short", false },
		{ strdup(tmp("flipped.xtr")), "offset", true },
	};
	static const char *const all[] = { "info", "dump", "stat", "replay", "check" };
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		for (size_t c = 0; c < sizeof(all) / sizeof(all[0]); c++) {
			int status = run(all[c], bad[b].file, NULL);
			TEST_EQ_U64(2, status, "%s on %s; stderr: %s", all[c], bad[b].file, err_text);
			/* check reports through TAP on stdout, the others on stderr */
			const char *said = strcmp(all[c], "check") ? err_text : out_text;
			TEST_CONTAINS(said, bad[b].says, "%s on %s names the problem", all[c], bad[b].file);
			if (bad[b].offset)
				TEST_CONTAINS(said, "offset", "%s on %s names the offset", all[c], bad[b].file);
		}
		/* diff, with the bad trace on either side */
		for (int side = 0; side < 2; side++) {
			int status = side ? run("diff", good, bad[b].file, NULL) : run("diff", bad[b].file, good, NULL);
			TEST_EQ_U64(2, status, "diff with %s; stderr: %s", bad[b].file, err_text);
			TEST_CONTAINS(err_text, bad[b].says, "diff with %s names the problem", bad[b].file);
		}
	}
	free(trace);
	test_hostile_info();
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		free(bad[b].file);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_EQ_U64(0, system(cmd), "cleanup");
	return 0;
}
