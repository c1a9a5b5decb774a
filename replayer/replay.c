// SPDX-License-Identifier: MIT
/*
 * The replay loop.  A trace holds, in order: the irq-inject events of step
 * N, step record N, then the other events of step N (format/SPEC.md 6).
 * So step N runs when its record arrives (its injections are known by
 * then), and is compared when the next record that is not one of its
 * events arrives: by then the input events of step N have set the values
 * its non-deterministic instruction returned.  The reader keeps one state
 * and changes it with every record, so replay keeps its own copy of the
 * recorded state, updated with the fields each step changed.
 *
 * Per step this costs one KVM_RUN and what the default capture set reads
 * from kvm_run->s.regs; inputs are fed back through s.regs with
 * kvm_dirty_regs (api.rst 4.81), so only the steps that have them pay.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>

#include "acpi_sleep.h"
#include "attached_vm.h"
#include "compare.h"
#include "devices.h"
#include "guest_mem.h"
#include "host_probe.h"
#include "inject.h"
#include "insn_flags.h"
#include "rec_util.h"
#include "replay.h"
#include "replay_internal.h"
#include "vcpu_step.h"
#include "vm_build.h"
#include "writer_thread.h"

#define PROGRESS_EVERY 4096	/* steps between looks at the clock */
#define PROGRESS_NS 100000000ll
#define EVENTS_PER_STEP 4

/* Set from the signal handler; one replay runs at a time. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/*
 * SIGALRM: the one-shot timer that ends a run recorded as interrupted, and
 * the watchdog's tick, which counts.  Either only has to interrupt KVM_RUN.
 */
static volatile sig_atomic_t alarm_ticks;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_ticks++;
}
#define INTR_RUN_US 100000

/*
 * The watchdog: a step's KVM_RUN that has not returned is looked at every
 * STALL_TICK_S.  A vCPU that waits for INIT and SIPI will wait for ever (no
 * one sends them while it runs); any other has stalled once it took
 * STALL_BASE_S more than twice the whole recording.  A forged or diverging
 * trace hung replay and check in KVM_RUN with no way out but a signal.
 * replay_run() keeps it ticking; a gdb session, which stops anywhere, not.
 */
#define STALL_TICK_S 2
#define STALL_BASE_S 10
static const struct itimerval watchdog = { { STALL_TICK_S, 0 }, { STALL_TICK_S, 0 } };
static bool watchdog_on;

static int64_t ns_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t0->tv_sec) * 1000000000ll + (now.tv_nsec - t0->tv_nsec);
}

/* The reader's error, or a format error of ours, as the result's error. */
static int reader_fail(struct replay *r, int rc)
{
	r->res->err = *xt_reader_error(r->rd);
	if (!r->res->err.code)
		r->res->err.code = rc;
	return rc;
}

static int writer_fail(struct replay *r)
{
	r->res->err = *xt_writer_error(r->w);
	return r->res->err.code ? r->res->err.code : -EIO;
}

/* Copy what a step record changed into our copy of the recorded state. */
static void apply_changed(struct xt_state *dst, const struct xt_state *src, const struct xt_field_set *changed)
{
	XT_FIELD_SET_FOREACH(changed, id) {
		const struct xt_field *f = xt_field_by_id(id);
		if (!f)
			continue;
		if (f->kind == XT_KIND_U64) {
			xt_field_put(dst, f, xt_field_get(src, f));
			continue;
		}
		uint32_t len;
		const uint8_t *p = xt_field_blob(src, f, &len);
		*(uint32_t *)((char *)dst + f->len_offset) = len;
		memcpy((char *)dst + f->offset, p, len);
	}
}

