// SPDX-License-Identifier: MIT
/*
 * Replay against traces edited through libexitrace (kt_rewrite): a
 * register changed at step N diverges at exactly N and names it; an
 * injection moved by a step, or a fed-back value changed, diverges where
 * it must; an interrupted run (KVM_EXIT_INTR) inserted replays as one; an
 * RFLAGS bit the instruction leaves undefined (AF after SHL) is taken from
 * the trace, a defined one diverges; a truncated trace replays what it
 * holds and says it is truncated; a newer major version, a missing file
 * and random bytes are refused with status 2; check turns all of it into
 * TAP.
 *
 * Guests: long_exits, irq_wait, rand_loop (tests/kvm/guests).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/kvm.h>
#include <unistd.h>

#include "kt_edit.h"

static void diverges_at(const char *path, uint64_t step)
{
	int status = kt_exitrace("replay %s", path);
	TEST_EQ_U64(1, status, "replay %s diverges; stdout: %s\nstderr: %s", path, kt_out(), kt_err());
	char want[64];
	snprintf(want, sizeof(want), "DIVERGED at step %" PRIu64 ",", step);
	TEST_CONTAINS(kt_out(), want, "at step %" PRIu64, step);
	snprintf(want, sizeof(want), "after %" PRIu64 " identical steps", step - 1);
	TEST_CONTAINS(kt_out(), want, "every step before it matched");
}

/* ---- a register changed at one step ---- */

struct reg_edit {
	uint64_t step, old, new;
};

static bool edit_rbx(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)e;
	(void)ev;
	struct reg_edit *r = ctx;
	if (s && step == r->step) {
		r->old = s->regs.rbx;
		r->new = s->regs.rbx ^ 0x40;
		s->regs.rbx = r->new;
	}
	return true;
}

static void register_changed(const char *orig)
{
	const char *edited = kt_tmp("rbx.xtr");
	struct reg_edit r = { .step = 5 };
	kt_rewrite(orig, edited, NULL, edit_rbx, &r);
	diverges_at(edited, 5);
	char want[160];
	/* the trace's value (edited) is "recorded", the guest's own is "replayed" */
	snprintf(want, sizeof(want), "rbx                      recorded 0x%" PRIx64 ", replayed 0x%" PRIx64 "\n",
		 r.new, r.old);
	TEST_CONTAINS(kt_out(), want, "names the register with both values");
	TEST_ASSERT(!strstr(kt_out(), "rax "), "and no other field: %s", kt_out());
	TEST_CONTAINS(kt_out(), "context (the recording; replay matched it before step 5):", "context");

	int status = kt_exitrace("check %s", edited);
	TEST_EQ_U64(1, status, "check: a divergence is status 1; stdout: %s", kt_out());
	snprintf(want, sizeof(want), "not ok 1 - rbx.xtr: diverged at step 5: rbx 0x%" PRIx64 " vs 0x%" PRIx64 "\n",
		 r.new, r.old);
	TEST_CONTAINS(kt_out(), "1..1\n", "TAP plan");
	TEST_CONTAINS(kt_out(), want, "TAP line");
}

/* ---- an injection moved by one step ---- */

struct move {
	uint64_t from, to;
	struct xt_event inject;		/* the recorded injection, found beforehand */
};

static bool move_injection(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	struct move *m = ctx;
	if (ev)
		return !(ev->kind == XT_EV_IRQ_INJECT && ev->step == m->from);	/* dropped here */
	(void)s;
	if (step == m->to) {
		/* an injection for step N precedes step record N */
		struct xt_event moved = m->inject;
		moved.step = m->to;
		TEST_ASSERT(xt_writer_event(e->w, &moved) == 0, "write: %s", xt_writer_error(e->w)->msg);
	}
	return true;
}

static void moved_by_one(const char *orig, const struct xt_event *inject, uint64_t to, const char *name)
{
	const char *edited = kt_tmp(name);
	struct move m = { .from = inject->step, .to = to, .inject = *inject };
	kt_rewrite(orig, edited, NULL, move_injection, &m);
	struct kt_trace *t = kt_load(edited);
	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_INJECT, 0x30), "%s: one injection", name);
	TEST_EQ_U64(to, kt_event(t, XT_EV_IRQ_INJECT, 0x30, 0)->step, "%s: the edit moved it", name);
	kt_free(t);
	/* the step that differs is the earlier of the two: there one took the IRQ and one did not */
	diverges_at(edited, to < inject->step ? to : inject->step);
	TEST_CONTAINS(kt_out(), "\n  rip  ", "%s: RIP differs", name);
	TEST_CONTAINS(kt_out(), "\n  rsp  ", "%s: RSP differs (the interrupt frame)", name);
}

