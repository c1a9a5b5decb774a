// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* process_vm_readv */
/*
 * A VM's trace.  It opens at the VM's first KVM_RUN, when the VMM has said
 * all it says before running (memory, CPUID, vCPUs, guest debug): the
 * header holds that configuration as learned, the memory of every slot at
 * that moment as the initial memory, and each vCPU's state read then (for
 * the vCPU whose KVM_RUN it is, its state at its first KVM_RUN; for the
 * others, their state then, and whatever the VMM sets later is an event).
 * VM n of the process (from 0) writes FILE, then FILE.1, FILE.2, ...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "arrival.h"
#include "attach.h"
#include "host_probe.h"
#include "writer_thread.h"
#include "xt_util.h"

uint64_t att_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void complain(const struct att_vm *vm, const char *what, const struct xt_error *err)
{
	/* only when it fails: a working attach prints nothing into the VMM's output */
	fprintf(stderr, "exitrace-attach: VM %u: %s: %s\n", vm->seq, what, err ? err->msg : strerror(errno));
}

/* The process's argv from /proc/self/cmdline (the VMM's, as exec gave it). */
static size_t read_argv(char **buf, const char ***argv)
{
	*buf = NULL;
	*argv = NULL;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap + 1);
	ssize_t k;
	while (b && (k = read(fd, b + len, cap - len)) > 0) {
		len += (size_t)k;
		if (len == cap) {
			char *nb = realloc(b, 2 * cap + 1);
			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
	}
	att_real.close(fd);
	if (!b)
		return 0;
	b[len] = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += b[i] == 0;
	const char **a = calloc(n + 1, sizeof(*a));
	if (!a) {
		free(b);
		return 0;
	}
	size_t j = 0;
	for (size_t i = 0; i < len && j < n; i += strlen(b + i) + 1)
		a[j++] = b + i;
	*buf = b;
	*argv = a;
	return j;
}

/* Copy a slot's memory without trusting it is mapped: a fault would be the VMM's crash. */
static uint8_t *copy_slot(const struct att_slot *s)
{
	uint8_t *buf = malloc(s->size);
	if (!buf)
		return NULL;
	struct iovec local = { buf, s->size }, remote = { (void *)(uintptr_t)s->uaddr, s->size };
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)s->size) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct mem_snapshot {
	uint8_t *copies[ATT_SLOTS_MAX];
	struct xt_mem_region *regions;
	size_t n, cap;
	bool whole;		/* every slot's contents are in regions: replay can start from them */
	char note[4096];	/* the header's attach.memory */
	char slots[4096];	/* the header's attach.slots: the layout replay rebuilds */
};

static void add_region(struct mem_snapshot *m, uint64_t gpa, const uint8_t *p, size_t size)
{
	struct xt_mem_region *last = m->n ? &m->regions[m->n - 1] : NULL;
	if (last && last->gpa + last->size == gpa && last->data + last->size == p) {
		last->size += size;
		return;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct xt_mem_region *r = realloc(m->regions, cap * sizeof(*r));
		if (!r)
			return;
		m->regions = r;
		m->cap = cap;
	}
	m->regions[m->n++] = (struct xt_mem_region){ gpa, p, size };
}

static int by_gpa(const void *a, const void *b)
{
	const struct att_slot *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

#define APPEND(buf, ...) snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf), __VA_ARGS__)

/* Each slot's SHA-256 instead of its bytes: enough to tell whether two runs started alike. */
static void hash_slots(struct mem_snapshot *m, const struct att_slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *c = copy_slot(&slots[i]);
		APPEND(m->note, "%sslot %u 0x%llx+0x%llx ", i ? "; " : "", slots[i].slot,
		       (unsigned long long)slots[i].gpa, (unsigned long long)slots[i].size);
		if (!c) {
			APPEND(m->note, "unreadable");
			continue;
		}
		uint8_t d[32];
		xt_sha256(c, slots[i].size, d);
		free(c);
		APPEND(m->note, "sha256 ");
		for (int k = 0; k < 32; k++)
			APPEND(m->note, "%02x", d[k]);
	}
}