static int open_output(struct replay *r)
{
	const struct xt_header *h = r->h;
	struct xt_header nh = *h;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	nh.tool_version = xt_version();
	nh.created_sec = now.tv_sec;
	nh.created_nsec = (uint32_t)now.tv_nsec;
	nh.host = r->host.host;
	/* statistics are this recorder's business: a replay does not read them */
	nh.vm.capture &= ~XT_CAPTURE_STATS;
	nh.vm.stats_names = NULL;
	nh.vm.n_stats = 0;
	/* nor the host's time (SPEC 4.1): its own new trace would claim clocks it never read */
	nh.vm.capture &= ~XT_CAPTURE_TIME;
	nh.vm.time_hz = 0;
	struct xt_kv *extra = calloc(h->n_extra + 1, sizeof(*extra));
	if (!extra)
		return rec_err(&r->res->err, -ENOMEM, "out of memory");
	memcpy(extra, h->extra, h->n_extra * sizeof(*extra));
	extra[h->n_extra] = (struct xt_kv){ "replay-of", r->o->path };
	nh.extra = extra;
	nh.n_extra = h->n_extra + 1;
	/* regions the reader does not hold are in guest memory, untouched yet by the guest */
	struct xt_mem_region *mem = calloc(h->vm.n_memory + 1, sizeof(*mem));
	uint8_t *image = h->image.data ? NULL : malloc(h->image.size + 1);
	int rc = -ENOMEM;
	if (!mem || (!h->image.data && !image)) {
		rec_err(&r->res->err, rc, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < h->vm.n_memory; i++) {
		mem[i] = h->vm.memory[i];
		if (!mem[i].data)
			mem[i].data = r->vm.mem + mem[i].gpa;
	}
	nh.vm.memory = mem;
	if (image) {
		if ((rc = xt_reader_load_image(r->rd, image))) {
			reader_fail(r, rc);
			goto out;
		}
		nh.image.data = image;
	}
	struct xt_writer_options wo = XT_WRITER_OPTIONS_INIT;
	wo.zstd_level = REC_ZSTD_LEVEL;	/* as the recorder's own trace */
	rc = xt_writer_open(&r->w, r->o->output, &nh, &wo, &r->res->err);
out:
	free(image);
	free(mem);
	free(extra);
	return rc;
}

/* What the recording's footer says: how many steps, how it ended. */
static void take_footer(struct replay_result *res, const struct xt_footer *f)
{
	res->truncated = false;
	res->recorded_steps = f->steps;
	res->end_reason = f->end_reason;
	res->end_code = f->end_code;
	snprintf(res->end_detail, sizeof(res->end_detail), "%s", f->end_detail ? f->end_detail : "");
	res->record_seconds = (double)f->duration_ns / 1e9;
}

static void select_vcpu(struct replay *r, struct replay_vcpu *v)
{
	kvm_vm_select(&r->vm, v->index);
	r->vc = v;
}

static int setup(struct replay *r)
{
	struct replay_result *res = r->res;
	int rc;
	if ((rc = xt_reader_open(&r->rd, r->o->path, &res->err)))
		return rc;
	r->h = xt_reader_header(r->rd);
	const struct xt_header *h = r->h;
	const struct xt_footer *f = xt_reader_footer(r->rd);
	if (f) {
		take_footer(res, f);
	} else {
		res->truncated = true;
		/* what a killed recorder left: its complete frames (read once, quickly) */
		if ((rc = xt_reader_count_steps(r->rd, &res->recorded_steps)))
			return reader_fail(r, rc);
		/* a footer frame whose trailer was lost makes the trace complete (spec 9) */
		f = xt_reader_footer(r->rd);
		if (f)
			take_footer(res, f);
	}
	res->capture = h->vm.capture;
	memcpy(res->masks, h->compare_masks, sizeof(res->masks));
	snprintf(res->recorded_kernel, sizeof(res->recorded_kernel), "%s",
		 h->host.kernel_release ? h->host.kernel_release : "?");
	snprintf(res->recorded_module, sizeof(res->recorded_module), "%s",
		 h->host.kvm_module ? h->host.kvm_module : "?");
	state_compare_init(&r->cmp, h->vm.capture, h->compare_masks);

	r->attached = attached_trace(h);
	if ((rc = vm_build(&r->vm, h, &res->err)))
		return rc;
	/* the regions the reader does not hold, read into guest memory once (zero pages stay untouched) */
	if ((rc = xt_reader_load_memory(r->rd, r->vm.mem, h->vm.mem_size)))
		return reader_fail(r, rc);
	host_probe(&r->host, &r->vm);
	struct xt_cpuid_entry *cpuid = NULL;
	size_t n_cpuid = 0;
	if (r->attached || kvm_vm_supported_cpuid(&r->vm, &cpuid, &n_cpuid, NULL) < 0)
		n_cpuid = 0;
	/* an attached VMM's CPUID is its own choice, not what its host offered: not a host difference */
	rc = host_diff(&h->host, &r->host.host, h->vm.cpuid, r->attached ? 0 : h->vm.n_cpuid, cpuid, n_cpuid,
		       &res->hosts);
	free(cpuid);
	if (rc)
		return rec_err(&res->err, rc, "out of memory");
	r->n_vcpus = r->vm.n_vcpus;
	res->vcpus = r->n_vcpus;
	r->vcpus = calloc(r->n_vcpus, sizeof(*r->vcpus));
	if (!r->vcpus)
		return rec_err(&res->err, -ENOMEM, "out of memory");
	for (uint32_t i = r->n_vcpus; i-- > 0;) {
		struct replay_vcpu *v = &r->vcpus[i];
		const struct xt_state *initial = i ? &h->initial_vcpus[i - 1] : h->initial;
		v->index = i;
		select_vcpu(r, v);
		if ((rc = vstep_init(&v->st, &r->vm, h->vm.guest_debug, h->vm.debugreg, &res->err)))
			return rc;
		/* what KVM holds now is where replay starts: it must be the recorded start */
		if ((rc = kvm_vm_get_state(&r->vm, &v->cur, h->vm.capture, &res->err)))
			return rc;
		v->cur.exit = initial->exit;
		v->rec = *initial;
		v->prev = v->cur;
	}
	injector_init(&r->inj, h->vm.injections, h->vm.n_injections);
	devices_init(&r->dev, NULL, &r->vm, (uint16_t)r->n_vcpus);
	if (r->o->output && (rc = open_output(r)))
		return rc;
	return 0;
}

static void keep_event(struct replay_divergence *d, const struct xt_event *ev)
{
	if (ev->kind != XT_EV_IRQ_INJECT && ev->kind != XT_EV_IRQ_TAKEN && ev->kind != XT_EV_INPUT)
		return;	/* only the kinds that hold no pointers */
	if (d->n_events < sizeof(d->events) / sizeof(d->events[0]))
		d->events[d->n_events++] = *ev;
	if (ev->kind == XT_EV_INPUT)	/* an answer's bytes go with the reader's buffer */
		d->events[d->n_events - 1].input.data = NULL;
}

/* The recorded steps around the divergence, read again from the trace. */
static void gather_context(struct replay *r, struct replay_divergence *d)
{
	unsigned k = r->o->context;
	if (k > REPLAY_CONTEXT_MAX)
		k = REPLAY_CONTEXT_MAX;
	uint64_t first = d->step > k ? d->step - k : 1, last = d->step + k;
	if (d->step == 0 || k == 0 || xt_reader_seek(r->rd, first) < 0)
		return;
	struct xt_record rec = XT_RECORD_INIT;
	while (xt_reader_next(r->rd, &rec) > 0) {
		if (rec.step > last)
			break;
		if (rec.type == XT_REC_EVENT) {
			keep_event(d, rec.event);
		} else if (rec.type == XT_REC_STEP && rec.step < d->step && d->n_before < k) {
			d->before[d->n_before++] = (struct replay_step){ rec.step, rec.vcpu, *rec.state };
		} else if (rec.type == XT_REC_STEP && rec.step > d->step && d->n_after < k) {
			d->after[d->n_after++] = (struct replay_step){ rec.step, rec.vcpu, *rec.state };
		}
	}
}

/* What the replayed step did besides its state, for the report. */
static void replayed_events(struct replay *r, struct replay_divergence *d)
{
	struct insn in;
	uint8_t bytes[16];
	size_t n = gmem_read(&r->vm, &r->vc->prev.sregs, gmem_code_linear(&r->vc->prev), bytes, sizeof(bytes));
	insn_decode(bytes, n, gmem_code_bits(&r->vc->prev), &in);
	struct devices quiet = r->dev;
	quiet.out_len = 0;
	struct injector inj = r->inj;	/* as it was before the step was written out, if it was */
	struct xt_event evs[STEP_EVENTS_MAX];
	size_t k = step_events(&r->vm, &quiet, r->vc->have_insn ? &r->vc->insn : &in, &r->vc->prev, &r->vc->cur,
			       &inj, d->step, evs);
	for (size_t i = 0; i < k; i++)
		if (evs[i].kind != XT_EV_CONSOLE)
			d->replayed_events[d->n_replayed_events++] = evs[i];
}

static int diverge(struct replay *r, uint64_t step, const struct xt_field_set *set, size_t n)
{
	struct replay_divergence *d = calloc(1, sizeof(*d));
	if (!d)
		return rec_err(&r->res->err, -ENOMEM, "out of memory");
	d->step = step;
	d->recorded = r->vc->rec;
	d->vcpu = r->vc->index;
	d->vcpu_step = r->vc->steps;
	d->replayed = r->vc->cur;
	d->fields = *set;
	d->n_fields = n;
	snprintf(d->note, sizeof(d->note), "%s", r->note);
	if (step)
		replayed_events(r, d);
	gather_context(r, d);
	r->res->div = d;
	r->res->outcome = REPLAY_DIVERGED;
	return 1;
}

static int write_step(struct replay *r, uint64_t step)
{
	if (xt_writer_step_vcpu(r->w, r->vc->index, &r->vc->cur, 0))
		return writer_fail(r);
	struct xt_event evs[STEP_EVENTS_MAX];
	size_t n = step_events(&r->vm, &r->dev, r->vc->have_insn ? &r->vc->insn : NULL, &r->vc->prev, &r->vc->cur,
			       &r->inj, step, evs);
	for (size_t i = 0; i < n; i++) {
		evs[i].vcpu = r->vc->index;
		if (xt_writer_event(r->w, &evs[i]))
			return writer_fail(r);
	}
	return 0;
}

/* Our copy of the vCPU's registers into it, set at the next KVM_RUN through kvm_run->s.regs. */
static void push_regs(struct replay *r)
{
	struct kvm_run *run = r->vm.run;
	memcpy(&run->s.regs.regs, &r->vc->cur.regs, sizeof(run->s.regs.regs));
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/*
 * An instruction that leaves RFLAGS bits undefined (AF after SHL or XOR,
 * SF/ZF/AF/PF after MUL, ...) may set them otherwise on this CPU than on
 * the recording's: AMD and Intel do.  Those bits are an input of the
 * recording, as RDTSC's result is: when they are the step's only
 * difference, the vCPU takes the recorded ones and the replay goes on.
 * Replay finds them itself (the recorder does not mark them: most
 * instructions of a guest leave one undefined, and most hosts agree).
 */
static bool feed_undefined_flags(struct replay *r, const struct xt_field_set *set, size_t n)
{
	if (n != 1 || !xt_field_set_has(set, XT_F_RFLAGS))
		return false;
	/*
	 * Only where the step ran that one instruction and fell through: a
	 * step that delivered an interrupt, or jumped, ran other code.
	 */
	if (r->vc->cur.regs.rip <= r->vc->prev.regs.rip || r->vc->cur.regs.rip - r->vc->prev.regs.rip > 15 ||
	    r->vc->cur.sregs.cs.base != r->vc->prev.sregs.cs.base)
		return false;
	uint8_t bytes[16];
	size_t len = gmem_read(&r->vm, &r->vc->prev.sregs, gmem_code_linear(&r->vc->prev), bytes, sizeof(bytes));
	uint64_t undefined = insn_undefined_flags(bytes, len, gmem_code_bits(&r->vc->prev), r->vc->prev.regs.rcx);
	uint64_t differ = (r->vc->rec.regs.rflags ^ r->vc->cur.regs.rflags) & r->cmp.masks[XT_F_RFLAGS];
	if (!differ || (differ & ~undefined))
		return false;
	r->vc->cur.regs.rflags ^= differ;
	push_regs(r);
	r->res->undefined_flags_fed++;
	if (!r->res->first_undefined_step)
		r->res->first_undefined_step = r->done + 1;
	return true;
}

/* Compare the pending step with the recording.  1: it diverged; 0: on; < 0: error. */
static int finish_step(struct replay *r)
{
	if (!r->pending)
		return 0;
	r->pending = false;
	select_vcpu(r, r->pend);
	uint64_t step = r->done + 1;
	struct xt_field_set set;
	size_t n = state_compare(&r->cmp, &r->vc->rec, &r->vc->cur, true, &set);
	if (n && feed_undefined_flags(r, &set, n))
		n = 0;
	int rc;
	if (r->w && (rc = write_step(r, step)))
		return rc;
	if (n || r->note[0])
		return diverge(r, step, &set, n);
	r->done = step;
	r->res->steps = step;
	return 0;
}

/* The values the recording's non-deterministic instruction returned, into the vCPU. */
static void feed_input(struct replay *r, const struct xt_event *ev)
{
	bool regs = false;
	for (uint32_t i = 0; i < ev->input.n && i < XT_INPUT_MAX_VALUES; i++) {
		const struct xt_field *f = xt_field_by_id(ev->input.v[i].field);
		if (!f || f->block != XT_BLOCK_REGS)
			continue;
		xt_field_put(&r->vc->cur, f, ev->input.v[i].value);
		regs = true;
	}
	if (!regs)
		return;
	push_regs(r);
	r->res->inputs_fed++;
}

/*
 * An attached trace's VMM answered its vCPU's IN or MMIO read between two
 * KVM_RUNs: the answer goes into that vCPU's run page, where the next
 * KVM_RUN takes it as the VMM's did.  A run page whose exit is not the
 * same read diverged already, which the step's comparison reports.
 */
static void feed_answer(struct replay *r, const struct xt_event *ev)
{
	if (!r->attached || !ev->input.data || ev->vcpu >= r->n_vcpus)
		return;
	struct kvm_run *run = r->vm.runs[ev->vcpu];
	size_t n = ev->input.data_len;
	uint64_t io_len;
	uint8_t *io = run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN ?
		      kvm_run_io_data(run, r->vm.run_size, &io_len) : NULL;
	if (io && io_len == n)
		memcpy(io, ev->input.data, n);
	else if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write && run->mmio.len == n &&
		 n <= sizeof(run->mmio.data))
		memcpy(run->mmio.data, ev->input.data, n);
	else
		return;
	r->res->inputs_fed++;
}

/*
 * SPEC 6, note: the recorder says the trace does not hold what happened
 * before this step (attach: the VMM set state it did not record), so
 * replay ends there.  The step that ran after it is not compared: its
 * difference would be the VMM's doing, not this host's.
 */
#define NOT_REPLAYABLE "not replayable: "

static int note_stop(struct replay *r, const struct xt_event *ev)
{
	if (strncmp(ev->note.text, NOT_REPLAYABLE, strlen(NOT_REPLAYABLE)))
		return 0;
	r->pending = false;
	return rec_err(&r->res->err, -ENOTSUP, "%s: replay stops at step %llu: %s", r->o->path,
		       (unsigned long long)ev->step, ev->note.text + strlen(NOT_REPLAYABLE));
}

/* The recorded injections of step, made the way the recording made them. */
static void inject(struct replay *r, uint64_t step)
{
	injector_queue_due(&r->inj, step);
	size_t kept = 0;
	for (size_t i = 0; i < r->n_injections; i++) {
		struct xt_event *ev = &r->injections[i];
		if (ev->step > step) {
			r->injections[kept++] = *ev;
			continue;
		}
		if (ev->step < step)
			continue;	/* for a step that never ran */
		int res = injector_replay(&r->inj, &r->vm, ev->inject.method, ev->inject.vector,
					  ev->inject.port);
		r->res->injections++;
		if (res != ev->inject.result && !r->note[0])
			snprintf(r->note, sizeof(r->note),
				 "irq-inject vector 0x%x via %s: the recording's ioctl returned %d, the replay's %d",
				 ev->inject.vector, xt_inject_method_name(ev->inject.method),
				 ev->inject.result, res);
		if (r->w) {
			struct xt_event out = *ev;
			out.inject.result = res;
			xt_writer_event(r->w, &out);	/* an error is reported after the injections */
		}
	}
	r->n_injections = kept;
	injector_replay_window(&r->inj, &r->vm);
}

/* Answer an I/O or MMIO read with the bytes the recording's guest got. */
static void feed_read(struct replay *r)
{
	struct kvm_run *run = r->vm.run;
	const struct xt_exit *e = &r->vc->rec.exit;
	if (r->attached)
		return;		/* no devices of ours, and the VMM's answer comes as an event: feed_answer() */
	if (run->exit_reason == KVM_EXIT_IO) {
		devices_io(&r->dev, run);
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			injector_port_write(&r->inj, run->io.port);
			return;
		}
		uint64_t n;
		uint8_t *data = kvm_run_io_data(run, r->vm.run_size, &n);
		if (data && e->reason == KVM_EXIT_IO && e->io_direction == KVM_EXIT_IO_IN && e->io_data_len == n)
			memcpy(data, e->io_data, n);
	} else if (run->exit_reason == KVM_EXIT_MMIO) {
		devices_mmio(&r->dev, run);
		if (!run->mmio.is_write && e->reason == KVM_EXIT_MMIO && !e->mmio_is_write &&
		    e->mmio_data_len == run->mmio.len && run->mmio.len <= sizeof(run->mmio.data))
			memcpy(run->mmio.data, e->mmio_data, run->mmio.len);
	}
}

