// SPDX-License-Identifier: MIT
/*
 * exitrace record -- qemu-system-x86_64 -enable-kvm: a VMM we did not
 * write, booting a small multiboot kernel of ours (tests/kvm/guests/
 * multiboot.S: OUTs to 0x84, the command line to the serial port,
 * isa-debug-exit 7).  QEMU's verdict (its exit status, 15) and its output
 * are the same with and without exitrace, and the trace holds the
 * guest's port writes in order; with --step-at-port 0x84 the kernel is
 * single-stepped from its first OUT on.  Skips without QEMU (Debian's
 * qemu-system-x86).
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt.h"

#define QEMU "qemu-system-x86_64"
#define ARGS "-enable-kvm -nographic -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel"

/* A path in the test's temp dir that stays (kt_tmp() reuses its 16 buffers). */
static const char *tmp(const char *name)
{
	return kt_tmp_kept(name);
}

static char plain[1 << 16];

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	if (system("command -v " QEMU " >/dev/null 2>&1") != 0) {
		printf("SKIP: no " QEMU " here\n");
		return XT_TEST_SKIP;
	}
	const char *kernel = kt_arg(1);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "timeout 120 " QEMU " " ARGS " '%s' 2>/dev/null", kernel);
	FILE *p = popen(cmd, "r");
	TEST_ASSERT(p, "popen");
	size_t n = fread(plain, 1, sizeof(plain) - 1, p);
	plain[n] = 0;
	int st = pclose(p);
	TEST_ASSERT(WIFEXITED(st), "qemu alone");
	int want = WEXITSTATUS(st);
	TEST_EQ_U64(15, want, "qemu alone: isa-debug-exit 7 gives status 15");

	const char *trace = tmp("q.xtr");
	int rc = kt_exitrace_within(180, "record -o %s -- " QEMU " " ARGS " %s", trace, kernel);
	TEST_EQ_U64(want, rc, "QEMU's verdict under exitrace\nstderr: %s", kt_err());
	TEST_EQ_STR(plain, kt_out(), "QEMU's output under exitrace");
	TEST_CONTAINS(kt_err(), "1 trace written", "one VM, one trace");

	struct kt_trace *t = kt_load(trace);
	TEST_ASSERT(!t->truncated, "complete");
	uint64_t first = kt_step_io_out(t, 0x84, 1);
	TEST_ASSERT(first, "the kernel's OUT to 0x84 is in the trace");
	uint64_t dexit = kt_step_io_out(t, 0xf4, first);
	TEST_ASSERT(dexit > first, "then its isa-debug-exit");
	TEST_EQ_U64(7, t->steps[dexit].io_value & 0xff, "with 7");
	TEST_EQ_U64(0, kt_step_io_out(t, 0xf4, dexit + 1), "once");
	kt_free(t);

	/* --step-at-port 0x84: the firmware runs free, the kernel is single-stepped from its first OUT */
	rc = kt_exitrace_within(180, "record --step-at-port 0x84 -o %s -- " QEMU " " ARGS " %s", trace, kernel);
	TEST_EQ_U64(want, rc, "--step-at-port: QEMU's verdict\nstderr: %s", kt_err());
	TEST_EQ_STR(plain, kt_out(), "--step-at-port: QEMU's output");
	t = kt_load(trace);
	first = kt_step_io_out(t, 0x84, 1);
	dexit = kt_step_io_out(t, 0xf4, first);
	TEST_ASSERT(first && dexit > first, "--step-at-port: the OUT to 0x84, then isa-debug-exit");
	TEST_EQ_U64(0, kt_step_with_exit(t, KVM_EXIT_DEBUG, 1) < first, "--step-at-port: no step before the port");
	size_t stepped = 0;
	for (uint64_t i = first; i < dexit; i++)
		stepped += t->steps[i].exit_reason == KVM_EXIT_DEBUG;
	TEST_ASSERT(stepped > 20, "--step-at-port: the kernel stepped from there (%zu DEBUG steps)", stepped);
	kt_free(t);
	printf("ok\n");
	return 0;
}