static void injection_moved(const char *irq_wait)
{
	const char *orig = kt_record("irq.xtr", (1 << 1) | 1, "%s --load 0x100000 --irq 0x30@30", irq_wait);
	struct kt_trace *t = kt_load(orig);
	const struct xt_event *taken = kt_event(t, XT_EV_IRQ_TAKEN, 0x30, 0);
	TEST_ASSERT(taken && taken->step == 30, "the recording took it at step 30");
	struct xt_event inject = *kt_event(t, XT_EV_IRQ_INJECT, 0x30, 0);
	TEST_EQ_U64(30, inject.step, "injected before step 30");
	kt_free(t);

	/* one step later: step 30 runs on in the loop instead of entering the handler */
	moved_by_one(orig, &inject, 31, "irq-later.xtr");
	TEST_CONTAINS(kt_out(), "  recorded           + irq-taken vector=0x30", "the recording took the IRQ there");
	/* one step earlier: the replay enters the handler at step 29 */
	moved_by_one(orig, &inject, 29, "irq-earlier.xtr");
	TEST_CONTAINS(kt_out(), "  replayed           + irq-taken vector=0x30", "the replay took the IRQ a step early");
}

/* ---- a fed-back value changed ---- */

static bool edit_input(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)e;
	(void)s;
	uint64_t *at = ctx;
	if (ev && ev->kind == XT_EV_INPUT && ev->input.what == XT_INPUT_RDTSC && !*at) {
		*at = step;
		ev->input.v[0].value += 0x100;	/* rax */
	}
	return true;
}

static void input_changed(const char *rand_loop)
{
	const char *orig = kt_record("rand.xtr", KT_STATUS_VARIES, "%s --load 0x100000", rand_loop);
	const char *edited = kt_tmp("rand-edited.xtr");
	uint64_t at = 0;
	kt_rewrite(orig, edited, NULL, edit_input, &at);
	TEST_ASSERT(at, "the trace has an rdtsc input");
	/* the replay gets the edited value and so differs from the recorded state at once */
	diverges_at(edited, at);
	TEST_CONTAINS(kt_out(), "\n  rax  ", "rax differs");
}

/* ---- RFLAGS bits an instruction leaves undefined ---- */

/*
 * rand_loop's first SHL ($32, %rdx at 0x10001b) leaves AF undefined and
 * defines ZF; its ADD (%rax, %r8 at 0x100022) defines AF.  Flip one bit of
 * the recorded RFLAGS after the step that ran one of them, as a CPU of
 * another vendor might have set it.
 */
struct flag_edit {
	uint64_t after_rip, bit;	/* the instruction's address, the RFLAGS bit to flip */
	uint64_t prev_rip, step;	/* step: the one edited */
};

static bool edit_flag(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)e;
	(void)ev;
	struct flag_edit *f = ctx;
	if (!s)
		return true;
	if (!f->step && f->prev_rip == f->after_rip) {
		s->regs.rflags ^= f->bit;
		f->step = step;
	}
	f->prev_rip = s->regs.rip;
	return true;
}

static uint64_t flip_flag(const char *orig, const char *name, uint64_t rip, uint64_t bit)
{
	struct flag_edit f = { .after_rip = rip, .bit = bit, .prev_rip = 0x100000 };
	kt_rewrite(orig, kt_tmp(name), NULL, edit_flag, &f);
	TEST_ASSERT(f.step, "%s: the trace has a step that ran the instruction at 0x%" PRIx64, name, rip);
	return f.step;
}