/*
 * The selected vCPU's KVM_RUN for step has not returned after ticks of the
 * watchdog: true, with r->note saying why, if it never will.
 */
static bool stalled_step(struct replay *r, uint64_t step, long ticks)
{
	int mp = kvm_vm_get_mp_state(&r->vm);
	const char *state = mp >= 0 ? xt_mp_state_name((uint32_t)mp) : NULL;
	if (mp == KVM_MP_STATE_INIT_RECEIVED || mp == KVM_MP_STATE_SIPI_RECEIVED) {
		snprintf(r->note, sizeof(r->note), "vCPU %u waits for INIT and SIPI (run state %s) at step %llu, "
			 "which the recording has it run", r->vc->index, state ? state : "?", (unsigned long long)step);
		return true;
	}
	double limit = STALL_BASE_S + 2 * r->res->record_seconds;
	if ((double)ticks * STALL_TICK_S < limit)
		return false;
	snprintf(r->note, sizeof(r->note), "vCPU %u did not finish step %llu: KVM_RUN had not returned after %ld s "
		 "(run state %s), more than twice the whole recording's %.3f s", r->vc->index,
		 (unsigned long long)step, ticks * STALL_TICK_S, state ? state : "?", r->res->record_seconds);
	return true;
}

/* Run step done + 1, whose recorded state is in r->vc->rec. */
static int run_step(struct replay *r)
{
	struct kvm_run *run = r->vm.run;
	uint64_t step = r->done + 1;
	struct xt_error *err = &r->res->err;
	int rc;
	r->note[0] = 0;
	r->vc->have_insn = false;
	if (r->w && (r->h->vm.guest_debug & KVM_GUESTDBG_SINGLESTEP)) {
		uint8_t bytes[16];
		size_t n = gmem_read_cached(&r->vm, &r->vc->code_tlb, &r->vc->cur.sregs, gmem_code_linear(&r->vc->cur),
					    bytes, sizeof(bytes));
		insn_decode(bytes, n, gmem_code_bits(&r->vc->cur), &r->vc->insn);
		/* the guest's own TLB flushes flush ours, where the recorder's flushed */
		if (r->vc->insn.kind == INSN_INVLPG || r->vc->insn.kind == INSN_MOV_CR3)
			gmem_tlb_flush(&r->vc->code_tlb);
		r->vc->have_insn = true;
	}
	if (r->vc->index == 0)	/* the injection schedule is vCPU 0's */
		inject(r, step);
	if (r->w && xt_writer_error(r->w)->code)
		return writer_fail(r);

	/*
	 * A recorded interrupted run did nothing: immediate_exit does the same
	 * nothing.  Except where the recording's vCPU moved inside it (with
	 * several vCPUs, or unstepped): then the run is made for real, and a
	 * timer ends it as the recorder's did.
	 */
	bool intr = r->vc->rec.exit.reason == KVM_EXIT_INTR;
	/* several vCPUs, or unstepped: the halted end of a --no-step recording, run up to the HLT */
	bool unstepped = !(r->h->vm.guest_debug & KVM_GUESTDBG_SINGLESTEP);
	bool moved = intr && (r->n_vcpus > 1 || unstepped) && r->vc->rec.regs.rip != r->vc->cur.regs.rip;
	/* a VMM's own immediate_exit (attach): KVM_RUN failed with EINTR before entering the guest */
	bool failed_intr = r->vc->rec.exit.reason == XT_EXIT_RUN_FAILED && r->vc->rec.exit.run_errno == EINTR;
	run->immediate_exit = (intr && !moved) || failed_intr;
	int ret, e;
	rec_own_before_run(&r->res->own);
	if (moved)
		setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, INTR_RUN_US } }, NULL);
	sig_atomic_t ticks_at_start = alarm_ticks;
	bool stalled = false;
	for (;;) {
		if ((rc = vstep_run(&r->vc->st, &ret, &e, err)))
			break;
		if (!vstep_interrupted(ret, e) || intr || failed_intr)
			break;
		if (stop_signal) {
			rc = 1;
			break;
		}
		if (watchdog_on && alarm_ticks != ticks_at_start &&
		    (stalled = stalled_step(r, step, alarm_ticks - ticks_at_start)))
			break;
	}
	if (moved)	/* the watchdog ticks again, where it did */
		setitimer(ITIMER_REAL, watchdog_on ? &watchdog : &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	if (rc)
		return rc;
	run->immediate_exit = 0;
	rec_own_after_run(&r->res->own, r->done);

	vstep_advance(&r->vc->st, &r->vc->prev, &r->vc->cur);
	r->dev.out_len = 0;
	if ((intr || stalled) && vstep_interrupted(ret, e)) {
		r->vc->cur.exit.reason = KVM_EXIT_INTR;
		r->vc->cur.exit.run_ret = (uint64_t)(int64_t)ret;
		r->vc->cur.exit.run_errno = (uint64_t)e;
		r->res->intr_steps++;
	} else {
		if (ret == 0)
			feed_read(r);
		bool exited = vstep_capture_exit(&r->vc->st, &r->vc->cur, ret, e);
		if (r->attached)
			vstep_clear_read_data(&r->vc->cur.exit);
		if (exited && (rc = vstep_after_exit(&r->vc->st, &r->vc->cur, err)))
			return rc;
	}
	uint32_t heavy = r->h->vm.capture & (XT_CAPTURE_LAPIC | XT_CAPTURE_DEBUGREGS | XT_CAPTURE_FPU);
	if (heavy && (rc = kvm_vm_get_heavy(&r->vm, &r->vc->cur, heavy, err)))
		return rc;
	r->pending = true;
	r->pend = r->vc;
	return 0;
}

