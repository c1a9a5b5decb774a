// SPDX-License-Identifier: MIT
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"
#include "kvm_vm.h"

static const char *exitrace_path;
static int kt_argc;
static char **kt_argv;
static char tmpdir[] = "/tmp/xt-kvm-XXXXXX";
static char out_buf[1 << 16], err_buf[1 << 16];

static void cleanup(void)
{
	if (getenv("KT_KEEP"))
		return;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

void kt_init(int argc, char **argv)
{
	if (argc < 2)
		TEST_FAIL("usage: %s EXITRACE [GUEST...]", argv[0]);
	exitrace_path = argv[1];
	kt_argc = argc;
	kt_argv = argv;
	if (!kvm_available()) {
		printf("SKIP: /dev/kvm is not usable here\n");
		exit(XT_TEST_SKIP);
	}
	TEST_ASSERT(mkdtemp(tmpdir), "mkdtemp");
	atexit(cleanup);
}

const char *kt_exitrace_path(void)
{
	return exitrace_path;
}

const char *kt_arg(int i)
{
	TEST_ASSERT(i + 1 < kt_argc, "the test needs argument %d (see tests/kvm/meson.build)", i);
	return kt_argv[i + 1];
}

const char *kt_tmp(const char *name)
{
	return test_path(tmpdir, name);
}

const char *kt_tmp_kept(const char *name)
{
	static char paths[32][600];
	static unsigned n;
	TEST_ASSERT(n < 32, "more paths than kt_tmp_kept() keeps");
	snprintf(paths[n], sizeof(paths[n]), "%s", kt_tmp(name));
	return paths[n++];
}

static void slurp_fd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = 0;
}

static int run_exitrace(unsigned seconds, const char *fmt, va_list ap)
{
	char args[4096];
	vsnprintf(args, sizeof(args), fmt, ap);

	char *argv[128];
	int n = 0;
	argv[n++] = (char *)exitrace_path;
	for (char *save, *t = strtok_r(args, " ", &save); t && n < 127; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;

	char outp[600], errp[600];
	snprintf(outp, sizeof(outp), "%s/.stdout", tmpdir);
	snprintf(errp, sizeof(errp), "%s/.stderr", tmpdir);
	int out = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int err = open(errp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(out >= 0 && err >= 0, "capture files");
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		alarm(seconds);	/* kept across exec */
		execv(exitrace_path, argv);
		_exit(127);
	}
	/*
	 * The alarm alone does not bound "record": the recorder's own SIGALRM
	 * tick replaces it.  So the parent keeps the time too.
	 */
	int status;
	struct timespec t0, now, nap = { 0, 10 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t got = waitpid(pid, &status, seconds ? WNOHANG : 0);
		TEST_ASSERT(got >= 0, "waitpid");
		if (got == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > (time_t)seconds) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			slurp_fd(err, err_buf, sizeof(err_buf));
			TEST_FAIL("exitrace %s did not finish within %u s: it hangs\nstderr: %s", fmt, seconds, err_buf);
		}
		nanosleep(&nap, NULL);
	}
	slurp_fd(out, out_buf, sizeof(out_buf));
	slurp_fd(err, err_buf, sizeof(err_buf));
	close(out);
	close(err);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM && seconds)
		TEST_FAIL("exitrace %s did not finish within %u s: it hangs\nstderr: %s", fmt, seconds, err_buf);
	if (WIFSIGNALED(status))
		TEST_FAIL("exitrace %s died of signal %d\nstderr: %s", fmt, WTERMSIG(status), err_buf);
	return WEXITSTATUS(status);
}

int kt_exitrace(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = run_exitrace(0, fmt, ap);
	va_end(ap);
	return rc;
}

int kt_exitrace_within(unsigned seconds, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = run_exitrace(seconds, fmt, ap);
	va_end(ap);
	return rc;
}

const char *kt_out(void)
{
	return out_buf;
}

const char *kt_err(void)
{
	return err_buf;
}