static void undefined_flags(const char *rand_loop)
{
	char orig[600];
	snprintf(orig, sizeof(orig), "%s", kt_record("rand-flags.xtr", KT_STATUS_VARIES, "%s --load 0x100000", rand_loop));

	/* AF after SHL: another CPU's value, taken from the recording */
	uint64_t step = flip_flag(orig, "af-shl.xtr", 0x10001b, 0x10);
	TEST_EQ_U64(0, kt_exitrace("replay %s", kt_tmp("af-shl.xtr")), "AF after SHL is not a divergence; stdout: %s",
		    kt_out());
	char want[200];
	snprintf(want, sizeof(want), "  1 steps took the recording's RFLAGS bits that their instruction leaves "
		 "undefined (first at step %" PRIu64 ")", step);
	TEST_CONTAINS(kt_out(), want, "and replay says it fed them back");
	TEST_EQ_U64(0, kt_exitrace("check %s", kt_tmp("af-shl.xtr")), "check agrees");
	TEST_CONTAINS(kt_out(), "(1 with undefined RFLAGS bits taken from the recording)", "and says so");

	/* ZF after the same SHL is defined */
	step = flip_flag(orig, "zf-shl.xtr", 0x10001b, 0x40);
	diverges_at(kt_tmp("zf-shl.xtr"), step);
	TEST_CONTAINS(kt_out(), "\n  rflags ", "ZF after SHL: rflags differs");

	/* AF after ADD is defined */
	step = flip_flag(orig, "af-add.xtr", 0x100022, 0x10);
	diverges_at(kt_tmp("af-add.xtr"), step);
	TEST_CONTAINS(kt_out(), "\n  rflags ", "AF after ADD: rflags differs");
}

/* ---- read data comes from the trace ---- */

struct reads {
	bool in_edited, mmio_edited;
};

/*
 * long_exits reads the serial LSR (0x60) into al, then r8b, and unbacked
 * MMIO (all-ones) into ecx.  Give the trace other values, in the exits and
 * in every later state that holds them, as if the recording host's devices
 * had answered so: the replay must answer the guest with them too.
 */
static bool edit_reads(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)e;
	(void)step;
	(void)ev;
	struct reads *r = ctx;
	if (!s)
		return true;
	if (r->in_edited) {
		if ((s->regs.rax & 0xff) == 0x60)
			s->regs.rax = (s->regs.rax & ~0xffull) | 0x5a;
		if ((s->regs.r8 & 0xff) == 0x60)
			s->regs.r8 = (s->regs.r8 & ~0xffull) | 0x5a;
	}
	if (r->mmio_edited && s->regs.rcx == 0xffffffff)
		s->regs.rcx = 0x12345678;
	const struct xt_exit *x = &s->exit;
	if (x->reason == KVM_EXIT_IO && x->io_direction == KVM_EXIT_IO_IN && x->io_port == 0x3fd) {
		TEST_EQ_U64(0x60, s->exit.io_data[0], "LSR: transmitter empty");
		s->exit.io_data[0] = 0x5a;
		r->in_edited = true;
	}
	if (x->reason == KVM_EXIT_MMIO && !x->mmio_is_write) {
		static const uint8_t v[4] = { 0x78, 0x56, 0x34, 0x12 };
		TEST_EQ_U64(4, s->exit.mmio_data_len, "a 4-byte read");
		memcpy(s->exit.mmio_data, v, 4);
		r->mmio_edited = true;
	}
	return true;
}

static void reads_from_trace(const char *orig)
{
	const char *edited = kt_tmp("reads.xtr");
	struct reads r = { 0 };
	kt_rewrite(orig, edited, NULL, edit_reads, &r);
	TEST_ASSERT(r.in_edited && r.mmio_edited, "the trace has both reads");
	int status = kt_exitrace("replay %s", edited);
	TEST_EQ_U64(0, status, "the guest got the trace's values; stdout: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical: ", "every step the same");
}

/* ---- another host, another start ---- */

struct host_edit {
	struct xt_kv params[1];
	struct xt_cpuid_entry *cpuid;
};

static void other_host(struct xt_header *h, void *ctx)
{
	struct host_edit *he = ctx;
	h->host.kernel_release = "4.19.0-old";
	h->host.kvm_module = "kvm_intel";
	he->params[0] = (struct xt_kv){ "kvm_intel.enable_apicv", "Y" };
	h->host.kvm_params = he->params;
	h->host.n_kvm_params = 1;
	/* the guest never runs CPUID: a different table changes nothing it does */
	he->cpuid = malloc(h->vm.n_cpuid * sizeof(*he->cpuid));
	memcpy(he->cpuid, h->vm.cpuid, h->vm.n_cpuid * sizeof(*he->cpuid));
	for (size_t i = 0; i < h->vm.n_cpuid; i++)
		if (he->cpuid[i].function == 1)
			he->cpuid[i].ecx ^= 1u << 30;	/* RDRAND */
	h->vm.cpuid = he->cpuid;
}

