// SPDX-License-Identifier: MIT
/*
 * A recorder killed with SIGKILL at 24 moments of a long recording: every
 * trace opens, says it is truncated, and holds exactly the steps of its
 * complete frames, each equal to the same step of an uninterrupted
 * recording of the same deterministic guest.  The recorder ends a frame at
 * least every 100 ms, so a kill loses at most the last 100 ms.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#define KILLS 24

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *spin = kt_arg(1);

	/* the reference: the same guest, not interrupted */
	const char *ref_path = kt_tmp("ref.xtr");
	TEST_EQ_U64(0, kt_exitrace("record %s --load 0x100000 -o %s --max-steps 150000 --quiet", spin, ref_path),
		    "reference recording; stderr: %s", kt_err());
	struct xt_reader *ref;
	struct xt_error err;
	TEST_ASSERT(xt_reader_open(&ref, ref_path, &err) == 0, "%s", err.msg);

	srand((unsigned)time(NULL));
	uint64_t total_recovered = 0;
	for (int k = 0; k < KILLS; k++) {
		char name[32];
		snprintf(name, sizeof(name), "killed-%d.xtr", k);
		const char *path = kt_tmp(name);
		pid_t pid = fork();
		TEST_ASSERT(pid >= 0, "fork");
		if (pid == 0) {
			execl(kt_exitrace_path(), "exitrace", "record", spin, "--load", "0x100000", "-o", path,
			      "--quiet", "--timeout", "30", (char *)NULL);
			_exit(127);
		}
		long ms = 30 + rand() % 600;
		sleep_ms(ms);
		TEST_ASSERT(kill(pid, SIGKILL) == 0, "kill");
		int status;
		TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
		TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed");

		struct xt_reader *r;
		int rc = xt_reader_open(&r, path, &err);
		if (rc < 0) {
			/* killed before the header frame was whole: the file is a prefix of one */
			TEST_ASSERT(strstr(err.msg, "is empty") || strstr(err.msg, "cut short") ||
				    strstr(err.msg, "cannot open"),
				    "kill %d after %ld ms: only an unfinished header may fail: %s", k, ms, err.msg);
			continue;
		}
		TEST_ASSERT(xt_reader_truncated(r), "kill %d: says truncated", k);
		uint64_t steps;
		TEST_ASSERT(xt_reader_count_steps(r, &steps) == 0, "kill %d: %s", k, xt_reader_error(r)->msg);
		size_t nframes;
		xt_reader_index(r, &nframes);
		/* that the steps kept are exactly the right ones is the comparison with the reference below */
		if (ms > 300)
			TEST_ASSERT(steps > 0, "kill %d after %ld ms: frames reach the disk within 100 ms", k, ms);

		/* step by step equal to the reference */
		TEST_EQ_U64(0, xt_reader_seek(ref, 1), "rewind the reference");
		struct xt_record a = XT_RECORD_INIT, b = XT_RECORD_INIT;
		uint64_t compared = 0;
		while (xt_reader_next(r, &a) > 0) {
			if (a.type != XT_REC_STEP)
				continue;
			do {
				TEST_EQ_U64(1, xt_reader_next(ref, &b), "the reference has step %" PRIu64, a.step);
			} while (b.type != XT_REC_STEP);
			TEST_EQ_U64(b.step, a.step, "same step");
			TEST_EQ_U64(b.state->regs.rip, a.state->regs.rip, "kill %d, step %" PRIu64 ": rip", k, a.step);
			TEST_EQ_U64(b.state->regs.rax, a.state->regs.rax, "kill %d, step %" PRIu64 ": rax", k, a.step);
			TEST_EQ_U64(b.state->regs.rcx, a.state->regs.rcx, "kill %d, step %" PRIu64 ": rcx", k, a.step);
			TEST_EQ_U64(b.state->exit.reason, a.state->exit.reason, "exit reason");
			if (++compared >= 150000)
				break;	/* the reference's length */
		}
		total_recovered += (uint64_t)steps;
		printf("kill %2d after %3ld ms: %6" PRIu64 " steps in %zu frames, %" PRIu64 " compared\n", k, ms,
		       steps, nframes, compared);
		xt_reader_close(r);
		/* dump and info read it, say truncated, and succeed */
		TEST_EQ_U64(0, kt_exitrace("info %s", path), "info on a truncated trace");
		TEST_CONTAINS(kt_out(), "TRUNCATED", "info says so");
	}
	xt_reader_close(ref);
	TEST_ASSERT(total_recovered > 0, "recovered something");
	return 0;
}
