// SPDX-License-Identifier: MIT
/*
 * Output that runs out of room: the recording ends with a clear error
 * naming the cause and the number of steps kept, exit status 2, and what
 * was written is a valid (truncated) trace.  Two ways to run out: a file
 * size limit (RLIMIT_FSIZE, always possible) and a full tmpfs (as root);
 * and a pipe whose reader goes away.  Each with the writer thread and
 * without it (--one-thread) where the two could differ.  And the other
 * commands that write: replay -o, export -o and dump > FILE at a file-size
 * limit, replay -o into a pipe whose reader goes away.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt.h"

static void check_prefix(const char *path, const char *stderr_text, const char *cause)
{
	TEST_CONTAINS(stderr_text, cause, "the error names the cause");
	TEST_CONTAINS(stderr_text, "steps kept", "and how many steps were kept");
	struct xt_reader *r;
	struct xt_error err;
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "the prefix opens: %s", err.msg);
	TEST_ASSERT(xt_reader_truncated(r), "and says it is truncated");
	uint64_t steps = 0;
	TEST_ASSERT(xt_reader_count_steps(r, &steps) == 0 && steps > 0,
		    "with the steps of its complete frames: %s", xt_reader_error(r)->msg);
	/* the number in the message is the number in the file */
	char want[64];
	snprintf(want, sizeof(want), "%" PRIu64 " steps kept", steps);
	TEST_CONTAINS(stderr_text, want, "the count is right");
	xt_reader_close(r);
}

/*
 * exitrace with args (NULL-terminated) under a file-size limit, stdout to
 * out (or left alone); its exit status, stderr into err_text.  A death by
 * SIGXFSZ fails the test: replay -o, export and dump > FILE died so,
 * without a word, before main() ignored it.
 */
static int run_limited(const char *const *args, const char *out, rlim_t limit, char *err_text, size_t n)
{
	char errp[600];
	snprintf(errp, sizeof(errp), "%s", kt_tmp("limited.stderr"));
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct rlimit rl = { limit, limit };
		setrlimit(RLIMIT_FSIZE, &rl);
		FILE *f = freopen(errp, "w", stderr);
		if (out)
			f = freopen(out, "w", stdout);
		(void)f;
		execv(kt_exitrace_path(), (char *const *)args);
		_exit(127);
	}
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	FILE *f = fopen(errp, "r");
	size_t k = f ? fread(err_text, 1, n - 1, f) : 0;
	err_text[k] = 0;
	if (f)
		fclose(f);
	TEST_ASSERT(WIFEXITED(status), "%s: no death by a signal: status 0x%x", args[1], status);
	return WEXITSTATUS(status);
}

/* flag: an extra option for record (or NULL); the default action of SIGXFSZ is left to record */
static int record_limited(const char *spin, const char *path, rlim_t limit, const char *flag,
			  char *err_text, size_t n)
{
	const char *args[] = { "exitrace", "record", spin, "--load", "0x100000", "-o", path,
			       "--max-steps", "3000000", flag, NULL };
	return run_limited(args, NULL, limit, err_text, n);
}

