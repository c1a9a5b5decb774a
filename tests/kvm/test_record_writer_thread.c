// SPDX-License-Identifier: MIT
/*
 * By default the recorder hands steps to a writer thread; --one-thread
 * writes them between steps.  Both must give the same trace of a
 * deterministic guest: every step, exit payload and event, console output
 * included.  The long runs go round the thread's ring many times.  The
 * writer thread is there while recording by default, and not with
 * --one-thread or when the recorder may use only one CPU.  (Guests
 * that read RDTSC differ between any two runs; scenario-replay replays
 * those, recorded with the thread.)
 */
#define _GNU_SOURCE	/* sched_getaffinity, CPU_COUNT */
#include <dirent.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt.h"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	TEST_ASSERT(f, "open %s", path);
	char *buf = malloc(1 << 20);
	TEST_ASSERT(buf, "memory");
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* The summary of the record just run says how long a step spent outside KVM_RUN (sampled). */
static void own_time_reported(const char *name)
{
	const char *own = strstr(kt_err(), " ns of each outside KVM_RUN");
	TEST_ASSERT(own, "%s: the summary has the time outside KVM_RUN: %s", name, kt_err());
	while (own > kt_err() && own[-1] >= '0' && own[-1] <= '9')
		own--;
	TEST_ASSERT(atol(own) > 0 && atol(own) < 1000000, "%s: %ld ns of each step outside KVM_RUN", name,
		    atol(own));
}

/* exit_reason: an exit the guest must make, so that its payload is compared too (0: none) */
static void same_both_ways(const char *name, int status, const char *args, uint32_t exit_reason)
{
	char a[64], b[64];
	snprintf(a, sizeof(a), "%s-thread.xtr", name);
	snprintf(b, sizeof(b), "%s-one.xtr", name);
	char pa[4096], pb[4096];
	snprintf(pa, sizeof(pa), "%s", kt_record(a, status, "%s", args));
	own_time_reported(name);
	snprintf(pb, sizeof(pb), "%s", kt_record(b, status, "%s --one-thread", args));
	own_time_reported(name);
	struct kt_trace *ta = kt_load(pa), *tb = kt_load(pb);
	TEST_ASSERT(!exit_reason || kt_step_with_exit(ta, exit_reason, 1), "%s: the guest made a %s exit", name,
		    xt_exit_reason_name(exit_reason));
	TEST_ASSERT(!ta->truncated && !tb->truncated, "%s: both traces complete", name);
	TEST_EQ_U64(ta->nsteps, tb->nsteps, "%s: steps", name);
	for (uint32_t kind = 1; kind < XT_EV_KIND_LIMIT; kind++)
		TEST_EQ_U64(kt_count_events(ta, kind, -1), kt_count_events(tb, kind, -1), "%s: %s events", name,
			    xt_event_kind_name(kind));
	TEST_EQ_U64(0, kt_exitrace("diff %s %s", pa, pb), "%s: diff says identical: %s%s", name, kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "identical", "%s: diff", name);
	/* what the guest printed, as --console saved it */
	char ca[4200], cb[4200];
	snprintf(ca, sizeof(ca), "%s.console", pa);
	snprintf(cb, sizeof(cb), "%s.console", pb);
	size_t na, nb;
	char *xa = read_all(ca, &na), *xb = read_all(cb, &nb);
	TEST_ASSERT(na == nb && !memcmp(xa, xb, na), "%s: the same console output (%zu, %zu bytes)", name, na, nb);
	free(xa);
	free(xb);
	kt_free(ta);
	kt_free(tb);
}

/* How many CPUs may this process run on? */
static int cpus_allowed(void)
{
	cpu_set_t set;
	TEST_EQ_U64(0, sched_getaffinity(0, sizeof(set), &set), "sched_getaffinity");
	return CPU_COUNT(&set);
}

/*
 * The writer thread of a recording while it runs (want: 1 or 0): there
 * where the recorder may use two CPUs and was not told --one-thread.  one_cpu pins the recorder to a single CPU (as taskset -c
 * would).  Ended with SIGINT, the recording must still be complete.
 */
static void threads_while_recording(const char *spin, bool one_cpu, const char *flag, int want)
{
	const char *out = kt_tmp("threads.xtr");
	unlink(out);
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		if (one_cpu) {
			cpu_set_t set;
			sched_getaffinity(0, sizeof(set), &set);
			int first = 0;
			while (!CPU_ISSET(first, &set))
				first++;
			CPU_ZERO(&set);
			CPU_SET(first, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		execl(kt_exitrace_path(), "exitrace", "record", spin, "--load", "0x100000", "-o", out,
		      "--timeout", "60", flag, (char *)NULL);
		_exit(127);
	}
	/* the header is written before the writer thread starts; frames follow every 100 ms */
	struct stat st = { 0 };
	for (int i = 0; i < 500 && (stat(out, &st) || st.st_size < 8192); i++)
		usleep(10000);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	int n = 0;
	DIR *d = opendir(dir);
	TEST_ASSERT(d, "open %s", dir);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		/* only the writer is named so: KVM may add threads of its own (NX huge page recovery) */
		char path[400], comm[32] = "";
		snprintf(path, sizeof(path), "%s/%s/comm", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "xt-writer\n"))
			n++;
		if (f)
			fclose(f);
	}
	closedir(d);
	TEST_ASSERT(kill(pid, SIGINT) == 0, "kill");
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGINT ends it (status 0x%x)", status);
	TEST_EQ_U64(want, n, "writer threads recording on %s CPU%s %s", one_cpu ? "one" : "all its",
		    one_cpu ? "" : "s", flag ? flag : "");
	struct kt_trace *t = kt_load(out);
	TEST_ASSERT(!t->truncated && t->nsteps > 0, "a complete trace of %llu steps",
		    (unsigned long long)t->nsteps);
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	if (cpus_allowed() < 2)
		printf("only one CPU allowed: both recordings below write on the stepping thread\n");
	same_both_ways("sti-irq", 3, "--scenario sti-irq", 0);
	same_both_ways("exceptions", 1, "--scenario exceptions", 0);
	same_both_ways("sti-irq-noidt", 0, "--scenario sti-irq-noidt", KVM_EXIT_SHUTDOWN);
	char args[4096];
	snprintf(args, sizeof(args), "%s --load 0x100000 --max-steps 40000", kt_arg(1));
	same_both_ways("memio", 0, args, KVM_EXIT_IO);
	snprintf(args, sizeof(args), "%s --load 0x100000 --max-steps 60000", kt_arg(2));
	same_both_ways("spin", 0, args, 0);
	snprintf(args, sizeof(args), "%s --load 0x100000", kt_arg(3));
	same_both_ways("mmio", 1, args, KVM_EXIT_MMIO);

	threads_while_recording(kt_arg(2), false, NULL, cpus_allowed() > 1);
	threads_while_recording(kt_arg(2), false, "--one-thread", 0);
	threads_while_recording(kt_arg(2), true, NULL, 0);
	return 0;
}