static void progress(struct replay *r)
{
	if (!r->o->progress || (r->done % PROGRESS_EVERY))
		return;
	int64_t ns = ns_since(&r->t0);
	if (ns < r->next_progress_ns)
		return;
	r->next_progress_ns = ns + PROGRESS_NS;
	r->o->progress(r->o->progress_ctx, r->done, r->res->recorded_steps, (double)ns / 1e9);
}

/* The initial state, as KVM holds it after set-up, against the recorded one. */
static int check_start(struct replay *r)
{
	for (uint32_t i = 0; i < r->n_vcpus; i++) {
		struct xt_field_set set;
		select_vcpu(r, &r->vcpus[i]);
		size_t n = state_compare(&r->cmp, &r->vc->rec, &r->vc->cur, false, &set);
		if (n)
			return diverge(r, 0, &set, n);
	}
	return 0;
}

/*
 * A vCPU's run state changed in the recording (an AP started by SIPI, a
 * vCPU sent back to wait-for-SIPI by INIT): ask KVM here at the same point,
 * which makes it take the INIT or SIPI as the recorder's question did, and
 * start from the state KVM gave the vCPU.  At step 0, the state the
 * recording's vCPU started in, where it is not the default.
 */
static int take_mp_state(struct replay *r, const struct xt_event *ev)
{
	if (ev->vcpu >= r->n_vcpus)
		return rec_err(&r->res->err, -EINVAL, "%s: an mp-state event of vCPU %u, of %u", r->o->path,
			       ev->vcpu, r->n_vcpus);
	struct replay_vcpu *back = r->vc, *v = &r->vcpus[ev->vcpu];
	select_vcpu(r, v);
	int rc = 0;
	if (ev->step == 0 && !r->done && !r->pending) {
		if ((rc = kvm_vm_set_mp_state(&r->vm, ev->mp.to)))
			rc = rec_err(&r->res->err, rc, "KVM_SET_MP_STATE of vCPU %u: %s", v->index, strerror(-rc));
		select_vcpu(r, back);
		return rc;
	}
	int mp = kvm_vm_get_mp_state(&r->vm);
	if (mp < 0) {
		rc = rec_err(&r->res->err, mp, "KVM_GET_MP_STATE of vCPU %u: %s", v->index, strerror(-mp));
	} else if ((uint32_t)mp != ev->mp.to) {
		if (!r->note[0]) {
			const char *want = xt_mp_state_name(ev->mp.to), *got = xt_mp_state_name((uint32_t)mp);
			snprintf(r->note, sizeof(r->note), "vCPU %u's run state: recorded %s, replayed %s",
				 v->index, want ? want : "?", got ? got : "?");
		}
	} else if (mp == KVM_MP_STATE_RUNNABLE &&
		   !(rc = vstep_reload(&v->st, &v->cur, &v->prev, r->h->vm.capture, &r->res->err))) {
		gmem_tlb_flush(&v->code_tlb);
		r->res->mp_changes++;
	}
	select_vcpu(r, back);
	return rc;
}

