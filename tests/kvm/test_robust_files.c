// SPDX-License-Identifier: MIT
/*
 * Files a hostile neighbour on the same machine can put in a recorder's
 * way, through the exitrace binary with real recordings:
 *
 * - record -o, --console and replay -o on a FIFO no process reads: exit 2
 *   at once (a run that blocks fails the test by its alarm);
 * - the same on a symbolic link planted in a sticky, world-writable
 *   directory: exit 2, the link's target untouched;
 * - two recorders writing the same -o: the second is refused before it
 *   truncates anything, the first's trace is complete and dump reads it;
 * - a trace whose end detail holds a newline and a TAP line: check and
 *   replay print it escaped, and check's output has no forged "ok" line;
 * - record --ktrace after a recorder killed by SIGKILL left its tracefs
 *   instance: the stale instance is removed and stderr says so (skipped
 *   where tracefs cannot be written).
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"
#include "kt_edit.h"

#define QUICK 30	/* seconds for what must end at once */
#define FORGED_DETAIL "done\nok 2 - forged.xtr\x1b[2J"

static off_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/*
 * record -o, record --console and replay -o of trace on path: each exits 2
 * at once, its stderr saying why; what names path in a failure.
 */
static void refused_outputs(const char *trace, const char *path, const char *what, const char *why)
{
	TEST_EQ_U64(2, kt_exitrace_within(QUICK, "record --scenario sti-irq -o %s --quiet", path), "record -o %s", what);
	TEST_CONTAINS(kt_err(), why, "says why");
	TEST_EQ_U64(2, kt_exitrace_within(QUICK, "record --scenario sti-irq -o %s --console %s --quiet",
					  kt_tmp("c.xtr"), path), "--console %s", what);
	TEST_CONTAINS(kt_err(), why, "says why");
	TEST_EQ_U64(2, kt_exitrace_within(QUICK, "replay %s -o %s --quiet", trace, path), "replay -o %s", what);
	TEST_CONTAINS(kt_err(), why, "says why");
}

static void fifo_outputs(const char *trace)
{
	const char *fifo = kt_tmp("out.fifo");
	TEST_ASSERT(mkfifo(fifo, 0600) == 0, "mkfifo");
	refused_outputs(trace, fifo, "FIFO", "a FIFO that no process reads");
}

static void planted_links(const char *trace)
{
	const char *sticky = kt_tmp("sticky"), *target = kt_tmp("victim");
	TEST_ASSERT(mkdir(sticky, 0777) == 0 && chmod(sticky, 01777) == 0, "sticky dir");
	FILE *f = fopen(target, "w");
	TEST_ASSERT(f && fputs("precious", f) >= 0 && fclose(f) == 0, "the target");
	const char *link = kt_tmp("sticky/planted.xtr");
	TEST_ASSERT(symlink(target, link) == 0, "symlink");

	refused_outputs(trace, link, "LINK", "symbolic link in a directory others can write to");
	TEST_EQ_U64(8, size_of(target), "the link's target is untouched");
	/* the console on /dev/null: a device, written and never truncated */
	TEST_EQ_U64(3, kt_exitrace_within(QUICK, "record --scenario sti-irq -o %s --console /dev/null --quiet",
					  kt_tmp("null-console.xtr")), "--console /dev/null: %s", kt_err());
}

static void two_writers(const char *spin)
{
	const char *out = kt_tmp("shared.xtr");
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		alarm(120);
		execl(kt_exitrace_path(), "exitrace", "record", spin, "--load", "0x100000", "-o", out, "--quiet",
		      "--timeout", "60", (char *)NULL);
		_exit(127);
	}
	/* the first recorder is writing once its header is on disk */
	for (int i = 0; i < 2000 && size_of(out) <= 0; i++)
		sleep_ms(10);
	TEST_ASSERT(size_of(out) > 0, "the first recorder started");
	TEST_EQ_U64(2, kt_exitrace_within(QUICK, "record --scenario sti-irq -o %s --quiet", out),
		    "a second recorder on the same -o");
	TEST_CONTAINS(kt_err(), "is being written by another exitrace", "says why");
	TEST_ASSERT(size_of(out) > 0, "and truncated nothing");
	sleep_ms(200);
	TEST_ASSERT(kill(pid, SIGINT) == 0, "stop the first");
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "the first ends (status 0x%x)", status);
	/* its trace is its own: complete, and every record reads */
	TEST_EQ_U64(0, kt_exitrace("info %s", out), "info: %s", kt_err());
	TEST_CONTAINS(kt_out(), "status:    complete", "the first recorder's trace is complete");
	TEST_EQ_U64(0, kt_exitrace("stat %s", out), "every record reads: %s", kt_err());
	/* and once it is done, the file is free for the next */
	TEST_EQ_U64(3, kt_exitrace_within(QUICK, "record --scenario sti-irq -o %s --quiet", out), "after: %s",
		    kt_err());
}

