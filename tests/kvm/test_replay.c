// SPDX-License-Identifier: MIT
/*
 * Replay on the host that recorded: recordings replay identically, with
 * their inputs fed back (RDTSC and RDRAND results, injections, read data);
 * the end of a recording is where replay stops, and says so; -o writes
 * the replay as a trace of its own that holds the same steps and events.
 *
 * Guests: long_exits, rand_loop, irq_wait, spin (tests/kvm/guests).
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

static void replay_identical(const char *path, size_t steps, const char *extra)
{
	int status = kt_exitrace("replay %s %s", path, extra);
	TEST_EQ_U64(0, status, "replay %s: stdout: %s\nstderr: %s", path, kt_out(), kt_err());
	char want[96];
	snprintf(want, sizeof(want), "identical: %zu of %zu steps replayed the same", steps, steps);
	TEST_CONTAINS(kt_out(), want, "replay %s", path);
	/* and, as record's summary does, how long a step spent outside KVM_RUN (sampled from step 1) */
	const char *own = strstr(kt_out(), " ns of each outside KVM_RUN");
	TEST_ASSERT(steps < 2 || own, "replay %s says its time outside KVM_RUN: %s", path, kt_out());
	while (own && own > kt_out() && own[-1] >= '0' && own[-1] <= '9')
		own--;
	TEST_ASSERT(!own || atol(own) > 0, "replay %s: %ld ns of each step outside KVM_RUN", path, atol(own));
}

static void rdtsc_rdrand(const char *out)
{
	struct kt_trace *t = kt_load(out);
	size_t rdtsc = 0, rdrand = 0;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct xt_event *ev = &t->events[i];
		if (ev->kind != XT_EV_INPUT)
			continue;
		if (ev->input.what == XT_INPUT_RDTSC) {
			rdtsc++;
			TEST_EQ_U64(2, ev->input.n, "rdtsc gives rax and rdx");
			TEST_EQ_U64(t->steps[ev->step].regs.rax, ev->input.v[0].value, "rax after the step");
		} else if (ev->input.what == XT_INPUT_RDRAND) {
			rdrand++;
			TEST_EQ_U64(XT_F_RAX, ev->input.v[0].field, "rdrand %%rax");
			TEST_EQ_U64(t->steps[ev->step].regs.rax, ev->input.v[0].value, "its value");
			TEST_EQ_U64(XT_F_RFLAGS, ev->input.v[1].field, "and CF in rflags");
			TEST_ASSERT(ev->input.v[1].value & 1, "CF=1: a value was available");
			/*
			 * Host deviation (kvm_pvm): RDRAND runs natively and the
			 * single-step trap comes after the next instruction, so the
			 * step runs rdrand (4 bytes) and setc (3 bytes).  The SDM
			 * would end the step after RDRAND.
			 */
			TEST_EQ_U64(t->steps[ev->step - 1].regs.rip + 7, t->steps[ev->step].regs.rip,
				    "the RDRAND step also ran setc");
		}
	}
	TEST_EQ_U64(24, rdtsc, "one rdtsc per loop iteration");
	TEST_EQ_U64(24, rdrand, "one rdrand per loop iteration");
	replay_identical(out, t->nsteps, "");
	TEST_CONTAINS(kt_out(), "48 instruction results", "every result was fed back");
	kt_free(t);
}

/* The replay written with -o holds what the recording holds: steps, console, arrivals. */
static void same_trace(const struct kt_trace *a, const struct kt_trace *b)
{
	TEST_EQ_U64(a->nsteps, b->nsteps, "as many steps");
	for (size_t s = 1; s <= a->nsteps; s++) {
		TEST_EQ_U64(a->steps[s].regs.rip, b->steps[s].regs.rip, "rip at step %zu", s);
		TEST_EQ_U64(a->steps[s].exit_reason, b->steps[s].exit_reason, "exit at step %zu", s);
		TEST_EQ_U64(a->steps[s].regs.rax, b->steps[s].regs.rax, "rax at step %zu", s);
	}
	TEST_EQ_STR(a->console, b->console, "the same console output");
	static const uint32_t kinds[] = { XT_EV_IRQ_INJECT, XT_EV_IRQ_TAKEN, XT_EV_INPUT };
	for (size_t k = 0; k < 3; k++) {
		size_t n = kt_count_events(a, kinds[k], -1);
		TEST_EQ_U64(n, kt_count_events(b, kinds[k], -1), "%s events", xt_event_kind_name(kinds[k]));
		for (size_t i = 0; i < n; i++)
			TEST_EQ_U64(kt_event(a, kinds[k], -1, i)->step, kt_event(b, kinds[k], -1, i)->step,
				    "%s event %zu at the same step", xt_event_kind_name(kinds[k]), i);
	}
	TEST_EQ_U64(a->end_reason, b->end_reason, "the same end");
}

