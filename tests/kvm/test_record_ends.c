// SPDX-License-Identifier: MIT
/*
 * Every way a recording ends closes the trace cleanly, with the reason and
 * the final state in the footer: triple fault, HLT with IF=0, an internal
 * error, --max-steps, --timeout, SIGINT in the middle of a run; and output
 * that cannot be created fails before the guest starts.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

static struct kt_trace *record(const char *guest, const char *name, const char *extra, int want_status)
{
	struct kt_trace *t = kt_load(kt_record(name, want_status, "%s --load 0x100000 %s", guest, extra));
	TEST_ASSERT(!t->truncated, "%s: the footer was written", name);
	return t;
}

static void sigint_mid_run(const char *spin)
{
	const char *out = kt_tmp("sigint.xtr");
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		execl(kt_exitrace_path(), "exitrace", "record", spin, "--load", "0x100000", "-o", out,
		      "--timeout", "60", (char *)NULL);
		_exit(127);
	}
	struct timespec ts = { 0, 400 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	TEST_ASSERT(kill(pid, SIGINT) == 0, "kill");
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "SIGINT finalizes the recording (status 0x%x)", status);
	struct kt_trace *t = kt_load(out);
	TEST_ASSERT(!t->truncated, "a stopped recording is complete");
	TEST_EQ_U64(XT_END_SIGNAL, t->end_reason, "ended by a signal: %s", t->end_detail);
	TEST_EQ_U64(SIGINT, t->end_code, "which signal");
	TEST_ASSERT(t->nsteps > 1000, "it ran for a while first: %zu steps", t->nsteps);
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *spin = kt_arg(1), *triple = kt_arg(2), *hlt = kt_arg(3), *int3 = kt_arg(4);
	const char *late_fault = kt_arg(5);

	/* no IDT: UD2's #UD cannot be delivered, #DF neither: the vCPU shuts down */
	struct kt_trace *t = record(triple, "triple.xtr", "", 0);
	TEST_EQ_U64(XT_END_SHUTDOWN, t->end_reason, "triple fault: %s", t->end_detail);
	TEST_EQ_U64(KVM_EXIT_SHUTDOWN, t->steps[t->nsteps].exit_reason, "the last exit is SHUTDOWN");
	TEST_EQ_U64(0x100001, t->steps[t->nsteps].regs.rip, "at the UD2");
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, 6, 0);
	TEST_ASSERT(ev, "the #UD that caused it is recorded as an arrival");
	TEST_EQ_U64(XT_TAKEN_SHUTDOWN, ev->taken.outcome, "that ended in shutdown");
	TEST_EQ_U64(XT_TAKEN_EXCEPTION, ev->taken.type, "an exception");
	kt_free(t);

	/* without single-step the previous exit is no guide: the end names the UD2 all the same */
	t = record(triple, "triple-free.xtr", "--no-step", 0);
	TEST_EQ_U64(XT_END_SHUTDOWN, t->end_reason, "triple fault, --no-step: %s", t->end_detail);
	TEST_EQ_STR("triple fault at rip 0x100001", t->end_detail, "names the UD2");
	kt_free(t);

	t = record(hlt, "hlt.xtr", "", 0);
	TEST_EQ_U64(XT_END_HLT, t->end_reason, "cli; hlt ends the recording: %s", t->end_detail);
	TEST_EQ_U64(3, t->nsteps, "cli, nop, hlt");
	kt_free(t);

	/*
	 * Without single-step the in-kernel irqchip really halts the vCPU
	 * inside KVM_RUN: the recorder notices at its next timer tick and
	 * ends with the interrupted exit KVM reported, RIP past the HLT.
	 */
	t = record(hlt, "hlt-free.xtr", "--no-step --timeout 20", 0);
	TEST_EQ_U64(XT_END_HLT, t->end_reason, "a halted free run ends: %s", t->end_detail);
	TEST_EQ_U64(KVM_EXIT_INTR, t->steps[t->nsteps].exit_reason, "the last exit is the interrupted run");
	TEST_EQ_U64(0x100003, t->steps[t->nsteps].regs.rip, "RIP past the HLT");
	kt_free(t);

	/*
	 * Host deviation (kvm_pvm): KVM's instruction emulator runs ring-0
	 * guest code and cannot emulate INT3, so the step ends in an internal
	 * error (suberror 1, emulation failure) instead of a #BP.  The trace
	 * records exactly that.
	 */
	t = record(int3, "int3.xtr", "", 0);
	TEST_EQ_U64(XT_END_INTERNAL_ERROR, t->end_reason, "int3: %s", t->end_detail);
	TEST_EQ_U64(KVM_EXIT_INTERNAL_ERROR, t->steps[t->nsteps].exit_reason, "INTERNAL_ERROR exit");
	TEST_EQ_U64(KVM_INTERNAL_ERROR_EMULATION, t->steps[t->nsteps].internal_suberror,
		    "suberror 1: emulation failure");
	TEST_EQ_U64(1, t->end_code, "the suberror in the footer");
	kt_free(t);

	/*
	 * The failing instruction's RIP is named, not the last exit's: under
	 * --no-step the OUT before a 100000-iteration loop is the only exit
	 * before the XGETBV this host cannot emulate.
	 */
	t = record(late_fault, "late-fault.xtr", "--no-step", 0);
	uint64_t xgetbv = 0;
	for (size_t i = 0; i + 3 <= t->image_size && !xgetbv; i++)
		if (!memcmp(t->image + i, "\x0f\x01\xd0", 3))
			xgetbv = 0x100000 + i;
	TEST_ASSERT(xgetbv, "the guest has an XGETBV");
	TEST_EQ_U64(2, t->nsteps, "two exits: the OUT, then the XGETBV's");
	TEST_EQ_U64(XT_END_INTERNAL_ERROR, t->end_reason, "late fault: %s", t->end_detail);
	TEST_EQ_U64(KVM_EXIT_INTERNAL_ERROR, t->steps[2].exit_reason, "INTERNAL_ERROR exit");
	TEST_EQ_U64(xgetbv, t->steps[2].regs.rip, "the trace stands at the XGETBV");
	char want[64];
	snprintf(want, sizeof(want), "at rip 0x%" PRIx64 ",", xgetbv);
	TEST_CONTAINS(t->end_detail, want, "the footer names the XGETBV's RIP, not the OUT's 0x%" PRIx64,
		      t->steps[1].regs.rip);
	TEST_CONTAINS(t->end_detail, "bytes 0f 01 d0", "and the instruction bytes KVM reported");
	TEST_CONTAINS(kt_err(), want, "so does record's summary");
	kt_free(t);

	t = record(spin, "max.xtr", "--max-steps 1234", 0);
	TEST_EQ_U64(XT_END_MAX_STEPS, t->end_reason, "max steps: %s", t->end_detail);
	TEST_EQ_U64(1234, t->nsteps, "exactly --max-steps steps");
	kt_free(t);

	t = record(spin, "timeout.xtr", "--timeout 0.3", 0);
	TEST_EQ_U64(XT_END_TIMEOUT, t->end_reason, "timeout: %s", t->end_detail);
	TEST_ASSERT(t->nsteps > 100, "it ran until the timeout: %zu steps", t->nsteps);
	kt_free(t);

	sigint_mid_run(spin);

	/* output that cannot be created: an error before the guest runs */
	int status = kt_exitrace("record %s --load 0x100000 -o /nonexistent-dir/x.xtr", spin);
	TEST_EQ_U64(2, status, "unwritable output");
	TEST_CONTAINS(kt_err(), "/nonexistent-dir/x.xtr", "the message names the path");
	TEST_CONTAINS(kt_err(), "No such file or directory", "and the reason");
	return 0;
}