/* An event record: queued, fed into the pending step, or acted on. */
static int take_event(struct replay *r, const struct xt_event *ev)
{
	if (ev->kind == XT_EV_IRQ_INJECT && r->n_injections < INJECT_MAX)
		r->injections[r->n_injections++] = *ev;
	else if (ev->kind == XT_EV_INPUT && ev->input.what == XT_INPUT_ANSWER)
		feed_answer(r, ev);
	else if (ev->kind == XT_EV_INPUT && r->pending && ev->step == r->done + 1)
		feed_input(r, ev);
	else if (ev->kind == XT_EV_NOTE && r->pending && ev->step == r->done + 1 && ev->note.text &&
		 !strncmp(ev->note.text, ACPI_S3_RESUMED_NOTE, strlen(ACPI_S3_RESUMED_NOTE)))
		r->recorded_s3 = true;
	else if (ev->kind == XT_EV_NOTE)
		return note_stop(r, ev);
	else if (ev->kind == XT_EV_MP_STATE)
		return take_mp_state(r, ev);
	return 0;
}

/*
 * The records after the pending step's record, up to the next step record
 * (left unread) or the end: its events, then the next step's injections.
 */
static int take_step_events(struct replay *r)
{
	struct xt_record rec = XT_RECORD_INIT;
	uint32_t type;
	int rc;
	while ((rc = xt_reader_peek(r->rd, &type)) > 0 && type != XT_REC_STEP) {
		if ((rc = xt_reader_next(r->rd, &rec)) < 0)
			break;
		if (rc > 0 && rec.type == XT_REC_EVENT && (rc = take_event(r, rec.event)))
			return rc;
	}
	return rc < 0 ? reader_fail(r, rc) : 0;
}