static void flatten(const struct xt_state *s, uint64_t step, struct kt_step *k)
{
	memset(k, 0, sizeof(*k));
	k->step = step;
	k->regs = s->regs;
	k->exit_reason = s->exit.reason;
	k->cs_selector = s->sregs.cs.selector;
	k->cs_base = s->sregs.cs.base;
	k->ss_selector = s->sregs.ss.selector;
	k->cr0 = s->sregs.cr0;
	k->cr2 = s->sregs.cr2;
	k->efer = s->sregs.efer;
	k->idt_limit = s->sregs.idt_limit;
	k->shadow = s->events.interrupt_shadow;
	k->dr6 = s->exit.debug_dr6;
	k->dr7 = s->exit.debug_dr7;
	k->pc = s->exit.debug_pc;
	k->debug_exception = s->exit.debug_exception;
	k->io_port = s->exit.io_port;
	k->io_dir = s->exit.io_direction;
	k->io_size = s->exit.io_size;
	k->io_count = s->exit.io_count;
	memcpy(&k->io_value, s->exit.io_data, s->exit.io_data_len < 8 ? s->exit.io_data_len : 8);
	k->mmio_addr = s->exit.mmio_addr;
	k->mmio_write = s->exit.mmio_is_write;
	k->mmio_len = s->exit.mmio_len;
	memcpy(&k->mmio_value, s->exit.mmio_data, s->exit.mmio_data_len < 8 ? s->exit.mmio_data_len : 8);
	k->internal_suberror = s->exit.internal_suberror;
	memcpy(k->internal_data, s->exit.internal_data, sizeof(k->internal_data));
	k->guest_dr6 = s->dregs.dr6;
	k->guest_dr7 = s->dregs.dr7;
	k->run_errno = s->exit.run_errno;
	k->lapic_svr = s->lapic.svr;
	memcpy(k->lapic_isr, s->lapic.isr, sizeof(k->lapic_isr));
	memcpy(k->lapic_irr, s->lapic.irr, sizeof(k->lapic_irr));
	k->fpu_len = s->fpu.len;
}

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copy what an event points at: the reader's copy is gone after the next record. */
static void keep_event(struct kt_trace *t, const struct xt_event *ev)
{
	struct xt_event *e = &t->events[t->nevents++];
	*e = *ev;
	switch (ev->kind) {
	case XT_EV_CONSOLE: {
		uint8_t *d = malloc(ev->console.len + 1);
		memcpy(d, ev->console.data, ev->console.len);
		e->console.data = d;
		t->console = realloc(t->console, t->console_len + ev->console.len + 1);
		memcpy(t->console + t->console_len, ev->console.data, ev->console.len);
		t->console_len += ev->console.len;
		t->console[t->console_len] = 0;
		break;
	}
	case XT_EV_KTRACE: {
		struct xt_ktrace_field *f = calloc(ev->ktrace.n_fields + 1, sizeof(*f));
		for (size_t i = 0; i < ev->ktrace.n_fields; i++) {
			f[i] = ev->ktrace.fields[i];
			f[i].name = dup_str(ev->ktrace.fields[i].name);
			f[i].str = dup_str(ev->ktrace.fields[i].str);
		}
		e->ktrace.fields = f;
		e->ktrace.name = dup_str(ev->ktrace.name);
		break;
	}
	case XT_EV_NOTE:
		e->note.text = dup_str(ev->note.text);
		break;
	case XT_EV_STATS:
		e->stats.n = 0;	/* not kept */
		break;
	case XT_EV_INPUT:
		if (ev->input.data) {
			uint8_t *d = malloc(ev->input.data_len + 1);
			memcpy(d, ev->input.data, ev->input.data_len);
			e->input.data = d;
		}
		break;
	}
}