/* The slots' non-zero pages (address space 0), as the recorder stores its own (--memory full). */
static void store_slots(struct mem_snapshot *m, const struct att_slot *slots, size_t n, uint64_t total)
{
	static const uint8_t zero[4096];
	m->whole = true;
	for (size_t i = 0; i < n; i++) {
		uint8_t *c = m->copies[i] = copy_slot(&slots[i]);
		if (!c) {
			APPEND(m->note, "slot %u at 0x%llx could not be read; ", slots[i].slot,
			       (unsigned long long)slots[i].gpa);
			m->whole = false;
			continue;
		}
		for (uint64_t a = 0; a < slots[i].size; a += 4096) {
			size_t k = slots[i].size - a < 4096 ? (size_t)(slots[i].size - a) : 4096;
			if (memcmp(c + a, zero, k))
				add_region(m, slots[i].gpa + a, c + a, k);
		}
	}
	APPEND(m->note, "%zu slot%s, %llu bytes: their non-zero pages stored", n, n == 1 ? "" : "s",
	       (unsigned long long)total);
}

/* The memory at the first KVM_RUN, as --memory says; returns the end of the highest slot. */
static uint64_t snapshot(struct att_vm *vm, struct mem_snapshot *m)
{
	struct att_slot slots[ATT_SLOTS_MAX];
	size_t n = 0;
	uint64_t total = 0, end = 0;
	for (size_t i = 0; i < vm->n_slots; i++) {
		if (vm->slots[i].slot >> 16)
			continue;	/* SMM's address space: not the guest's memory */
		slots[n++] = vm->slots[i];
		total += vm->slots[i].size;
		if (vm->slots[i].gpa + vm->slots[i].size > end)
			end = vm->slots[i].gpa + vm->slots[i].size;
	}
	qsort(slots, n, sizeof(slots[0]), by_gpa);
	for (size_t i = 0; i < n; i++)
		APPEND(m->slots, "%s0x%llx+0x%llx%s", i ? ", " : "", (unsigned long long)slots[i].gpa,
		       (unsigned long long)slots[i].size, (slots[i].flags & KVM_MEM_READONLY) ? " ro" : "");
	if (att_opt.memory == ATT_MEMORY_NONE) {
		APPEND(m->note, "none: not stored (--memory none)");
	} else if (att_opt.memory == ATT_MEMORY_HASH || total > att_opt.memory_limit) {
		APPEND(m->note, "hash: ");
		if (att_opt.memory == ATT_MEMORY_FULL)
			APPEND(m->note, "%llu bytes in %zu slot%s, above the limit of %llu (--memory-limit): ",
			       (unsigned long long)total, n, n == 1 ? "" : "s", (unsigned long long)att_opt.memory_limit);
		hash_slots(m, slots, n);
	} else {
		APPEND(m->note, "full: ");
		store_slots(m, slots, n, total);
	}
	return end;
}

/* What replay would lack (the header's attach.replay): "yes", or "no: " and why. */
static void replay_verdict(const struct att_vm *vm, const struct mem_snapshot *m, char *buf, size_t size)
{
	char why[1024] = "";
	if (!m->whole)
		APPEND(why, "%sthe initial memory is not in the trace (--memory %s)", why[0] ? "; " : "",
		       att_opt.memory == ATT_MEMORY_NONE ? "none" : att_opt.memory == ATT_MEMORY_HASH ? "hash" :
		       "full, above --memory-limit or unreadable");
	if (vm->replay_blockers[0])
		APPEND(why, "%sthe VMM set up what the trace does not hold: %s", why[0] ? "; " : "",
		       vm->replay_blockers);
	snprintf(buf, size, "%s%s", why[0] ? "no: " : "yes", why);
}

/* A vCPU's state now, by ioctl, as its initial state and the base of its captures. */
static int initial_state(struct att_vcpu *v)
{
	struct kvm_regs regs;
	memset(&v->cur, 0, sizeof(v->cur));
	if (att_ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    att_ioctl(v->fd, KVM_GET_SREGS, &v->st.raw_sregs) < 0 ||
	    att_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &v->st.raw_events) < 0)
		return -errno;
	memcpy(&v->cur.regs, &regs, sizeof(regs));
	kvm_sregs_to_xt(&v->st.raw_sregs, &v->cur.sregs);
	kvm_events_to_xt(&v->st.raw_events, &v->cur.events);
	v->cur.exit.reason = XT_EXIT_NONE;
	v->st.vm = &v->kv;
	return 0;
}