int replay_next(struct replay *r)
{
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	if (r->ended)
		return REPLAY_NEXT_END;
	for (;;) {
		if ((rc = xt_reader_next(r->rd, &rec)) < 0)
			return reader_fail(r, rc);
		if (rc == 0) {
			r->ended = true;
			/* every step replayed the same, but of a trace whose footer says otherwise: not a pass */
			const struct xt_error *inc = xt_reader_inconsistency(r->rd);
			if (inc) {
				r->res->err = *inc;
				return inc->code;
			}
			return REPLAY_NEXT_END;
		}
		if (rec.type == XT_REC_STEP)
			break;
		if (rec.type == XT_REC_EVENT && (rc = take_event(r, rec.event)))
			return rc;
	}
	/*
	 * The step before wrote SLP_EN: the platform acts as the recording
	 * says it did, not as this build's device code would (an older
	 * recorder ignored some writes this one takes).  S5 ended that
	 * recording; S3 resumed it, which its note says.
	 */
	if (r->recorded_s3)
		acpi_s3_resume(&r->vm, &r->vc->cur);
	r->recorded_s3 = false;
	r->dev.pm.sleep_requested = false;
	if (rec.step != r->done + 1)
		return rec_err(&r->res->err, -EINVAL, "%s: step %llu follows step %llu",
			       r->o->path, (unsigned long long)rec.step, (unsigned long long)r->done);
	if (stop_signal)
		return REPLAY_NEXT_SIGNALLED;
	if (rec.vcpu >= r->n_vcpus)
		return rec_err(&r->res->err, -EINVAL, "%s: step %llu of vCPU %u, of %u", r->o->path,
			       (unsigned long long)rec.step, rec.vcpu, r->n_vcpus);
	select_vcpu(r, &r->vcpus[rec.vcpu]);
	r->vc->steps = rec.vcpu_step;
	apply_changed(&r->vc->rec, rec.state, rec.changed);
	if ((rc = run_step(r)))
		return rc < 0 ? rc : REPLAY_NEXT_SIGNALLED;
	if ((rc = take_step_events(r)))
		return rc;
	rc = finish_step(r);
	return rc < 0 ? rc : rc ? REPLAY_NEXT_DIVERGED : REPLAY_NEXT_STEPPED;
}