struct kt_trace *kt_load(const char *path)
{
	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "open %s: %s", path, err.msg);
	struct kt_trace *t = calloc(1, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	const struct xt_header *h = xt_reader_header(r);
	t->initial = *h->initial;
	t->n_vcpus = h->vm.n_vcpus;
	t->guest_debug = h->vm.guest_debug;
	t->irqchip = h->vm.irqchip;
	t->cpu_mode = h->vm.cpu_mode;
	t->capture = h->vm.capture;
	t->entry = h->vm.entry;
	t->max_steps = h->vm.max_steps;
	t->timeout_ms = h->vm.timeout_ms;
	snprintf(t->scenario, sizeof(t->scenario), "%s", h->vm.scenario ? h->vm.scenario : "");
	memcpy(t->debugreg, h->vm.debugreg, sizeof(t->debugreg));
	t->n_cpuid = h->vm.n_cpuid;
	t->cpuid = calloc(t->n_cpuid + 1, sizeof(*t->cpuid));
	memcpy(t->cpuid, h->vm.cpuid, t->n_cpuid * sizeof(*t->cpuid));
	/* the reader does not keep an image of 64 KiB or more (SPEC.md section 8): then there is none here */
	t->image_size = h->image.data ? h->image.size : 0;
	t->image = malloc(t->image_size + 1);
	if (t->image_size)
		memcpy(t->image, h->image.data, t->image_size);
	size_t cap_steps = 1024, cap_ev = 256;
	t->steps = malloc(cap_steps * sizeof(*t->steps));
	t->events = malloc(cap_ev * sizeof(*t->events));
	flatten(h->initial, 0, &t->steps[0]);
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_STEP) {
			TEST_EQ_U64(t->nsteps + 1, rec.step, "steps in order");
			if (t->nsteps + 2 > cap_steps)
				t->steps = realloc(t->steps, (cap_steps *= 2) * sizeof(*t->steps));
			flatten(rec.state, rec.step, &t->steps[++t->nsteps]);
			t->steps[t->nsteps].vcpu = rec.vcpu;
			t->steps[t->nsteps].vcpu_step = rec.vcpu_step;
		} else if (rec.type == XT_REC_EVENT) {
			if (t->nevents + 1 > cap_ev)
				t->events = realloc(t->events, (cap_ev *= 2) * sizeof(*t->events));
			keep_event(t, rec.event);
		}
	}
	TEST_ASSERT(rc == 0, "reading %s: %s", path, xt_reader_error(r)->msg);
	t->truncated = xt_reader_truncated(r);
	const struct xt_footer *f = xt_reader_footer(r);
	if (f) {
		t->end_reason = f->end_reason;
		t->end_code = f->end_code;
		snprintf(t->end_detail, sizeof(t->end_detail), "%s", f->end_detail ? f->end_detail : "");
		TEST_EQ_U64(f->steps, t->nsteps, "the footer counts every step");
	}
	if (!t->console)
		t->console = calloc(1, 1);
	xt_reader_close(r);
	return t;
}

void kt_free(struct kt_trace *t)
{
	for (size_t i = 0; i < t->nevents; i++) {
		struct xt_event *e = &t->events[i];
		if (e->kind == XT_EV_CONSOLE)
			free((void *)e->console.data);
		if (e->kind == XT_EV_NOTE)
			free((void *)e->note.text);
		if (e->kind == XT_EV_INPUT)
			free((void *)e->input.data);
		if (e->kind == XT_EV_KTRACE) {
			for (size_t j = 0; j < e->ktrace.n_fields; j++) {
				free((void *)e->ktrace.fields[j].name);
				free((void *)e->ktrace.fields[j].str);
			}
			free((void *)e->ktrace.fields);
			free((void *)e->ktrace.name);
		}
	}
	free(t->events);
	free(t->steps);
	free(t->cpuid);
	free(t->image);
	free(t->console);
	free(t);
}

uint64_t kt_step_at_rip(const struct kt_trace *t, uint64_t rip, uint64_t from)
{
	for (uint64_t s = from; s <= t->nsteps; s++)
		if (t->steps[s].regs.rip == rip)
			return s;
	return 0;
}

uint64_t kt_step_with_exit(const struct kt_trace *t, uint64_t reason, uint64_t from)
{
	for (uint64_t s = from ? from : 1; s <= t->nsteps; s++)
		if (t->steps[s].exit_reason == reason)
			return s;
	return 0;
}

uint64_t kt_step_io_out(const struct kt_trace *t, uint16_t port, uint64_t from)
{
	for (uint64_t s = from ? from : 1; s <= t->nsteps; s++)
		if (t->steps[s].exit_reason == 2 && t->steps[s].io_dir == 1 && t->steps[s].io_port == port)
			return s;
	return 0;
}

static bool event_matches(const struct xt_event *e, uint32_t kind, int vector)
{
	if (e->kind != kind)
		return false;
	if (vector < 0)
		return true;
	if (kind == XT_EV_IRQ_TAKEN)
		return e->taken.vector == (uint32_t)vector;
	if (kind == XT_EV_IRQ_INJECT)
		return e->inject.vector == (uint32_t)vector;
	return true;
}

size_t kt_count_events(const struct kt_trace *t, uint32_t kind, int vector)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nevents; i++)
		n += event_matches(&t->events[i], kind, vector);
	return n;
}

const struct xt_event *kt_event(const struct kt_trace *t, uint32_t kind, int vector, size_t nth)
{
	for (size_t i = 0; i < t->nevents; i++)
		if (event_matches(&t->events[i], kind, vector) && nth-- == 0)
			return &t->events[i];
	return NULL;
}

uint64_t kt_io_out_value(const struct kt_trace *t, uint16_t port)
{
	uint64_t s = kt_step_io_out(t, port, 1);
	TEST_ASSERT(s, "%s: the guest reports on port 0x%x", t->path, port);
	return t->steps[s].io_value;
}