static bool forge_detail(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)step, (void)s, (void)ev, (void)ctx;
	e->end_detail = FORGED_DETAIL;
	return true;
}

static void forged_detail(const char *trace)
{
	const char *d = kt_tmp("archive");
	TEST_ASSERT(mkdir(d, 0700) == 0, "mkdir");
	const char *forged = kt_tmp("archive/forged-detail.xtr");
	kt_rewrite(trace, forged, NULL, forge_detail, NULL);

	TEST_EQ_U64(0, kt_exitrace_within(120, "check %s", d), "check: %s", kt_err());
	TEST_ASSERT(!strstr(kt_out(), "\nok 2"), "no forged TAP line:\n%s", kt_out());
	TEST_ASSERT(!strchr(kt_out(), '\x1b'), "no escape sequence:\n%s", kt_out());
	TEST_CONTAINS(kt_out(), "1..1\nok 1 - forged-detail.xtr", "the one real line");
	TEST_CONTAINS(kt_out(), "(done\\nok 2 - forged.xtr\\x1b[2J)", "the detail shown escaped");

	TEST_EQ_U64(0, kt_exitrace_within(120, "replay %s --quiet", forged), "replay: %s", kt_err());
	TEST_ASSERT(!strchr(kt_out(), '\x1b') && !strstr(kt_out(), "\nok 2"), "replay: escaped:\n%s", kt_out());
	TEST_CONTAINS(kt_out(), "(done\\nok 2 - forged.xtr\\x1b[2J)", "replay shows it escaped");
}

/* A tracefs instances directory we may write to, or NULL. */
static const char *instances_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing/instances",
					    "/sys/kernel/debug/tracing/instances" };
	for (size_t i = 0; i < 2; i++)
		if (access(dirs[i], W_OK) == 0)
			return dirs[i];
	return NULL;
}

static void stale_ktrace(void)
{
	const char *inst = instances_dir();
	if (!inst) {
		fprintf(stderr, "tracefs instances not writable here: the stale --ktrace instance is not tested\n");
		return;
	}
	/* a pid that is gone: a child that has exited and been reaped */
	pid_t dead = fork();
	TEST_ASSERT(dead >= 0, "fork");
	if (dead == 0)
		_exit(0);
	TEST_ASSERT(waitpid(dead, NULL, 0) == dead, "waitpid");
	char path[256], file[320];
	snprintf(path, sizeof(path), "%s/exitrace-%d", inst, (int)dead);
	if (mkdir(path, 0755) < 0) {
		fprintf(stderr, "cannot create %s (%s): the stale --ktrace instance is not tested\n", path,
			strerror(errno));
		return;
	}
	/* as a recorder killed mid-run leaves it: tracing, a kvm event on */
	snprintf(file, sizeof(file), "%s/events/kvm/kvm_inj_virq/enable", path);
	FILE *f = fopen(file, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	int rc = kt_exitrace_within(120, "record --scenario sti-irq -o %s --ktrace --quiet", kt_tmp("kt.xtr"));
	if (rc == 2 && strstr(kt_err(), "built without libtracefs")) {
		rmdir(path);
		fprintf(stderr, "built without libtracefs: the stale --ktrace instance is not tested\n");
		return;
	}
	TEST_EQ_U64(3, rc, "record --ktrace: %s", kt_err());
	char name[64];
	snprintf(name, sizeof(name), "exitrace-%d", (int)dead);
	TEST_CONTAINS(kt_err(), "--ktrace: removed 1 stale trace instance of exitrace processes no longer running: ",
		      "says so");
	TEST_CONTAINS(kt_err(), name, "names it");
	TEST_ASSERT(access(path, F_OK) < 0, "%s is gone", path);
	/* its own instance is gone too when it ends */
	snprintf(path, sizeof(path), "%s/exitrace-%d", inst, (int)getpid());
	TEST_ASSERT(access(path, F_OK) < 0, "no instance of this test's pid");
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *spin = kt_arg(1);
	const char *trace = kt_record("small.xtr", 0, "%s --load 0x100000 --max-steps 3000", spin);
	fifo_outputs(trace);
	planted_links(trace);
	two_writers(spin);
	forged_detail(trace);
	stale_ktrace();
	printf("ok\n");
	return 0;
}