/* Does text have a line holding a, then b? */
static bool has_line(const char *text, const char *a, const char *b)
{
	for (const char *p = text; (p = strstr(p, a)); p++) {
		const char *eol = strchr(p, '\n'), *q = strstr(p, b);
		if (q && (!eol || q < eol))
			return true;
	}
	return false;
}

static void host_differs(const char *orig)
{
	const char *edited = kt_tmp("other-host.xtr");
	struct host_edit he = { 0 };
	kt_rewrite_with(orig, edited, NULL, other_host, NULL, &he);
	free(he.cpuid);
	int status = kt_exitrace("replay %s", edited);
	TEST_EQ_U64(0, status, "a different host is a warning, not a stop; stdout: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical: ", "and the replay ran");
	TEST_CONTAINS(kt_err(), "warning: this host differs from the one that recorded", "warns: %s", kt_err());
	const char *e = kt_err();
	TEST_ASSERT(has_line(e, "  kvm module ", " recorded kvm_intel, here "), "the module: %s", e);
	TEST_ASSERT(has_line(e, "  kvm_intel.enable_apicv ",
			     " recorded Y, here (none)  (decides how interrupts are delivered)"), "APICv, marked");
	TEST_ASSERT(has_line(e, "  kernel release ", " recorded 4.19.0-old, here "), "the kernel");
	TEST_ASSERT(has_line(e, "  cpuid 0x1.0 ecx ", " recorded 0x"), "the CPUID table");
	TEST_ASSERT(has_line(e, "  kvm parameters only one host has ", " recorded 0, here "),
		    "parameters only this host has, counted");
	/* the important ones first */
	TEST_ASSERT(strstr(kt_err(), "kvm_intel.enable_apicv") < strstr(kt_err(), "kernel release"),
		    "APICv before the kernel");

	TEST_EQ_U64(0, kt_exitrace("check %s", edited), "check: still ok");
	TEST_CONTAINS(kt_out(), "# other-host.xtr was recorded on another host:\n#   kvm module ", "as TAP comments");
}

static void bad_start(struct xt_header *h, void *ctx)
{
	(void)ctx;
	/* RFLAGS bit 1 reads as 1 whatever is written: KVM cannot hold this state */
	((struct xt_state *)h->initial)->regs.rflags &= ~2ull;
}

static void start_differs(const char *orig)
{
	const char *edited = kt_tmp("bad-start.xtr");
	kt_rewrite_with(orig, edited, NULL, bad_start, NULL, NULL);
	TEST_EQ_U64(1, kt_exitrace("replay %s", edited), "diverges; stdout: %s", kt_out());
	TEST_CONTAINS(kt_out(), "DIVERGED before the first step: the initial vCPU state does not come out the same",
		      "before any step");
	TEST_CONTAINS(kt_out(), "rflags                   recorded 0x0, replayed 0x2", "names rflags");
	TEST_EQ_U64(1, kt_exitrace("check %s", edited), "check: not ok");
	TEST_CONTAINS(kt_out(), "not ok 1 - bad-start.xtr: diverged before the first step: rflags 0x0 vs 0x2",
		      "TAP line");
}

/* ---- an interrupted run inserted ---- */

struct intr {
	uint64_t before;
	struct xt_state prev;
};

static bool insert_intr(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev, void *ctx)
{
	(void)ev;
	struct intr *in = ctx;
	if (!s)
		return true;
	if (step == in->before) {
		/* KVM_RUN returned -1/EINTR with KVM_EXIT_INTR: nothing ran */
		struct xt_state x = in->prev;
		x.exit.reason = KVM_EXIT_INTR;
		x.exit.run_ret = (uint64_t)-1;
		x.exit.run_errno = EINTR;
		TEST_ASSERT(xt_writer_step(e->w, &x) == 0, "write");
		e->shift++;
	}
	in->prev = *s;
	return true;
}