uint64_t kt_step_io_out_value(const struct kt_trace *t, uint16_t port, uint64_t value, uint64_t from)
{
	for (uint64_t s = kt_step_io_out(t, port, from); s; s = kt_step_io_out(t, port, s + 1))
		if (t->steps[s].io_value == value)
			return s;
	return 0;
}

uint64_t kt_value(const struct kt_trace *t, uint64_t from, uint64_t *at)
{
	uint64_t s = kt_step_io_out(t, 0x84, from);
	TEST_ASSERT(s, "%s: the guest reported no value (port 0x84) from step %" PRIu64, t->path, from);
	if (at)
		*at = s;
	return t->steps[s].io_value;
}

/* Section header i of the image, bounds-checked. */
static const Elf64_Shdr *section(const struct kt_trace *t, const Elf64_Ehdr *e, unsigned i)
{
	uint64_t off = e->e_shoff + (uint64_t)i * e->e_shentsize;
	TEST_ASSERT(i < e->e_shnum && e->e_shentsize >= sizeof(Elf64_Shdr) && off + sizeof(Elf64_Shdr) <= t->image_size,
		    "section %u of the guest image", i);
	return (const Elf64_Shdr *)(t->image + off);
}

uint64_t kt_symbol(const struct kt_trace *t, const char *name)
{
	const Elf64_Ehdr *e = (const Elf64_Ehdr *)t->image;
	TEST_ASSERT(t->image_size >= sizeof(*e) && !memcmp(e->e_ident, ELFMAG, SELFMAG) &&
		    e->e_ident[EI_CLASS] == ELFCLASS64, "the trace's guest image is an ELF64");
	for (unsigned i = 0; i < e->e_shnum; i++) {
		const Elf64_Shdr *sh = section(t, e, i);
		if (sh->sh_type != SHT_SYMTAB)
			continue;
		const Elf64_Shdr *str = section(t, e, sh->sh_link);
		TEST_ASSERT(sh->sh_offset + sh->sh_size <= t->image_size &&
			    str->sh_offset + str->sh_size <= t->image_size, "symbol table inside the image");
		for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh->sh_size; off += sizeof(Elf64_Sym)) {
			const Elf64_Sym *sym = (const Elf64_Sym *)(t->image + sh->sh_offset + off);
			if (sym->st_name < str->sh_size &&
			    !strncmp((const char *)t->image + str->sh_offset + sym->st_name, name,
				     str->sh_size - sym->st_name))
				return sym->st_value;
		}
	}
	TEST_FAIL("the guest image of %s has no symbol '%s'", t->path, name);
}

uint64_t kt_stub(const struct kt_trace *t, unsigned vector)
{
	return kt_symbol(t, "rt_vectors") + 16 * vector;
}

const struct xt_cpuid_entry *kt_cpuid(const struct kt_trace *t, uint32_t function, uint32_t index)
{
	for (size_t i = 0; i < t->n_cpuid; i++)
		if (t->cpuid[i].function == function && t->cpuid[i].index == index)
			return &t->cpuid[i];
	TEST_FAIL("%s: no CPUID entry 0x%x.%u in the header", t->path, function, index);
}

const char *kt_record(const char *file, int want_status, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	const char *out = kt_tmp(file);
	int status = kt_exitrace("record %s -o %s --console %s.console", args, out, out);
	if (want_status == KT_STATUS_VARIES)
		TEST_ASSERT((status & 1) && status != 1, "exitrace record %s: status %d is no guest's; stderr: %s",
			    args, status, kt_err());
	else
		TEST_EQ_U64(want_status, status, "exitrace record %s: exit status; stderr: %s", args, kt_err());
	return out;
}

struct kt_trace *kt_record_scenario(const char *name, const char *file, const char *extra, int want_status)
{
	struct kt_trace *t = kt_load(kt_record(file, want_status, "--scenario %s %s", name, extra ? extra : ""));
	TEST_ASSERT(!t->truncated, "%s: the footer was written", name);
	TEST_EQ_STR(name, t->scenario, "the header names the scenario");
	return t;
}

void kt_dump(const struct kt_trace *t, uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s <= to && s <= t->nsteps; s++) {
		const struct kt_step *k = &t->steps[s];
		const char *n = xt_exit_reason_name(k->exit_reason);
		fprintf(stderr, "  step %4" PRIu64 ": %-14s rip=0x%" PRIx64 " rsp=0x%" PRIx64
			" rflags=0x%" PRIx64 " shadow=%" PRIu64 " dr6=0x%" PRIx64 "\n",
			s, n ? n : "?", k->regs.rip, k->regs.rsp, k->regs.rflags, k->shadow, k->dr6);
	}
}
