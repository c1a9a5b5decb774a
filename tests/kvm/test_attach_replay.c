// SPDX-License-Identifier: MIT
/*
 * Replay of an attached trace.  mini_vmm's "answers" guest sums what its
 * VMM answers to INs (a byte, a word, a string) and MMIO reads (a byte, a
 * word), and writes the sum: its trace replays only with those answers,
 * which the VMM wrote into the run page after each exit was recorded.
 * They must be input events of the next step, the exits' own data bytes
 * zero, and replay identical, stepped or not.  A trace without the
 * initial memory (--memory hash, none) is refused by name.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kt.h"

static char plain[1 << 14];

static void run_plain(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	TEST_ASSERT(p, "popen %s", cmd);
	size_t n = fread(plain, 1, sizeof(plain) - 1, p);
	plain[n] = 0;
	int st = pclose(p);
	TEST_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
}

/* The k-th answer's bytes as mini_vmm makes them: 0x11 * (k + 1) + i. */
static void check_answers(const char *what, const struct kt_trace *t)
{
	static const size_t lens[] = { 1, 2, 1, 2, 4 };
	size_t n = kt_count_events(t, XT_EV_INPUT, -1), k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct xt_event *ev = kt_event(t, XT_EV_INPUT, -1, i);
		if (ev->input.what != XT_INPUT_ANSWER)
			continue;
		TEST_ASSERT(k < 5, "%s: at most 5 answers", what);
		TEST_EQ_U64(lens[k], ev->input.data_len, "%s: answer %zu's length", what, k);
		for (size_t b = 0; b < ev->input.data_len; b++)
			TEST_EQ_U64(0x11 * (k + 1) + b, ev->input.data[b], "%s: answer %zu byte %zu", what, k, b);
		/* it precedes the step that completes the read: the one after the read's exit */
		const struct kt_step *read = &t->steps[ev->step - 1];
		bool io = read->exit_reason == KVM_EXIT_IO, mmio = read->exit_reason == KVM_EXIT_MMIO;
		bool debug = read->exit_reason == KVM_EXIT_DEBUG;	/* under --step: the read was earlier */
		TEST_ASSERT(io || mmio || debug, "%s: answer %zu follows a read (exit %llu)", what, k,
			    (unsigned long long)read->exit_reason);
		if (io || mmio)
			TEST_EQ_U64(0, io ? read->io_value : read->mmio_value,
				    "%s: the read's own data bytes are zero, not the run page's leftovers", what);
		k++;
	}
	TEST_EQ_U64(5, k, "%s: every answer of the VMM", what);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *vmm = kt_arg(1);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' answers 2>/dev/null", vmm);
	run_plain(cmd);
	TEST_CONTAINS(plain, "io dir 1 size 1 port 0x84 count 1 value 0x6a", "the guest's sum of the answers");

	const char *modes[] = { "", "--step", "--step --block-irq", "--no-borrow-sync-regs" };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		const char *trace = kt_tmp_kept(m == 0 ? "a.xtr" : m == 1 ? "s.xtr" : m == 2 ? "b.xtr" : "y.xtr");
		int rc = kt_exitrace_within(60, "record -q %s -o %s -- %s answers", modes[m], trace, vmm);
		TEST_EQ_U64(0, rc, "record %s: status\n%s", modes[m], kt_err());
		TEST_EQ_STR(plain, kt_out(), "record %s: the VMM's output unchanged", modes[m]);
		struct kt_trace *t = kt_load(trace);
		check_answers(modes[m][0] ? modes[m] : "unstepped", t);
		kt_free(t);
		TEST_EQ_U64(0, kt_exitrace("info %s", trace), "info");
		TEST_CONTAINS(kt_out(), "attach:    replay: yes", "%s: replayable", modes[m]);
		rc = kt_exitrace("replay %s", trace);
		TEST_EQ_U64(0, rc, "replay %s:\n%s%s", modes[m], kt_out(), kt_err());
		TEST_CONTAINS(kt_out(), "identical:", "replay %s", modes[m]);
		TEST_CONTAINS(kt_out(), "5 instruction results", "replay %s fed the 5 answers", modes[m]);
	}
	/* the same VMM twice: the same trace, answers included */
	TEST_EQ_U64(0, kt_exitrace("record -q -o %s -- %s answers", kt_tmp_kept("a2.xtr"), vmm), "record");
	TEST_EQ_U64(0, kt_exitrace("diff %s %s", kt_tmp_kept("a.xtr"), kt_tmp_kept("a2.xtr")),
		    "diff of two recordings:\n%s", kt_out());
	/* replay -o writes a trace that diff finds equal to the recording */
	TEST_EQ_U64(0, kt_exitrace("replay -o %s %s", kt_tmp_kept("r.xtr"), kt_tmp_kept("a.xtr")), "replay -o: %s",
		    kt_err());

	/* the slot made with KVM_SET_USER_MEMORY_REGION2 (Linux 6.8), where the host has it */
	snprintf(cmd, sizeof(cmd), "'%s' answers2 >/dev/null 2>&1", vmm);
	int st = system(cmd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		int rc = kt_exitrace_within(60, "record -q -o %s -- %s answers2", kt_tmp_kept("r2.xtr"), vmm);
		TEST_EQ_U64(0, rc, "record answers2: %s", kt_err());
		TEST_EQ_STR(plain, kt_out(), "answers2: the VMM's output");
		TEST_EQ_U64(0, kt_exitrace("info %s", kt_tmp_kept("r2.xtr")), "info");
		TEST_CONTAINS(kt_out(), "attach:    slots: 0x0+0x10000\n", "REGION2: the slot learned");
		TEST_CONTAINS(kt_out(), "memory: full: 1 slot, 65536 bytes", "REGION2: its memory stored");
		TEST_EQ_U64(0, kt_exitrace("replay %s", kt_tmp_kept("r2.xtr")), "replay answers2: %s", kt_out());
	} else {
		printf("# no KVM_SET_USER_MEMORY_REGION2 on this host: not tried\n");
	}

	/* a longer one: 2000 OUTs, unstepped and stepped */
	TEST_EQ_U64(0, kt_exitrace_within(60, "record -q -o %s -- %s io 2000", kt_tmp_kept("io.xtr"), vmm), "io");
	TEST_EQ_U64(0, kt_exitrace("replay %s", kt_tmp_kept("io.xtr")), "replay io: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical: 2001 of 2001 steps", "replay io");

	/* without the initial memory: refused, by name */
	const char *why[] = { "hash", "none" };
	for (size_t i = 0; i < 2; i++) {
		const char *trace = kt_tmp_kept(i ? "n.xtr" : "h.xtr");
		TEST_EQ_U64(0, kt_exitrace("record -q --memory %s -o %s -- %s answers", why[i], trace, vmm), "record");
		TEST_EQ_STR(plain, kt_out(), "--memory %s: the VMM's output", why[i]);
		TEST_EQ_U64(0, kt_exitrace("info %s", trace), "info");
		TEST_CONTAINS(kt_out(), i ? "memory: none: not stored (--memory none)" : "memory: hash: slot 0 0x0+0x10000 sha256 ",
			      "info: --memory %s", why[i]);
		TEST_EQ_U64(2, kt_exitrace("replay %s", trace), "replay of --memory %s", why[i]);
		char want[128];
		snprintf(want, sizeof(want), "cannot be replayed: the initial memory is not in the trace (--memory %s)", why[i]);
		TEST_CONTAINS(kt_err(), want, "replay names why");
	}
	TEST_EQ_U64(2, kt_exitrace("record --memory some -o %s -- %s answers", kt_tmp("x.xtr"), vmm), "--memory some");
	TEST_CONTAINS(kt_err(), "--memory is none, hash or full, not 'some'", "a clear usage error");
	printf("ok\n");
	return 0;
}