static void interrupted_run(const char *orig, size_t nsteps)
{
	const char *edited = kt_tmp("intr.xtr");
	struct intr *in = calloc(1, sizeof(*in));
	in->before = 3;
	kt_rewrite(orig, edited, NULL, insert_intr, in);
	free(in);
	struct kt_trace *t = kt_load(edited);
	TEST_EQ_U64(nsteps + 1, t->nsteps, "one step more");
	TEST_EQ_U64(KVM_EXIT_INTR, t->steps[3].exit_reason, "step 3 is the interrupted run");
	kt_free(t);
	TEST_EQ_U64(0, kt_exitrace("replay %s", edited), "replays the same; stdout: %s", kt_out());
	char want[80];
	snprintf(want, sizeof(want), "identical: %zu of %zu steps", nsteps + 1, nsteps + 1);
	TEST_CONTAINS(kt_out(), want, "every step");
	TEST_CONTAINS(kt_out(), "1 interrupted runs (KVM_EXIT_INTR, replayed with immediate_exit)", "says how");
}

/* ---- a recorded KVM_RUN failure that does not happen again ---- */

static bool append_run_failed(struct kt_edit *e, uint64_t step, struct xt_state *s, struct xt_event *ev,
			      void *ctx)
{
	(void)ev;
	uint64_t *last = ctx;
	if (s && step == *last) {
		TEST_ASSERT(xt_writer_step(e->w, s) == 0, "write");
		/* the recording's last KVM_RUN failed with EFAULT: nothing ran */
		s->exit.reason = XT_EXIT_RUN_FAILED;
		s->exit.run_ret = (uint64_t)-1;
		s->exit.run_errno = EFAULT;
	}
	return true;
}

static void run_failed(const char *orig, uint64_t nsteps)
{
	const char *edited = kt_tmp("run-failed.xtr");
	uint64_t last = nsteps - 1;	/* before the final OUT to isa-debug-exit */
	kt_rewrite(orig, edited, NULL, append_run_failed, &last);
	TEST_EQ_U64(1, kt_exitrace("replay %s", edited), "this KVM_RUN succeeds: a divergence; stdout: %s",
		    kt_out());
	char want[64];
	snprintf(want, sizeof(want), "DIVERGED at step %" PRIu64 ",", nsteps);
	TEST_CONTAINS(kt_out(), want, "at the failed run");
	TEST_CONTAINS(kt_out(), "exit     recorded RUN_FAILED errno=14 (Bad address)", "the recorded failure");
	TEST_CONTAINS(kt_out(), "exit.reason              recorded RUN_FAILED, replayed IO", "the exit reasons by name");
}

/* ---- a truncated trace ---- */

static void truncated(const char *irq_wait)
{
	const char *orig = kt_record("port.xtr", (40 << 1) | 1, "%s --load 0x100000 --irq 0x30@io:0x80", irq_wait);
	const char *cut = kt_tmp("cut.xtr");
	struct xt_writer_options small = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 16 };
	kt_rewrite(orig, cut, &small, NULL, NULL);
	struct xt_reader *r;
	struct xt_error err;
	TEST_ASSERT(xt_reader_open(&r, cut, &err) == 0, "%s", err.msg);
	size_t n;
	const struct xt_frame_index *idx = xt_reader_index(r, &n);
	TEST_ASSERT(n > 12, "many frames: %zu", n);
	uint64_t at = idx[10].offset + 7, steps = idx[10].first_step;
	xt_reader_close(r);
	/* the recorder died while writing frame 10: frames 0-9 are whole */
	TEST_ASSERT(truncate(cut, (off_t)at) == 0, "truncate");
	TEST_EQ_U64(0, kt_exitrace("replay %s", cut), "a truncated trace replays; stdout: %s\nstderr: %s",
		    kt_out(), kt_err());
	char want[160];
	snprintf(want, sizeof(want), "identical: %" PRIu64 " of %" PRIu64 " steps replayed the same; "
		 "the trace is truncated: its recorder did not finish, %" PRIu64 " steps were recovered",
		 steps, steps, steps);
	TEST_CONTAINS(kt_out(), want, "replays what it holds and says it is truncated");
	TEST_EQ_U64(0, kt_exitrace("check %s", cut), "check: ok");
	snprintf(want, sizeof(want), "ok 1 - cut.xtr: %" PRIu64 " steps identical (truncated trace", steps);
	TEST_CONTAINS(kt_out(), want, "TAP line");
}

/* ---- what replay refuses ---- */