int replay_reposition(struct replay *r, uint64_t step)
{
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	r->n_injections = 0;
	r->pending = false;
	r->ended = false;
	r->note[0] = 0;
	r->done = step;
	r->res->steps = step;
	if ((rc = xt_reader_seek(r->rd, step)) < 0)
		return reader_fail(r, rc);
	if (step == 0)
		return 0;
	/* through step's own record: what it did is in the VM already */
	while ((rc = xt_reader_next(r->rd, &rec)) > 0 && rec.type != XT_REC_STEP)
		;
	if (rc < 0)
		return reader_fail(r, rc);
	if (rc == 0 || rec.step != step)
		return rec_err(&r->res->err, -EINVAL, "%s: step %llu is not where the frame index says",
			       r->o->path, (unsigned long long)step);
	/* its events are in the VM too; the next step's injections are queued again */
	uint32_t type;
	while ((rc = xt_reader_peek(r->rd, &type)) > 0 && type != XT_REC_STEP) {
		if ((rc = xt_reader_next(r->rd, &rec)) < 0)
			break;
		if (rc > 0 && rec.type == XT_REC_EVENT && rec.event->kind == XT_EV_IRQ_INJECT &&
		    rec.event->step > step && r->n_injections < INJECT_MAX)
			r->injections[r->n_injections++] = *rec.event;
	}
	return rc < 0 ? reader_fail(r, rc) : 0;
}

