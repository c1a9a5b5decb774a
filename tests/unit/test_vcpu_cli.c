// SPDX-License-Identifier: MIT
/*
 * dump, stat, info and diff on a trace of three vCPUs (gen_trace's, the third
 * joining late): each shows per-vCPU figures, --vcpu N narrows it to one,
 * and the figures agree with each other: what dump and stat count by
 * reading every record against what the writer put in the footer.  A
 * vCPU the trace does not have is a usage error; replay refuses several
 * vCPUs (not run yet); a trace of one vCPU looks as it did before.
 *
 * usage: test_vcpu_cli EXITRACE GEN_TRACE
 */
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

static const char *exitrace;
static char dir[] = "/tmp/xt-vcpu-cli-XXXXXX";
static char out[1 << 18];

/* Run a shell command line; its stdout and stderr in out, its exit status returned. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	TEST_ASSERT(p, "popen %s", cmd);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	TEST_ASSERT(n < sizeof(out) - 1, "%s: output too long", cmd);
	out[n] = 0;
	int status = pclose(p);
	TEST_ASSERT(WIFEXITED(status), "%s: died", cmd);
	return WEXITSTATUS(status);
}

static unsigned count(const char *text, const char *needle)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The steps of vCPU v as info --json says (from the footer the writer filled in). */
static uint64_t footer_steps(const char *trace, unsigned v)
{
	TEST_EQ_U64(0, run("%s info --json --vcpu %u %s", exitrace, v, trace), "info --json --vcpu %u", v);
	const char *p = strstr(out, "\"vcpus\":[{\"vcpu\":");
	TEST_ASSERT(p, "info --json has the vCPU's summary: %s", out);
	p = strstr(p, "\"steps\":");
	TEST_ASSERT(p, "steps");
	return strtoull(p + 8, NULL, 10);
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 3, "usage: test_vcpu_cli EXITRACE GEN_TRACE");
	exitrace = argv[1];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	char three[256], one[256];
	snprintf(three, sizeof(three), "%s/three.xtr", dir);
	snprintf(one, sizeof(one), "%s/one.xtr", dir);
	TEST_EQ_U64(0, run("%s %s 3 >/dev/null", argv[2], three), "gen_trace 3");
	TEST_EQ_U64(0, run("%s %s 1 >/dev/null", argv[2], one), "gen_trace 1");

	/* the footer's figures: every vCPU ran, and they add up */
	uint64_t steps[3], total = 0;
	for (unsigned v = 0; v < 3; v++) {
		steps[v] = footer_steps(three, v);
		TEST_ASSERT(steps[v] > 0, "vCPU %u made steps", v);
		total += steps[v];
	}
	TEST_EQ_U64(120, total, "the vCPUs' steps add up to the trace's");

	/* info: the vCPUs and their APIC IDs, a line each; --vcpu: one line */
	TEST_EQ_U64(0, run("%s info %s", exitrace, three), "info");
	TEST_CONTAINS(out, "vcpus:     3, APIC IDs 0 2 4", "the vCPUs");
	TEST_EQ_U64(3, count(out, "\nvcpu "), "a line per vCPU: %s", out);
	TEST_EQ_U64(0, run("%s info --vcpu 2 %s", exitrace, three), "info --vcpu 2");
	TEST_EQ_U64(1, count(out, "\nvcpu "), "one vCPU's line");
	TEST_CONTAINS(out, "vcpu 2     APIC ID 4", "vCPU 2's");

	for (unsigned v = 0; v < 3; v++) {
		/* dump --vcpu: only its steps, numbered 1, 2, ... among its own */
		TEST_EQ_U64(0, run("%s dump --vcpu %u %s", exitrace, v, three), "dump --vcpu %u", v);
		char tag[32];
		snprintf(tag, sizeof(tag), " v%u#", v);
		TEST_EQ_U64(steps[v], count(out, tag), "dump --vcpu %u: its steps", v);
		TEST_EQ_U64(steps[v], count(out, "rip="), "dump --vcpu %u: no other vCPU's steps", v);
		snprintf(tag, sizeof(tag), " v%u#%" PRIu64 " ", v, steps[v]);
		TEST_CONTAINS(out, tag, "dump --vcpu %u: its last step has its own number", v);
		/* events of other vCPUs are left out too */
		for (unsigned o = 0; o < 3; o++) {
			snprintf(tag, sizeof(tag), " v%u ", o);
			if (o != v)
				TEST_EQ_U64(0, count(out, tag), "dump --vcpu %u: no event of vCPU %u", v, o);
		}
		/* stat --vcpu: what reading counts is what the writer counted */
		TEST_EQ_U64(0, run("%s stat --vcpu %u %s", exitrace, v, three), "stat --vcpu %u", v);
		char want[64];
		snprintf(want, sizeof(want), "%" PRIu64 " steps of vCPU %u (APIC ID %u)", steps[v], v, 2 * v);
		TEST_CONTAINS(out, want, "stat --vcpu %u", v);
	}
	/* the footer the writer filled in agrees with the data, counted by each step's own vCPU */
	TEST_EQ_U64(0, run("%s info --verify %s 2>&1", exitrace, three), "info --verify: %s", out);
	TEST_CONTAINS(out, "the footer agrees with the data", "info --verify");
	TEST_EQ_U64(0, run("%s stat %s 2>&1 >/dev/null", exitrace, three), "stat");
	TEST_ASSERT(!strstr(out, "inconsistent"), "stat: no warning: %s", out);
	TEST_EQ_U64(0, run("%s dump %s", exitrace, three), "dump");
	TEST_EQ_U64(120, count(out, "rip="), "dump: every step");
	TEST_EQ_U64(0, run("%s stat %s", exitrace, three), "stat");
	TEST_CONTAINS(out, "vCPU  APIC ID      steps  exits", "stat: the per-vCPU table");
	char row[64];
	snprintf(row, sizeof(row), "\n2           4  %9" PRIu64 "  ", steps[2]);
	TEST_CONTAINS(out, row, "stat: vCPU 2's row");
	TEST_EQ_U64(0, run("%s stat --json %s", exitrace, three), "stat --json");
	TEST_CONTAINS(out, "\"vcpus\":[{\"vcpu\":0,\"apic_id\":0,", "stat --json: per vCPU");

	/* a vCPU the trace does not have: a usage error, exit 2 */
	static const char *const cmds[] = { "dump", "stat", "info" };
	for (size_t i = 0; i < 3; i++) {
		TEST_EQ_U64(2, run("%s %s --vcpu 3 %s 2>&1", exitrace, cmds[i], three), "%s --vcpu 3", cmds[i]);
		TEST_CONTAINS(out, "--vcpu 3: the trace has 3 vCPUs, 0 to 2", "%s: named", cmds[i]);
		TEST_EQ_U64(2, run("%s %s --vcpu one %s 2>&1", exitrace, cmds[i], three), "%s --vcpu one", cmds[i]);
		TEST_CONTAINS(out, "--vcpu needs a vCPU number, not 'one'", "%s: named", cmds[i]);
		TEST_EQ_U64(2, run("%s %s --vcpu 1 %s 2>&1", exitrace, cmds[i], one), "%s: one vCPU", cmds[i]);
		TEST_CONTAINS(out, "--vcpu 1: the trace has one vCPU, vCPU 0", "%s: named", cmds[i]);
	}

	/* diff: each vCPU a section of its own steps; --vcpu narrows it, to a vCPU both have */
	TEST_EQ_U64(0, run("%s diff %s %s", exitrace, three, three), "diff with itself: %s", out);
	for (unsigned v = 0; v < 3; v++) {
		char want[64];
		snprintf(want, sizeof(want), "vCPU %u: identical: %" PRIu64 " steps compared\n", v, steps[v]);
		TEST_CONTAINS(out, want, "diff: vCPU %u's own steps", v);
	}
	TEST_CONTAINS(out, "identical: 120 steps compared on 3 vCPUs", "diff: all of them");
	TEST_EQ_U64(0, run("%s diff --vcpu 2 %s %s", exitrace, three, three), "diff --vcpu 2");
	TEST_EQ_U64(0, count(out, "vCPU 0") + count(out, "vCPU 1"), "diff --vcpu 2: no other vCPU: %s", out);
	TEST_CONTAINS(out, "vCPU 2: identical", "diff --vcpu 2: vCPU 2's section");
	TEST_EQ_U64(2, run("%s diff --vcpu 3 %s %s 2>&1", exitrace, three, three), "diff --vcpu 3");
	TEST_CONTAINS(out, "--vcpu 3: the trace has 3 vCPUs, 0 to 2", "diff: named");
	TEST_EQ_U64(2, run("%s diff --vcpu 1 %s %s 2>&1", exitrace, three, one), "diff --vcpu 1, B of one vCPU");
	TEST_CONTAINS(out, "--vcpu 1: the trace has one vCPU, vCPU 0", "diff: named");
	TEST_EQ_U64(1, run("%s diff %s %s", exitrace, three, one), "diff of 3 vCPUs and 1");
	TEST_CONTAINS(out, "vcpus 3 (A) vs 1 (B)", "diff: the vCPU counts in the header");
	TEST_CONTAINS(out, "vCPUs 1 to 2 are in A only: not compared", "diff: the vCPUs not compared");

	/*
	 * replay builds every vCPU (APIC IDs 0, 2, 4) and starts comparing: a
	 * synthetic trace's state is no KVM state, so it diverges up front,
	 * naming the vCPU (record --vcpus traces replay in tests/kvm)
	 */
	if (access("/dev/kvm", R_OK | W_OK) == 0) {
		TEST_EQ_U64(1, run("%s replay %s 2>/dev/null", exitrace, three), "replay of 3 vCPUs");
		TEST_CONTAINS(out, "DIVERGED before the first step: the initial state of vCPU 0", "replay: named");
	}

	/* one vCPU: no vCPU columns, rows or lines, unless asked */
	TEST_EQ_U64(0, run("%s dump %s", exitrace, one), "dump, one vCPU");
	TEST_EQ_U64(0, count(out, " v0"), "dump: no vCPU column for one vCPU");
	TEST_EQ_U64(0, run("%s stat %s", exitrace, one), "stat, one vCPU");
	TEST_EQ_U64(0, count(out, "APIC ID"), "stat: no vCPU table for one vCPU");
	TEST_EQ_U64(0, run("%s info %s", exitrace, one), "info, one vCPU");
	TEST_EQ_U64(0, count(out, "\nvcpu"), "info: no vCPU lines for one vCPU");
	TEST_EQ_U64(0, run("%s dump --vcpu 0 %s", exitrace, one), "dump --vcpu 0, one vCPU");
	TEST_EQ_U64(120, count(out, "rip="), "dump --vcpu 0: all of a trace of one");
	TEST_EQ_U64(0, run("%s diff %s %s", exitrace, one, one), "diff, one vCPU");
	TEST_EQ_U64(0, count(out, "vCPU"), "diff: no vCPU sections for one vCPU: %s", out);
	TEST_CONTAINS(out, "identical: 120 steps compared\n", "diff: as before");

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_ASSERT(system(cmd) == 0, "cleanup");
	return 0;
}
