// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* sched_getaffinity, CPU_COUNT */
/*
 * The step loop.  Per step it costs one KVM_RUN and what it reads from
 * kvm_run: state comes from kvm_run->s.regs (KVM_CAP_SYNC_REGS), never from
 * per-step ioctls unless --capture asks for heavier sets.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "acpi_sleep.h"
#include "acpi_tables.h"
#include "arrival.h"
#include "cpu_setup.h"
#include "devices.h"
#include "guest_mem.h"
#include "host_probe.h"
#include "insn.h"
#include "ipi_watch.h"
#include "ktrace.h"
#include "pit_ticks.h"
#include "rec_util.h"
#include "recorder.h"
#include "recorder_internal.h"
#include "step_events.h"
#include "vcpu_stats.h"
#include "vcpu_step.h"
#include "writer_thread.h"
#include "xt_util.h"

#define TICK_US 100000
#define RFLAGS_IF (1ull << 9)
#define EVENTS_MAX 8

/* Set from signal handlers; one recording runs at a time. */
volatile sig_atomic_t rec_stop_signal, rec_tick;

static void on_stop(int sig)
{
	rec_stop_signal = sig;
}

static void on_tick(int sig)
{
	(void)sig;
	rec_tick = 1;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The initial memory is recorded as its non-zero pages, merged into runs. */
static int snapshot_memory(struct recorder *r)
{
	static const uint8_t zero[4096];
	size_t cap = 16;
	r->regions = calloc(cap, sizeof(*r->regions));
	if (!r->regions)
		return rec_err(&r->res->err, -ENOMEM, "out of memory");
	for (uint64_t a = 0; a < r->vm.mem_size; a += 4096) {
		if (!memcmp(r->vm.mem + a, zero, 4096))
			continue;
		struct xt_mem_region *last = r->n_regions ? &r->regions[r->n_regions - 1] : NULL;
		if (last && last->gpa + last->size == a) {
			last->size += 4096;
			continue;
		}
		if (r->n_regions == cap) {
			cap *= 2;
			struct xt_mem_region *p = realloc(r->regions, cap * sizeof(*p));
			if (!p)
				return rec_err(&r->res->err, -ENOMEM, "out of memory");
			r->regions = p;
		}
		r->regions[r->n_regions++] = (struct xt_mem_region){ a, r->vm.mem + a, 4096 };
	}
	return 0;
}

static int setup_debug(struct recorder *r)
{
	const struct record_options *o = r->o;
	uint64_t dr[8] = { 0 };
	uint32_t control = 0;
	if (!o->no_step)
		control |= KVM_GUESTDBG_SINGLESTEP;
	if (o->block_irq)
		control |= KVM_GUESTDBG_BLOCKIRQ;
	if (o->sw_bp)
		control |= KVM_GUESTDBG_USE_SW_BP;
	if (o->n_hw_bp) {
		control |= KVM_GUESTDBG_USE_HW_BP;
		dr[7] = 0x400;	/* bit 10 is reserved as 1 */
		for (size_t i = 0; i < o->n_hw_bp; i++) {
			const struct hw_breakpoint *b = &o->hw_bp[i];
			uint64_t addr = b->addr;
			if (b->symbol && !loader_symbol(&r->img, b->symbol, &addr))
				return rec_err(&r->res->err, -ENOENT, "%s has no symbol '%s' for a hardware breakpoint",
					       r->img.name, b->symbol);
			static const uint64_t len_bits[9] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
			uint32_t len = b->rw == 0 ? 1 : b->len;
			if (len != 1 && len != 2 && len != 4 && len != 8)
				return rec_err(&r->res->err, -EINVAL, "hardware breakpoint length %u: use 1, 2, 4 or 8", len);
			dr[i] = addr;
			dr[7] |= 2ull << (2 * i);	/* global enable */
			dr[7] |= (uint64_t)(b->rw & 3) << (16 + 4 * i) | len_bits[len] << (18 + 4 * i);
		}
	}
	if (control)
		control |= KVM_GUESTDBG_ENABLE;
	return vstep_init(&r->vc->st, &r->vm, control, dr, &r->res->err);
}

/*
 * The CPUs this process may run on (taskset, cpusets), or those online if
 * that cannot be read.  A CPU quota (cpu.max, docker --cpus) is not seen.
 */
static int cpus_allowed(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static int setup(struct recorder *r)
{
	const struct record_options *o = r->o;
	struct xt_error *err = &r->res->err;
	int rc;
	r->capture = o->capture | XT_CAPTURE_DEFAULT;
	if ((r->capture & XT_CAPTURE_LAPIC) && o->irqchip == XT_IRQCHIP_NONE)
		return rec_err(err, -EINVAL, "--capture lapic needs an in-kernel local APIC (--irqchip kernel or split)");

	if (o->ktrace && (rc = ktrace_open(&r->kt, getpid(), o->notice, err)))
		return rc;
	if ((rc = kvm_vm_open(&r->vm, o->mem_size, o->irqchip, err)))
		return rc;
	if (!r->vm.sync_regs)
		return rec_err(err, -ENOTSUP, "this KVM lacks KVM_CAP_SYNC_REGS for regs, sregs and events");
	r->n_vcpus = o->vcpus ? o->vcpus : 1;
	if ((rc = kvm_vm_add_vcpus(&r->vm, r->n_vcpus, NULL, err)))
		return rc;
	r->vcpus = calloc(r->n_vcpus, sizeof(*r->vcpus));
	if (!r->vcpus)
		return rec_err(err, -ENOMEM, "out of memory");
	if ((rc = kvm_vm_supported_cpuid(&r->vm, &r->cpuid, &r->n_cpuid, err)))
		return rc;
	/* each vCPU's CPUID names its own APIC ID; the header keeps vCPU 0's */
	for (uint32_t i = r->n_vcpus; i-- > 0;) {
		kvm_cpuid_set_apic_id(r->cpuid, r->n_cpuid, i);
		kvm_vm_select(&r->vm, i);
		if ((rc = kvm_vm_set_cpuid(&r->vm, r->cpuid, r->n_cpuid, err)))
			return rc;
		r->vcpus[i].index = i;
	}
	r->vc = &r->vcpus[0];

	r->img = (struct guest_image){ .name = o->image_name, .data = o->image, .size = o->image_size };
	if ((rc = loader_load(&r->vm, &r->img, &o->load, err)))
		return rc;
	if ((o->load.append || o->load.cmdline) && !r->img.multiboot)
		return rec_err(err, -EINVAL, "--%s is the command line of a multiboot kernel; %s is %s",
			       o->load.append ? "append" : "cmdline", r->img.name, r->img.kind);
	if (o->load.n_modules && !r->img.multiboot)
		return rec_err(err, -EINVAL, "--module is for a multiboot kernel; %s is %s", r->img.name,
			       r->img.kind);
	/* a PC's ACPI tables in the BIOS area, unless the guest itself was loaded there */
	if (r->vm.mem_size > ACPI_TABLES_BASE + ACPI_TABLES_SIZE &&
	    !loader_loaded_in(&r->img, ACPI_TABLES_BASE, ACPI_TABLES_SIZE))
		acpi_tables_build(r->vm.mem + ACPI_TABLES_BASE, ACPI_TABLES_SIZE, r->n_vcpus);
	if ((rc = legacy_pc_setup(&r->vm, o->legacy_pc, &r->img, o->idt, &r->platform, err)))
		return rc;
	uint64_t stack = cpu_default_stack(&r->vm, r->img.mode, r->img.entry);
	if ((rc = cpu_setup(&r->vm, r->img.mode, r->img.entry, stack, o->idt, err)) ||
	    (rc = loader_multiboot_regs(&r->vm, &r->img, &o->load, err)))
		return rc;
	if ((r->capture & XT_CAPTURE_STATS) && (rc = vcpu_stats_open(&r->stats, &r->vm, err)))
		return rc;
	if ((r->capture & XT_CAPTURE_TIME) && (rc = host_clock_init(&r->clock, err)))
		return rc;
	/* the others, as on a PC: application processors waiting for INIT and SIPI */
	for (uint32_t i = r->n_vcpus; i-- > 0;) {
		struct rec_vcpu *v = &r->vcpus[i];
		kvm_vm_select(&r->vm, i);
		r->vc = v;
		if (i && (rc = kvm_vm_set_mp_state(&r->vm, KVM_MP_STATE_INIT_RECEIVED)))
			return rec_err(err, rc, "KVM_SET_MP_STATE of vCPU %u: %s", i, strerror(-rc));
		if ((rc = setup_debug(r)) || (rc = kvm_vm_get_state(&r->vm, &v->cur, r->capture, err)))
			return rc;
		v->mp_state = i ? KVM_MP_STATE_INIT_RECEIVED : KVM_MP_STATE_RUNNABLE;
		v->cur.exit.reason = XT_EXIT_NONE;
		v->prev = v->cur;
	}
	if ((rc = snapshot_memory(r)))
		return rc;
	host_probe(&r->host, &r->vm);

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct xt_header h = {
		.tool_version = xt_version(), .argv = o->argv, .argc = o->argc,
		.created_sec = now.tv_sec, .created_nsec = (uint32_t)now.tv_nsec,
		.host = r->host.host, .initial = &r->vc->cur,
	};
	h.vm = (struct xt_vm_config){
		.mem_size = r->vm.mem_size, .cpu_mode = r->img.mode, .irqchip = o->irqchip,
		.guest_debug = r->vm.guest_debug, .capture = r->capture, .max_steps = o->max_steps,
		.timeout_ms = o->timeout_ms, .loader = o->scenario ? "scenario" : r->img.kind,
		.scenario = o->scenario, .append = r->img.cmdline, .load_addr = r->img.load_addr,
		.entry = r->img.entry, .cpuid = r->cpuid, .n_cpuid = r->n_cpuid,
		.memory = r->regions, .n_memory = r->n_regions, .injections = o->irqs,
		.n_injections = o->n_irqs, .stats_names = r->stats.names, .n_stats = r->stats.n,
		.platform = r->platform, .time_hz = r->capture & XT_CAPTURE_TIME ? r->clock.hz : 0,
	};
	memcpy(h.vm.debugreg, r->vc->st.dbg_regs, sizeof(h.vm.debugreg));
	h.vm.n_vcpus = r->n_vcpus;
	if (r->n_vcpus > 1) {
		r->ap_initial = malloc((r->n_vcpus - 1) * sizeof(*r->ap_initial));
		if (!r->ap_initial)
			return rec_err(err, -ENOMEM, "out of memory");
		for (uint32_t i = 1; i < r->n_vcpus; i++)
			r->ap_initial[i - 1] = r->vcpus[i].cur;
		h.initial_vcpus = r->ap_initial;
	}
	int khz = ioctl(r->vm.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	h.vm.tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	h.image = (struct xt_image){ .name = r->img.name, .data = r->img.data, .size = r->img.size };
	xt_sha256(r->img.data, r->img.size, h.image.sha256);
	/* each module: where it went and what it was; its bytes are in the initial memory */
	struct xt_kv extra[1 + LOADER_MODULES_MAX] = { { "loader", r->img.kind } };
	char mod_keys[LOADER_MODULES_MAX][24], mod_values[LOADER_MODULES_MAX][600];
	size_t n_extra = 1;
	for (size_t i = 0; i < o->load.n_modules && i < LOADER_MODULES_MAX; i++) {
		const struct boot_module *m = &o->load.modules[i];
		uint8_t sum[32];
		char hex[65];
		xt_sha256(m->data, m->size, sum);
		for (size_t k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", sum[k]);
		snprintf(mod_keys[i], sizeof(mod_keys[i]), "module.%zu", i);
		snprintf(mod_values[i], sizeof(mod_values[i]), "%s: %zu bytes at 0x%llx, sha256 %s, string '%s'",
			 m->name, m->size, (unsigned long long)m->addr, hex, m->cmdline ? m->cmdline : m->name);
		extra[n_extra++] = (struct xt_kv){ mod_keys[i], mod_values[i] };
	}
	h.extra = extra;
	h.n_extra = n_extra;
	/* the recorder's options hold a writer's options of this very build: their size is ours */
	struct xt_writer_options wo = o->writer;
	wo.size = sizeof(wo);
	if (!wo.zstd_level)
		wo.zstd_level = REC_ZSTD_LEVEL;
	if ((rc = xt_writer_open(&r->w, o->output, &h, &wo, err)))
		return rc;
	/*
	 * The writer thread takes the default blocks only; heavier capture
	 * sets cost ioctls per step that dwarf the writer.  Allowed one CPU it
	 * would only add context switches.
	 */
	/* free-running vCPU threads write under their lock, each on its own thread: no writer thread */
	bool threads = r->n_vcpus > 1 && o->no_step;
	if ((r->capture & ~XT_CAPTURE_TIME) == XT_CAPTURE_DEFAULT && !o->writer_on_step_thread && !threads &&
	    cpus_allowed() > 1) {
		const struct xt_state *initial[KVM_VM_VCPUS_MAX];
		for (uint32_t i = 0; i < r->n_vcpus; i++)
			initial[i] = &r->vcpus[i].cur;
		if ((rc = wthread_start(&r->wt, r->w, initial, r->n_vcpus, r->capture & XT_CAPTURE_TIME, err)))
			return rc;
	}

	devices_init(&r->dev, o->console, &r->vm, (uint16_t)r->n_vcpus);
	injector_init(&r->inj, o->irqs, o->n_irqs);
	return 0;
}

/* The writer's error, once whatever was queued before it has been taken. */
static int writer_failed(struct recorder *r, int rc)
{
	if (r->wt)
		wthread_drain(r->wt);
	r->res->err = *xt_writer_error(r->w);
	return rc;
}

int rec_emit(struct recorder *r, const struct xt_event *ev)
{
	int rc = r->wt ? wthread_event(r->wt, ev) : xt_writer_event(r->w, ev);
	return rc ? writer_failed(r, rc) : 0;
}

/* same: as for xt_writer_step_same() */
int rec_write_step(struct recorder *r, uint32_t same)
{
	int rc = r->wt ? wthread_step(r->wt, r->vc->index, &r->vc->cur, same) :
			 xt_writer_step_vcpu(r->w, r->vc->index, &r->vc->cur, same);
	return rc ? writer_failed(r, rc) : 0;
}

void rec_set_end(struct recorder *r, uint32_t reason, int64_t code, const char *fmt, ...)
{
	va_list ap;
	r->res->end_reason = reason;
	r->res->end_code = code;
	va_start(ap, fmt);
	vsnprintf(r->res->detail, sizeof(r->res->detail), fmt, ap);
	va_end(ap);
}

/*
 * ", bytes 0f 01 d0 ..." when an emulation failure carries the instruction
 * bytes (kvm_run's emulation_failure overlay of internal.data: flags, then
 * insn_size and insn_bytes[15], api.rst "KVM_EXIT_INTERNAL_ERROR"), else "".
 */
static void emulation_bytes(const struct xt_exit *e, char *buf, size_t size)
{
	const uint8_t *d = e->internal_data;
	uint64_t flags;
	buf[0] = 0;
	if (e->internal_suberror != KVM_INTERNAL_ERROR_EMULATION || e->internal_data_len < 24)
		return;
	memcpy(&flags, d, 8);
	if (!(flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return;
	unsigned n = d[8] <= 15 ? d[8] : 15;
	size_t len = n ? (size_t)snprintf(buf, size, ", bytes") : 0;
	for (unsigned i = 0; i < n && len + 4 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " %02x", d[9 + i]);
}

/* Decide whether this exit ends the recording; returns true if so. */
bool rec_exit_ends(struct recorder *r, const struct insn *in)
{
	const struct xt_exit *e = &r->vc->cur.exit;
	switch (e->reason) {
	case KVM_EXIT_IO:
	case KVM_EXIT_MMIO:
	case KVM_EXIT_DEBUG:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		break;
	case KVM_EXIT_HLT:
		if (injector_pending(&r->inj, r->steps + 1))
			return false;
		/*
		 * KVM reports HLT with RIP past it: under --no-step the previous
		 * exit may be far away, so the HLT's address is the byte before.
		 */
		rec_set_end(r, XT_END_HLT, 0, "HLT at 0x%llx with nothing pending",
			(unsigned long long)(r->o->no_step ? r->vc->cur.regs.rip - 1 : r->vc->prev.regs.rip));
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* the vCPU's RIP at a shutdown is the instruction whose fault could not be delivered */
		rec_set_end(r, XT_END_SHUTDOWN, 0, "triple fault at rip 0x%llx",
			(unsigned long long)r->vc->cur.regs.rip);
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		rec_set_end(r, XT_END_FAIL_ENTRY, (int64_t)e->fail_hw_reason,
			"VM entry failed, hardware reason 0x%llx", (unsigned long long)e->fail_hw_reason);
		return true;
	case KVM_EXIT_INTERNAL_ERROR: {
		/*
		 * The instruction that failed is where the vCPU stands now: it did
		 * not run.  The previous step's RIP is the last exit's, which under
		 * --no-step may be any distance before it.
		 */
		char bytes[64];
		emulation_bytes(e, bytes, sizeof(bytes));
		rec_set_end(r, XT_END_INTERNAL_ERROR, (int64_t)e->internal_suberror,
			"KVM internal error, suberror %llu%s at rip 0x%llx%s",
			(unsigned long long)e->internal_suberror,
			e->internal_suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "",
			(unsigned long long)r->vc->cur.regs.rip, bytes);
		return true;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		rec_set_end(r, XT_END_SYSTEM_EVENT, (int64_t)e->system_event_type, "system event %llu",
			(unsigned long long)e->system_event_type);
		return true;
	default: {
		const char *name = xt_exit_reason_name(e->reason);
		rec_set_end(r, XT_END_UNHANDLED_EXIT, (int64_t)e->reason, "unhandled exit %s (%llu)",
			name ? name : "?", (unsigned long long)e->reason);
		return true;
	}
	}
	if (r->dev.exited) {
		rec_set_end(r, XT_END_DEBUG_EXIT, r->dev.exit_status, "isa-debug-exit, status %u",
			r->dev.exit_status);
		return true;
	}
	/*
	 * Stepping HLT completes like any instruction here: with IF clear nothing
	 * can wake it.  (With several vCPUs the others may go on: lock-step
	 * decides when none can.)
	 */
	if (r->n_vcpus == 1 && in && in->kind == INSN_HLT &&
	    r->vc->cur.regs.rip == r->vc->prev.regs.rip + in->len &&
	    !(r->vc->prev.regs.rflags & RFLAGS_IF) && !injector_pending(&r->inj, r->steps + 1)) {
		rec_set_end(r, XT_END_HLT, 0, "HLT at 0x%llx with interrupts disabled",
			(unsigned long long)r->vc->prev.regs.rip);
		return true;
	}
	return false;
}

int rec_after_step(struct recorder *r, const struct insn *in)
{
	struct xt_event ev[STEP_EVENTS_MAX];
	int rc;
	size_t n = step_events(&r->vm, &r->dev, in, &r->vc->prev, &r->vc->cur, &r->inj, r->steps, ev);
	for (size_t i = 0; i < n; i++) {
		ev[i].vcpu = r->vc->index;
		if ((rc = rec_emit(r, &ev[i])))
			return rc;
	}
	if (r->capture & XT_CAPTURE_STATS) {
		if (vcpu_stats_event(&r->stats, r->steps, &ev[0]) && (rc = rec_emit(r, &ev[0])))
			return rc;
	}
	return 0;
}

/*
 * Is the vCPU halted with interrupts off and nothing of ours to come?  Only
 * asked when KVM_RUN was interrupted, so it costs one ioctl per signal.
 */
static bool halted_for_good(struct recorder *r)
{
	struct kvm_mp_state mp;
	if (r->vm.irqchip == XT_IRQCHIP_NONE || ioctl(r->vm.vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
		return false;
	return mp.mp_state == KVM_MP_STATE_HALTED && !(r->vm.run->s.regs.regs.rflags & RFLAGS_IF) &&
	       !injector_pending(&r->inj, r->steps + 1);
}

int rec_on_tick_work(struct recorder *r)
{
	rec_tick = 0;
	int rc = 0;
	if (r->kt) {
		/* the kernel's events go to the writer itself, after every step queued before them */
		if (r->wt && (rc = wthread_drain(r->wt)))
			return writer_failed(r, rc);
		if ((rc = ktrace_collect(r->kt, r->w, &r->res->err)))
			return rc;
	}
	/* with a writer thread, the frame is compressed and written there */
	bool queued = r->wt && !r->kt;
	if ((rc = queued ? wthread_flush(r->wt) : xt_writer_flush(r->w)))
		return writer_failed(r, rc);
	double s = seconds_since(&r->t0);
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, r->steps, queued ? wthread_bytes(r->wt) : xt_writer_bytes(r->w), s);
	if (r->o->timeout_ms && s * 1000.0 >= (double)r->o->timeout_ms) {
		rec_set_end(r, XT_END_TIMEOUT, (int64_t)r->o->timeout_ms, "timeout after %.1f s", s);
		return 1;
	}
	return 0;
}

/*
 * The guest wrote SLP_EN in the step just written.  S3: resumed at once at
 * the FACS waking vector, in real mode (acpi_sleep.h); S5: the machine is
 * off and the recording ends (1).  Other sleep types are not a PC's.
 */
static int acpi_sleep_now(struct recorder *r)
{
	char text[128];
	if (acpi_sleep_carry_out(&r->vm, &r->dev.pm, &r->vc->cur, text, sizeof(text))) {
		rec_set_end(r, XT_END_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN, "%s", text);
		return 1;
	}
	struct xt_event ev = { .kind = XT_EV_NOTE, .step = r->steps };
	ev.note.text = text;
	return rec_emit(r, &ev);
}

/*
 * A KVM_RUN interrupted without an exit, as the selected vCPU's next step:
 * the state it is in, with the interrupted exit KVM reported.
 */
int rec_record_intr(struct recorder *r, int ret, int err)
{
	struct rec_vcpu *v = r->vc;
	vstep_advance(&v->st, &v->prev, &v->cur);
	rec_take_time(r);
	v->cur.exit.reason = KVM_EXIT_INTR;
	v->cur.exit.run_ret = (uint64_t)(int64_t)ret;
	v->cur.exit.run_errno = (uint64_t)err;
	int rc = rec_write_step(r, 0);
	if (!rc)
		r->steps++;
	return rc;
}

/*
 * The exit the selected vCPU's KVM_RUN just made, into the trace as its
 * next step with the step's events: devices answer it first, so the
 * payload holds what the guest got.  1: the exit ends the recording (the
 * end is set); 0: go on; < 0: an error.
 */
int rec_record_exit(struct recorder *r, int ret, int err, const struct insn *in)
{
	struct rec_vcpu *v = r->vc;
	struct kvm_run *run = r->vm.run;
	int rc;
	vstep_advance(&v->st, &v->prev, &v->cur);
	rec_take_time(r);
	r->dev.out_len = 0;
	if (ret == 0 && run->exit_reason == KVM_EXIT_IO) {
		devices_io(&r->dev, run);
		if (run->io.direction == KVM_EXIT_IO_OUT)
			injector_port_write(&r->inj, run->io.port);
	} else if (ret == 0 && run->exit_reason == KVM_EXIT_MMIO) {
		devices_mmio(&r->dev, run);
	}
	bool ends;
	if (!vstep_capture_exit(&v->st, &v->cur, ret, err)) {
		char who[32] = "";
		if (r->n_vcpus > 1)
			snprintf(who, sizeof(who), " of vCPU %u", v->index);
		rec_set_end(r, XT_END_RUN_ERROR, ret < 0 ? err : 0, "KVM_RUN%s failed: %s", who,
			    ret < 0 ? strerror(err) : "returned without an exit reason");
		ends = true;
	} else {
		if ((rc = vstep_after_exit(&v->st, &v->cur, &r->res->err)))
			return rc;
		ends = rec_exit_ends(r, in);
	}
	/* a PIT tick the step took goes before it, as an injection replay makes again */
	struct xt_event tick_ev;
	if ((r->platform & XT_PLATFORM_PIT) &&
	    pit_tick_taken(&r->vm, &v->prev, &v->cur, in, &r->inj, r->steps + 1, &tick_ev)) {
		tick_ev.vcpu = v->index;
		if ((rc = rec_emit(r, &tick_ev)))
			return rc;
	}
	if ((r->capture & ~XT_CAPTURE_DEFAULT & ~XT_CAPTURE_STATS & ~XT_CAPTURE_TIME) &&
	    (rc = kvm_vm_get_heavy(&r->vm, &v->cur, r->capture, &r->res->err)))
		return rc;
	/* what capture already compared need not be compared again */
	uint32_t same = (v->st.sregs_changed ? 0 : 1u << XT_BLOCK_SREGS) |
			(v->st.events_changed ? 0 : 1u << XT_BLOCK_EVENTS);
	if (v->reset) {
		same = 0;
		v->reset = false;
	}
	if ((rc = rec_write_step(r, same)))
		return rc;
	r->steps++;
	if ((rc = rec_after_step(r, in)))
		return rc;
	return ends;
}

static int step_loop(struct recorder *r)
{
	struct xt_event evs[EVENTS_MAX];
	int rc;
	for (;;) {
		if (rec_stop_signal) {
			rec_set_end(r, XT_END_SIGNAL, rec_stop_signal, "stopped by signal %d", (int)rec_stop_signal);
			return 0;
		}
		/* never flush between an injection event and the step it precedes (SPEC.md) */
		if (rec_tick && r->injected_before != r->steps + 1 && (rc = rec_on_tick_work(r)))
			return rc > 0 ? 0 : rc;
		if (r->n_vcpus > 1 && (rc = lockstep_pick(r)) <= 0)
			return rc;

		/* the instruction about to run, while its RIP is the current one */
		struct insn insn, *in = NULL;
		uint8_t bytes[16];
		size_t nbytes = 0;
		if (!r->o->no_step) {
			nbytes = gmem_read_cached(&r->vm, &r->vc->code_tlb, &r->vc->cur.sregs,
						  gmem_code_linear(&r->vc->cur), bytes, sizeof(bytes));
			insn_decode(bytes, nbytes, gmem_code_bits(&r->vc->cur), &insn);
			/* the guest's own TLB flushes flush ours */
			if (insn.kind == INSN_INVLPG || insn.kind == INSN_MOV_CR3)
				gmem_tlb_flush(&r->vc->code_tlb);
			in = &insn;
		}
		/* the injection schedule is vCPU 0's */
		size_t nev = r->vc->index ? 0 : injector_before_run(&r->inj, &r->vm, r->steps + 1, evs, EVENTS_MAX);
		for (size_t i = 0; i < nev; i++)
			if ((rc = rec_emit(r, &evs[i])))
				return rc;
		if (nev)
			r->injected_before = r->steps + 1;

		int ret, err;
		rec_own_before_run(&r->res->own);
		if ((rc = vstep_run(&r->vc->st, &ret, &err, &r->res->err)))
			return rc;
		rec_own_after_run(&r->res->own, r->steps);
		if (r->kt && !vstep_interrupted(ret, err))
			ktrace_mark(r->kt, r->steps + 1);
		if (vstep_interrupted(ret, err)) {
			/* several: an INIT may have put it back to wait for SIPI; lock-step decides the rest */
			if (r->n_vcpus > 1) {
				uint64_t before = r->steps;
				if ((rc = halted_inside_run(r, ret, err)) || (rc = refresh_mp_state(r, r->vc)))
					return rc;
				/* our timer cost the vCPU no turn: the order must not depend on when it fired */
				if (r->steps == before)
					r->next_vcpu = r->vc->index;
				continue;
			}
			if (!halted_for_good(r))
				continue;	/* our timer or a stop signal: not a guest exit */
			/*
			 * The vCPU halted inside KVM_RUN (an in-kernel irqchip halts
			 * there) with nothing that can wake it: record where it stopped,
			 * as the interrupted exit KVM reported, and end.
			 */
			if ((rc = rec_record_intr(r, ret, err)))
				return rc;
			rec_set_end(r, XT_END_HLT, 0, "halted at 0x%llx with interrupts disabled",
				(unsigned long long)r->vc->cur.regs.rip);
			return 0;
		}

		int ends = rec_record_exit(r, ret, err, in);
		if (ends < 0)
			return ends;
		if (r->n_vcpus > 1 && (rc = after_lockstep_step(r, in, bytes, nbytes)))
			return rc;
		if (ends)
			return 0;
		if (r->dev.pm.sleep_requested && (rc = acpi_sleep_now(r)))
			return rc > 0 ? 0 : rc;
		if (r->o->max_steps && r->steps >= r->o->max_steps) {
			rec_set_end(r, XT_END_MAX_STEPS, (int64_t)r->steps, "--max-steps %llu reached",
				(unsigned long long)r->o->max_steps);
			return 0;
		}
	}
}

static void install_signals(struct recorder *r)
{
	struct sigaction sa = { 0 };
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a signal must interrupt KVM_RUN */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, &r->old_int);
	sigaction(SIGTERM, &sa, &r->old_term);
	sa.sa_handler = on_tick;
	sigaction(SIGALRM, &sa, &r->old_alrm);
	struct itimerval it = { { 0, TICK_US }, { 0, TICK_US } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void restore_signals(struct recorder *r)
{
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGINT, &r->old_int, NULL);
	sigaction(SIGTERM, &r->old_term, NULL);
	sigaction(SIGALRM, &r->old_alrm, NULL);
}

static void teardown(struct recorder *r)
{
	wthread_stop(r->wt);
	if (r->w)
		xt_writer_abandon(r->w);
	ktrace_close(r->kt);
	vcpu_stats_close(&r->stats);
	loader_free(&r->img);
	host_info_free(&r->host);
	free(r->cpuid);
	free(r->regions);
	free(r->vcpus);
	free(r->ap_initial);
	kvm_vm_close(&r->vm);
}

static int record_guest(const struct record_options *o, struct record_result *res)
{
	struct recorder r = { .o = o, .res = res };
	memset(res, 0, sizeof(*res));
	r.vm.kvm_fd = r.vm.vm_fd = r.vm.vcpu_fd = -1;
	r.stats.fd = -1;
	rec_stop_signal = 0;
	rec_tick = 0;

	int rc = setup(&r);
	if (rc) {
		teardown(&r);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	if (r.capture & XT_CAPTURE_TIME) {
		r.clock.t0 = host_clock_now();
		for (uint32_t i = 0; i < r.n_vcpus; i++) {
			struct vcpu_stepper *st = &r.vcpus[i].st;
			st->timed = true;
			st->run_tsc = 0;
			st->returned_tsc = r.clock.t0;
		}
	}
	install_signals(&r);
	if (r.kt)
		ktrace_mark(r.kt, 0);	/* what the kernel logged while the VM was set up */
	rc = r.n_vcpus > 1 && o->no_step ? freerun_loop(&r) : step_loop(&r);
	restore_signals(&r);
	if (r.wt) {
		/* what the step loop queued is written before the trace is finished or cut */
		int wrc = wthread_drain(r.wt);
		if (wrc && rc >= 0)
			rc = writer_failed(&r, wrc);
		wthread_stop(r.wt);
		r.wt = NULL;
	}
	res->steps = r.steps;
	res->seconds = seconds_since(&r.t0);
	if (rc < 0) {
		/* the trace keeps every complete frame; say how much */
		res->end_reason = XT_END_IO_ERROR;
		xt_writer_flush(r.w);
		res->bytes = xt_writer_bytes(r.w);
		if (!strstr(res->err.msg, "steps kept")) {
			size_t len = strlen(res->err.msg);
			snprintf(res->err.msg + len, sizeof(res->err.msg) - len, " (%llu steps kept)",
				 (unsigned long long)xt_writer_steps_written(r.w));
		}
		teardown(&r);
		return rc;
	}
	if (r.kt && (rc = ktrace_collect(r.kt, r.w, &res->err))) {
		teardown(&r);
		return rc;
	}
	struct xt_footer f = { .end_reason = res->end_reason, .end_code = res->end_code,
			       .end_detail = res->detail,
			       .duration_ns = (uint64_t)(res->seconds * 1e9) };
	res->bytes = xt_writer_bytes(r.w);
	rc = xt_writer_close(r.w, &f, &res->err);
	r.w = NULL;
	res->trace_complete = rc == 0;
	teardown(&r);
	return rc;
}

int record_run(const struct record_options *o, struct record_result *res)
{
	/*
	 * A closed pipe or a file-size limit is a write error like a full disk,
	 * the steps written so far kept and counted, whichever thread writes:
	 * the writer thread blocks signals, so its writes get EPIPE and EFBIG.
	 */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_xfsz;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigaction(SIGXFSZ, &ign, &old_xfsz);
	int rc = record_guest(o, res);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGXFSZ, &old_xfsz, NULL);
	return rc;
}