static int close_output(struct replay *r)
{
	struct replay_result *res = r->res;
	struct xt_footer f = { .duration_ns = (uint64_t)(res->seconds * 1e9) };
	if (res->outcome == REPLAY_IDENTICAL && !res->truncated) {
		f.end_reason = res->end_reason;
		f.end_code = res->end_code;
		f.end_detail = res->end_detail;
	} else {
		char detail[160];
		if (res->outcome == REPLAY_DIVERGED)
			snprintf(detail, sizeof(detail), "replay diverged from the recording at step %llu",
				 (unsigned long long)res->div->step);
		else if (res->outcome == REPLAY_STOPPED)
			snprintf(detail, sizeof(detail), "replay stopped by signal %d", res->signal);
		else
			snprintf(detail, sizeof(detail), "replay of a truncated trace: its recording's end is lost");
		f.end_detail = detail;
	}
	res->output_bytes = xt_writer_bytes(r->w);
	int rc = xt_writer_close(r->w, &f, &res->err);
	r->w = NULL;
	return rc;
}

static void teardown(struct replay *r)
{
	if (r->w)
		xt_writer_abandon(r->w);
	host_info_free(&r->host);
	kvm_vm_close(&r->vm);
	free(r->vcpus);
	xt_reader_close(r->rd);
}

int replay_open(struct replay **out, const struct replay_options *o, struct replay_result *res)
{
	struct replay *r = calloc(1, sizeof(*r));	/* three states: too big for the stack */
	memset(res, 0, sizeof(*res));
	*out = NULL;
	if (!r)
		return rec_err(&res->err, -ENOMEM, "out of memory");
	r->o = o;
	r->res = res;
	r->vm.kvm_fd = r->vm.vm_fd = r->vm.vcpu_fd = -1;
	stop_signal = 0;
	int rc = setup(r);
	if (rc) {
		teardown(r);
		free(r);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if ((rc = check_start(r)) < 0) {
		teardown(r);
		free(r);
		return rc;
	}
	*out = r;
	return rc;
}

void replay_catch_alarm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: it must interrupt KVM_RUN */
}

void replay_close(struct replay *r)
{
	if (!r)
		return;
	teardown(r);
	free(r);
}

int replay_run(const struct replay_options *o, struct replay_result *res)
{
	struct replay *r;
	int rc = replay_open(&r, o, res);
	if (rc < 0)
		return rc;
	struct sigaction sa = { 0 };
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;	/* no SA_RESTART: a signal must interrupt KVM_RUN */
	sigaction(SIGINT, &sa, &r->old_int);
	sigaction(SIGTERM, &sa, &r->old_term);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &r->old_alrm);
	watchdog_on = true;
	setitimer(ITIMER_REAL, &watchdog, NULL);

	while (rc == 0 && (rc = replay_next(r)) == REPLAY_NEXT_STEPPED)
		progress(r);

	setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	watchdog_on = false;
	res->seconds = (double)ns_since(&r->t0) / 1e9;
	sigaction(SIGINT, &r->old_int, NULL);
	sigaction(SIGTERM, &r->old_term, NULL);
	sigaction(SIGALRM, &r->old_alrm, NULL);
	if (rc >= 0 && !res->outcome) {
		res->outcome = rc == REPLAY_NEXT_SIGNALLED ? REPLAY_STOPPED : REPLAY_IDENTICAL;
		res->signal = stop_signal;
	}
	if (rc >= 0 && r->w)
		rc = close_output(r);
	replay_close(r);
	return rc < 0 ? rc : 0;
}

void replay_result_free(struct replay_result *res)
{
	host_diff_free(&res->hosts);
	free(res->div);
	res->div = NULL;
}