static uint32_t cpu_mode(const struct xt_sregs *s)
{
	if (s->efer & 0x400)	/* LMA */
		return XT_MODE_LONG;
	return (s->cr0 & 1) ? XT_MODE_PROT : XT_MODE_REAL;
}

int att_trace_open(struct att_vm *vm)
{
	vm->trace_state = -1;
	struct xt_error err = { 0 };
	uint32_t n = vm->n_vcpus;
	if (!n)
		return -ENODEV;
	for (uint32_t i = 0; i < n; i++) {
		struct att_vcpu *v = vm->vcpus[i];
		v->index = i;
		int rc = initial_state(v);
		if (rc) {
			errno = -rc;
			complain(vm, "reading a vCPU's state", NULL);
			return rc;
		}
		v->in_trace = true;
		v->prev = v->cur;
	}
	att_guest_view_update(vm);
	att_step_setup(vm);
	struct att_vcpu *v0 = vm->vcpus[0];

	char path[4096];
	if (vm->seq)
		snprintf(path, sizeof(path), "%s.%u", att_opt.output, vm->seq);
	else
		snprintf(path, sizeof(path), "%s", att_opt.output);

	struct kvm_vm kv = { .kvm_fd = vm->kvm_fd, .vm_fd = vm->fd, .vcpu_fd = v0->fd };
	kv.api_version = att_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	int sync = att_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	uint32_t sync_all = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
	vm->sync_regs_ok = sync > 0 && ((uint32_t)sync & sync_all) == sync_all;
	struct host_info hi;
	host_probe(&hi, &kv);
	struct mem_snapshot *pm = calloc(1, sizeof(*pm));	/* 8 KB of text and 4 KB of pointers */
	if (!pm) {
		complain(vm, "out of memory", NULL);
		host_info_free(&hi);
		return -ENOMEM;
	}
	uint64_t mem_end = snapshot(vm, pm);
	char replay[1600];
	replay_verdict(vm, pm, replay, sizeof(replay));
	char *argv_buf;
	const char **argv;
	size_t argc = read_argv(&argv_buf, &argv);

	struct xt_state *ap = n > 1 ? calloc(n - 1, sizeof(*ap)) : NULL;
	uint32_t ids[ATT_VCPUS_MAX];
	const struct xt_state *initial[ATT_VCPUS_MAX];
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = vm->vcpus[i]->id;
		initial[i] = &vm->vcpus[i]->cur;
		if (i && ap)
			ap[i - 1] = vm->vcpus[i]->cur;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct xt_kv extra[] = {
		{ "loader", "attach" },
		{ "attach.run", att_opt.run_id },
		{ "attach.memory", pm->note },
		{ "attach.slots", pm->slots },
		{ "attach.replay", replay },
		{ "attach.stale", att_opt.stale ? "named (note events \"stale: ...\")" : "off" },
		{ "attach.step", !att_opt.step ? "off: the VMM's own runs" :
				 !vm->stepping ? "from --step-at-port or --step-after on (a note marks the step)" :
				 v0->our_debug ? "on: exitrace single-steps the vCPUs whose VMM set no guest debug" :
				 "on, but the VMM's own guest debug is in force on vCPU 0" },
	};
	struct xt_header h = {
		.tool_version = xt_version(), .argv = argv, .argc = argc,
		.created_sec = now.tv_sec, .created_nsec = (uint32_t)now.tv_nsec,
		.host = hi.host, .initial = &v0->cur, .extra = extra,
		.n_extra = sizeof(extra) / sizeof(extra[0]),
		.initial_vcpus = ap,
	};
	h.vm = (struct xt_vm_config){
		.mem_size = mem_end, .cpu_mode = cpu_mode(&v0->cur.sregs), .irqchip = vm->irqchip,
		.guest_debug = v0->guest_debug, .capture = XT_CAPTURE_DEFAULT, .loader = "attach", .entry = v0->cur.regs.rip,
		.cpuid = v0->cpuid, .n_cpuid = v0->n_cpuid, .memory = pm->regions, .n_memory = pm->n,
		.n_vcpus = n, .apic_ids = ids,
	};
	memcpy(h.vm.debugreg, v0->debugreg, sizeof(h.vm.debugreg));
	int khz = att_ioctl(v0->fd, KVM_GET_TSC_KHZ, 0);
	h.vm.tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	/* a TSC that is no clock: the trace goes on without time, and says why */
	bool timed = att_opt.time && host_clock_init(&vm->clock, &err) == 0;
	if (att_opt.time && !timed)
		complain(vm, "--capture time", &err);
	if (timed) {
		h.vm.capture |= XT_CAPTURE_TIME;
		h.vm.time_hz = vm->clock.hz;
	}
	h.image = (struct xt_image){ .name = argc ? argv[0] : "", .data = NULL, .size = 0 };
	xt_sha256("", 0, h.image.sha256);

	struct xt_writer_options wo = XT_WRITER_OPTIONS_INIT;
	wo.zstd_level = REC_ZSTD_LEVEL;
	int rc = xt_writer_open(&vm->w, path, &h, &wo, &err);
	if (rc)
		complain(vm, path, &err);
	else if ((rc = wthread_start(&vm->wt, vm->w, initial, n, timed, &err))) {
		complain(vm, "starting the writer thread", &err);
		xt_writer_abandon(vm->w);
		vm->w = NULL;
	}
	free(ap);
	free(argv);
	free(argv_buf);
	free(pm->regions);
	for (size_t i = 0; i < ATT_SLOTS_MAX; i++)
		free(pm->copies[i]);
	free(pm);
	host_info_free(&hi);
	if (rc)
		return rc;
	vm->started_ns = vm->flushed_ns = att_now_ns();
	if (timed) {
		vm->clock.t0 = host_clock_now();
		for (uint32_t i = 0; i < n; i++) {
			struct vcpu_stepper *st = &vm->vcpus[i]->st;
			st->run_tsc = 0;
			st->returned_tsc = vm->clock.t0;
			st->timed = true;
		}
	}
	vm->trace_state = 1;
	return 0;
}