static void write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && write(fd, data, n) == (ssize_t)n && close(fd) == 0, "write %s", path);
}

static void refused(const char *orig)
{
	/* a newer major version: the file mark's major is at offset 16 */
	uint8_t buf[1 << 16];
	int fd = open(orig, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	TEST_ASSERT(n > 64 && n < (ssize_t)sizeof(buf), "read %s", orig);
	buf[16] = XT_FORMAT_MAJOR + 1;
	const char *newer = kt_tmp("newer.xtr");
	write_file(newer, buf, (size_t)n);
	TEST_EQ_U64(2, kt_exitrace("replay %s", newer), "a newer major version is refused");
	TEST_CONTAINS(kt_err(), "newer than this exitrace reads", "and says why: %s", kt_err());

	TEST_EQ_U64(2, kt_exitrace("replay %s", kt_tmp("missing.xtr")), "a missing file");
	TEST_CONTAINS(kt_err(), "missing.xtr", "names it");
	TEST_CONTAINS(kt_err(), "No such file or directory", "and why");

	srand(7);
	for (size_t i = 0; i < 4096; i++)
		buf[i] = (uint8_t)rand();
	const char *junk = kt_tmp("junk.xtr");
	write_file(junk, buf, 4096);
	TEST_EQ_U64(2, kt_exitrace("replay %s", junk), "random bytes");
	TEST_CONTAINS(kt_err(), "not an exitrace trace", "says so: %s", kt_err());

	TEST_EQ_U64(2, kt_exitrace("replay"), "no file: a usage error");
	TEST_EQ_U64(2, kt_exitrace("replay %s --bogus", orig), "an unknown option");
}

/* ---- check over a directory ---- */

static void check_dir(const char *good, const char *diverging, const char *junk)
{
	char dir[600];
	snprintf(dir, sizeof(dir), "%s", kt_tmp("archive"));
	TEST_ASSERT(mkdir(dir, 0700) == 0, "mkdir");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "cp %s %s/a-good.xtr && cp %s %s/b-diverging.xtr && cp %s %s/c-junk.xtr && "
		 "touch %s/notes.txt", good, dir, diverging, dir, junk, dir, dir);
	TEST_ASSERT(system(cmd) == 0, "%s", cmd);
	int status = kt_exitrace("check %s", dir);
	TEST_EQ_U64(2, status, "an unreadable trace is status 2; stdout: %s", kt_out());
	TEST_CONTAINS(kt_out(), "1..3\n", "the plan counts *.xtr only");
	TEST_CONTAINS(kt_out(), "\nok 1 - a-good.xtr: ", "the good one");
	TEST_CONTAINS(kt_out(), "\nnot ok 2 - b-diverging.xtr: diverged at step 5: rbx ", "the diverging one");
	TEST_CONTAINS(kt_out(), "\nnot ok 3 - c-junk.xtr: cannot replay: ", "the unreadable one, still reported");

	snprintf(cmd, sizeof(cmd), "rm %s/c-junk.xtr", dir);
	TEST_ASSERT(system(cmd) == 0, "%s", cmd);
	TEST_EQ_U64(1, kt_exitrace("check %s", dir), "only a divergence: status 1");
	TEST_EQ_U64(0, kt_exitrace("check %s", good), "a good file alone: status 0");
	TEST_CONTAINS(kt_out(), "1..1\nok 1 - ", "one ok line");
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *long_exits = kt_arg(1), *irq_wait = kt_arg(2), *rand_loop = kt_arg(3);

	char orig[600];	/* kt_tmp() reuses its buffers */
	snprintf(orig, sizeof(orig), "%s", kt_record("long.xtr", (42 << 1) | 1, "%s --load 0x100000", long_exits));
	struct kt_trace *t = kt_load(orig);
	size_t nsteps = t->nsteps;
	kt_free(t);

	register_changed(orig);
	reads_from_trace(orig);
	host_differs(orig);
	start_differs(orig);
	injection_moved(irq_wait);
	input_changed(rand_loop);
	undefined_flags(rand_loop);
	interrupted_run(orig, nsteps);
	run_failed(orig, nsteps);
	truncated(irq_wait);
	refused(orig);
	check_dir(orig, kt_tmp("rbx.xtr"), kt_tmp("junk.xtr"));
	return 0;
}