static void output_trace_of(const char *out, const char *name)
{
	char rep[64];
	snprintf(rep, sizeof(rep), "%s-replayed.xtr", name);
	const char *new = kt_tmp(rep);
	struct kt_trace *a = kt_load(out);
	replay_identical(out, a->nsteps, "");
	TEST_EQ_U64(0, kt_exitrace("replay %s -o %s", out, new), "replay -o; stderr: %s", kt_err());
	TEST_CONTAINS(kt_out(), "new trace: ", "says where the new trace is");
	struct kt_trace *b = kt_load(new);
	TEST_ASSERT(!b->truncated, "the new trace is complete");
	same_trace(a, b);
	/* the new header names this host; it replays the same again */
	struct xt_reader *r;
	struct xt_error err;
	TEST_ASSERT(xt_reader_open(&r, new, &err) == 0, "%s", err.msg);
	struct utsname u;
	uname(&u);
	TEST_EQ_STR(u.release, xt_reader_header(r)->host.kernel_release, "this host's kernel");
	const char *replay_of = xt_header_extra(xt_reader_header(r), "replay-of");
	TEST_ASSERT(replay_of && !strcmp(replay_of, out), "the header says what it replays");
	xt_reader_close(r);
	replay_identical(new, a->nsteps, "");
	kt_free(a);
	kt_free(b);
}

static void output_trace(const char *guest, const char *name, const char *extra, int want_status)
{
	char rec[64];
	snprintf(rec, sizeof(rec), "%s.xtr", name);
	output_trace_of(kt_record(rec, want_status, "%s --load 0x100000 %s", guest, extra), name);
}

/* Ctrl-C stops a replay cleanly, with status 2 and how far it got. */
static void interrupted(const char *spin)
{
	const char *trace = kt_record("long-spin.xtr", 0, "%s --load 0x100000 --max-steps 200000", spin);
	const char *log = kt_tmp("sigint.out");
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execl(kt_exitrace_path(), "exitrace", "replay", trace, (char *)NULL);
		_exit(127);
	}
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	TEST_ASSERT(kill(pid, SIGINT) == 0, "kill");
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status), "exited, not killed: 0x%x", status);
	TEST_EQ_U64(2, WEXITSTATUS(status), "a stopped replay is status 2");
	char out[512] = "";
	int fd = open(log, O_RDONLY);
	TEST_ASSERT(fd >= 0 && read(fd, out, sizeof(out) - 1) > 0, "read %s", log);
	close(fd);
	TEST_CONTAINS(out, "stopped by signal 2 after ", "says it was stopped");
	TEST_CONTAINS(out, " of 200000 steps, all identical so far", "and how far it got");
}

/*
 * A trace whose trailer was lost is complete (spec 9): the reader meets
 * its footer frame while counting.  Replay must say so, as info does,
 * rather than call it truncated.
 */
static void lost_trailer(const char *complete)
{
	const char *cut = kt_tmp("no-trailer.xtr");
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "head -c -24 %s > %s", complete, cut);
	TEST_EQ_U64(0, system(cmd), "%s", cmd);
	replay_identical(cut, 2000, "");
	TEST_CONTAINS(kt_out(), "the recording ended there: max-steps", "the footer frame was found");
	TEST_ASSERT(!strstr(kt_out(), "truncated"), "not called truncated: %s", kt_out());
	TEST_EQ_U64(0, kt_exitrace("info %s", cut), "info: %s", kt_err());
	TEST_CONTAINS(kt_out(), "status:    complete", "info agrees");
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *long_exits = kt_arg(1), *rand_loop = kt_arg(2), *irq_wait = kt_arg(3), *spin = kt_arg(4);

	/* one recording of rand_loop serves both the input checks and the -o checks */
	char rand[600];	/* kt_tmp() reuses its buffers */
	snprintf(rand, sizeof(rand), "%s", kt_record("rand.xtr", KT_STATUS_VARIES, "%s --load 0x100000", rand_loop));
	rdtsc_rdrand(rand);
	output_trace_of(rand, "rand");

	/* the guests' isa-debug-exit status: long_exits gives 42, irq_wait the IRQs it handled */
	output_trace(long_exits, "long", "", (42 << 1) | 1);
	output_trace(irq_wait, "irq-step", "--irq 0x30@30", (1 << 1) | 1);
	output_trace(irq_wait, "irq-port", "--irq 0x30@io:0x80", (40 << 1) | 1);
	output_trace(irq_wait, "irq-nochip", "--irqchip none --irq 0x30@5", (1 << 1) | 1);

	/* replay stops where the recording stopped, and says why */
	const char *max = kt_record("max.xtr", 0, "%s --load 0x100000 --max-steps 2000", spin);
	replay_identical(max, 2000, "");
	TEST_CONTAINS(kt_out(), "the recording ended there: max-steps", "says why it stopped");
	lost_trailer(max);
	const char *timeout = kt_record("timeout.xtr", 0, "%s --load 0x100000 --timeout 0.2", spin);
	struct kt_trace *t = kt_load(timeout);
	TEST_EQ_U64(XT_END_TIMEOUT, t->end_reason, "ended by --timeout");
	replay_identical(timeout, t->nsteps, "");
	TEST_CONTAINS(kt_out(), "the recording ended there: timeout", "says why it stopped");
	kt_free(t);

	/* heavier capture sets are read and compared per step too */
	const char *all = kt_record("all.xtr", (1 << 1) | 1, "%s --load 0x100000 --irq 0x30@30 --capture all",
				    irq_wait);
	t = kt_load(all);
	replay_identical(all, t->nsteps, "");
	kt_free(t);

	interrupted(spin);
	return 0;
}