void att_trace_step(struct att_vcpu *v, const char *stale)
{
	struct att_vm *vm = v->vm;
	uint64_t step = vm->steps + 1;
	att_answer_emit(v, step);
	att_emit_pending(v, step, true);
	uint32_t same = (v->st.sregs_changed ? 0 : 1u << XT_BLOCK_SREGS) |
			(v->st.events_changed ? 0 : 1u << XT_BLOCK_EVENTS);
	if (wthread_step(vm->wt, v->index, &v->cur, same)) {
		vm->trace_state = -1;
		wthread_drain(vm->wt);
		complain(vm, "writing a step", xt_writer_error(vm->w));
		return;
	}
	vm->steps = step;
	vm->last_reason = (uint32_t)v->cur.exit.reason;
	att_emit_pending(v, step, false);
	att_step_trigger(v);
	/* the recorder's arrival detection, without single-step (no instruction known) */
	struct xt_event taken;
	v->kv.guest_debug = v->guest_debug;
	if (v->cur.exit.reason != XT_EXIT_RUN_FAILED && v->kv.mem &&
	    arrival_detect(&v->kv, &v->prev, &v->cur, NULL, &v->inj, step, &taken)) {
		taken.vcpu = v->index;
		wthread_event(vm->wt, &taken);
	}
	if (stale && stale[0]) {
		char text[300];
		snprintf(text, sizeof(text), "stale: %s", stale);
		struct xt_event ev = { .kind = XT_EV_NOTE, .step = step, .vcpu = v->index };
		ev.note.text = text;
		wthread_event(vm->wt, &ev);
	}
	/* the VMM may die by a signal without exit handlers: end a frame every second */
	uint64_t now = att_now_ns();
	if (now - vm->flushed_ns > 1000000000u) {
		vm->flushed_ns = now;
		wthread_flush(vm->wt);
	}
}

void att_trace_close(struct att_vm *vm, const char *why)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->w) {
		wthread_stop(vm->wt);
		vm->wt = NULL;
		struct xt_footer f = { .end_reason = XT_END_UNKNOWN, .end_detail = why,
				       .duration_ns = att_now_ns() - vm->started_ns };
		struct xt_error err = { 0 };
		if (xt_writer_close(vm->w, &f, &err))
			complain(vm, "closing the trace", &err);
		vm->w = NULL;
	}
	vm->trace_state = -1;
	pthread_mutex_unlock(&vm->lock);
}