/* The other commands that write files, at a file-size limit: exit 2 with the cause, the prefix kept. */
static void others_limited(const char *spin)
{
	char trace[600], text[4096];
	snprintf(trace, sizeof(trace), "%s", kt_record("for-replay.xtr", 0, "%s --load 0x100000 --max-steps 200000", spin));
	const char *rep = kt_tmp("replayed.xtr");
	const char *replay[] = { "exitrace", "replay", trace, "-o", rep, "--quiet", NULL };
	/* 8 KiB: the header (6 KiB) and a frame or two of this well-compressed trace (11 KiB whole) */
	TEST_EQ_U64(2, run_limited(replay, NULL, 8 * 1024, text, sizeof(text)), "replay -o; stderr: %s", text);
	check_prefix(rep, text, "File too large");
	const char *csv = kt_tmp("export.csv");
	const char *export[] = { "exitrace", "export", trace, "--format", "csv", "-o", csv, NULL };
	TEST_EQ_U64(2, run_limited(export, NULL, 24 * 1024, text, sizeof(text)), "export -o; stderr: %s", text);
	TEST_CONTAINS(text, "writing the output failed", "export says so");
	const char *dump[] = { "exitrace", "dump", trace, NULL };
	TEST_EQ_U64(2, run_limited(dump, kt_tmp("dump.txt"), 24 * 1024, text, sizeof(text)), "dump > FILE; stderr: %s",
		    text);
	TEST_CONTAINS(text, "writing the output failed", "dump says so");
	/* replay -o into a pipe whose reader goes away: EPIPE, not death by SIGPIPE */
	int p[2];
	TEST_EQ_U64(0, pipe(p), "pipe");
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		FILE *f = freopen(kt_tmp("replay-pipe.stderr"), "w", stderr);
		(void)f;
		execl(kt_exitrace_path(), "exitrace", "replay", trace, "-o", "/dev/stdout", "--quiet", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[4096];
	TEST_ASSERT(read(p[0], buf, sizeof(buf)) > 0, "the replayed trace starts coming");
	close(p[0]);
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2, "replay -o a closed pipe: exit 2, status 0x%x",
		    status);
}

/* Record into a pipe whose reader closes it after the first bytes. */
static void pipe_closed(const char *spin, const char *flag)
{
	int p[2];
	TEST_EQ_U64(0, pipe(p), "pipe");
	char errp[600];
	snprintf(errp, sizeof(errp), "%s", kt_tmp("pipe.stderr"));
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		FILE *f = freopen(errp, "w", stderr);
		(void)f;
		execl(kt_exitrace_path(), "exitrace", "record", spin, "--load", "0x100000", "-o", "/dev/stdout",
		      "--max-steps", "3000000", "--quiet", flag, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[4096];
	TEST_ASSERT(read(p[0], buf, sizeof(buf)) > 0, "the trace starts coming");
	close(p[0]);
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	char text[4096];
	FILE *f = fopen(errp, "r");
	size_t k = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[k] = 0;
	if (f)
		fclose(f);
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: exit 2, status 0x%x; stderr: %s",
		    flag ? flag : "threaded", status, text);
	TEST_CONTAINS(text, "Broken pipe", "the error names the cause");
	TEST_CONTAINS(text, "steps kept", "and how many steps were kept");
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *spin = kt_arg(1);
	char text[4096];

	/* a file-size limit: record ignores SIGXFSZ, so write() fails with EFBIG on either thread */
	const char *path = kt_tmp("limited.xtr");
	int status = record_limited(spin, path, 24 * 1024, NULL, text, sizeof(text));
	TEST_EQ_U64(2, status, "a full file is an error; stderr: %s", text);
	check_prefix(path, text, "File too large");
	status = record_limited(spin, path, 24 * 1024, "--one-thread", text, sizeof(text));
	TEST_EQ_U64(2, status, "the same with --one-thread; stderr: %s", text);
	check_prefix(path, text, "File too large");

	/* a reader that goes away: EPIPE, not death by SIGPIPE, on either thread */
	pipe_closed(spin, NULL);
	pipe_closed(spin, "--one-thread");
	others_limited(spin);

	/* a tmpfs of 64 KiB really runs out of space */
	const char *dir = kt_tmp("tiny");
	mkdir(dir, 0700);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
		printf("no tmpfs (%s): the ENOSPC case is not run here\n", strerror(errno));
		return 0;
	}
	char full[700];
	snprintf(full, sizeof(full), "%s/full.xtr", dir);
	status = record_limited(spin, full, RLIM_INFINITY, NULL, text, sizeof(text));
	int ok_status = status;
	char copy[700];
	snprintf(copy, sizeof(copy), "%s", kt_tmp("full-copy.xtr"));
	char cmd[1500];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", full, copy);
	TEST_EQ_U64(0, system(cmd), "copy the prefix out");
	umount2(dir, MNT_DETACH);
	TEST_EQ_U64(2, ok_status, "a full disk is an error; stderr: %s", text);
	check_prefix(copy, text, "No space left on device");
	return 0;
}
