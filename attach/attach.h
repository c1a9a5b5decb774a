/* SPDX-License-Identifier: MIT */
/*
 * Attach mode: libexitrace-attach.so, loaded with LD_PRELOAD into a VMM
 * exitrace did not write, watches its KVM ioctls and writes one trace per
 * VM.  The VMM owns the run loop; we only look at each KVM_RUN from the
 * outside, and nothing the VMM can observe (return values, errno, the run
 * page, its file descriptors, its environment) may change.
 *
 * Who does what:
 *   interpose.c   the exported ioctl/mmap/close, the real ones via dlsym
 *   registry.c    which descriptors are VMs and vCPUs, what each VM was told
 *   att_trace.c   a VM's trace: header at the first KVM_RUN, steps, footer
 *   run_hook.c    one KVM_RUN seen from outside: stale area, capture, step
 *   stale.c       the run page's exit area: pattern, restore, name what KVM left
 *   injections.c  what the VMM injects or sets, as events of the next step
 *   options.c     the options exitrace passed by environment
 *   high_fd.c     the trace's descriptor, out of the VMM's numbers
 *   guest_view.c  the VMM's slots as one linear guest memory, for arrival detection
 *   stepping.c    --step: single-step a VMM that does not, its DEBUG exits hidden
 */
#ifndef XT_ATTACH_H
#define XT_ATTACH_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "exitrace.h"
#include "host_clock.h"
#include "inject.h"
#include "vcpu_step.h"

#define ATT_FD_MAX 4096		/* descriptors above are never KVM's to us (a note says so) */
#define ATT_VCPUS_MAX 64
#define ATT_SLOTS_MAX 512
#define ATT_PENDING_MAX 64

/* The real functions, resolved once with dlsym(RTLD_NEXT). */
struct att_real {
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*close)(int);
};
extern struct att_real att_real;

/* Our own ioctls on the VMM's descriptors go straight to the kernel. */
#define att_ioctl(fd, req, arg) att_real.ioctl((fd), (req), (arg))

/* --memory: the slots' contents at the first KVM_RUN, whole (up to memory_limit), as digests, or not */
enum att_memory { ATT_MEMORY_FULL, ATT_MEMORY_HASH, ATT_MEMORY_NONE };

struct att_options {
	const char *output;		/* FILE; NULL: attach mode is off */
	const char *run_id;		/* written into each header, so exitrace can count its traces */
	uint64_t memory_limit;		/* initial memory above this total is only hashed */
	enum att_memory memory;
	bool stale;			/* name the stale exit fields (default on) */
	bool borrow_sync_regs;		/* set kvm_valid_regs during KVM_RUN (default; run_hook.c says when not) */
	uint32_t step;			/* --step: our guest-debug word (0: off); stepping.c */
	int32_t step_at_port;		/* start stepping at the guest's OUT to it; -1: at once */
	uint64_t step_after;		/* or after this many steps; 0: at once */
	bool time;			/* --capture time: the TSC around each KVM_RUN (host_clock.h) */
};
extern struct att_options att_opt;
void att_options_load(void);

/*
 * KVM_SET_USER_MEMORY_REGION2 (Linux 6.8; the 6.1 headers we build with
 * lack it): region 1's fields first, then a guest_memfd and its offset.
 */
struct att_memory_region2 {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd, pad1;
	uint64_t pad2[14];
};
#define ATT_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct att_memory_region2)
#define ATT_MEM_GUEST_MEMFD (1u << 2)

struct att_slot {
	uint32_t slot, flags;
	uint64_t gpa, size, uaddr;
};

/* A queued event: made by the VMM before a step, written with that step. */
struct att_pending {
	const struct att_vcpu *target;	/* NULL: the VM's next step, whatever the vCPU */
	bool inject;			/* an irq-inject event (else a note) */
	bool raw;			/* a note written as it is, without "before this step, " */
	uint32_t method, vector;
	int32_t result;
	char text[224];
};

struct att_vm;

struct att_vcpu {
	struct att_vm *vm;
	int fd;
	uint32_t id;			/* KVM_CREATE_VCPU's argument: the APIC ID */
	uint32_t index;			/* in the trace */
	struct kvm_run *run;		/* the VMM's mapping of the run page, once it made one */
	struct kvm_vm kv;		/* only run/run_size/vcpu_fd: for vcpu_step's capture */
	struct vcpu_stepper st;
	struct xt_state cur;		/* the state after its last step */
	struct xt_state prev;		/* regs, sregs, events before it: for arrival detection */
	struct injector inj;		/* the VMM's injections not yet seen taken (outstanding[]) */
	uint32_t guest_debug;		/* the VMM's last KVM_SET_GUEST_DEBUG */
	uint64_t debugreg[8];
	struct xt_cpuid_entry *cpuid;	/* the VMM's last KVM_SET_CPUID2 */
	size_t n_cpuid;
	uint32_t last_exit;		/* the exit the next KVM_RUN completes (0xffffffff: none) */
	uint8_t answer[4096];		/* the VMM's answer to that exit (an IN's or MMIO read's data) */
	size_t answer_len;
	bool has_answer;		/* taken at this KVM_RUN's start, written before its step */
	bool in_trace;			/* made before the trace opened: the header has it */
	bool late_noted;		/* made after: the trace says once that it is not recorded */
	bool our_debug;			/* --step: single-stepped by us, its DEBUG exits hidden */
	bool step_tried;		/* att_step_enable() ran for it */
};

struct att_vm {
	int fd, kvm_fd;
	uint32_t seq;			/* 0 for FILE, n for FILE.n */
	pthread_mutex_t lock;		/* orders the steps of all its vCPUs (SPEC 5.1) */
	uint32_t irqchip;		/* enum xt_irqchip */
	bool sync_regs_ok;		/* KVM_CAP_SYNC_REGS covers regs, sregs and events */
	bool stepping;			/* --step has started (stepping.c) */
	struct att_slot slots[ATT_SLOTS_MAX];
	size_t n_slots;
	struct att_vcpu *vcpus[ATT_VCPUS_MAX];
	uint32_t n_vcpus;
	struct att_pending pending[ATT_PENDING_MAX];
	size_t n_pending;
	uint64_t pending_lost;
	/* the trace: opened at the first KVM_RUN, closed with the VM or the process */
	int trace_state;		/* 0 not yet, 1 open, -1 failed or closed */
	struct xt_writer *w;
	struct writer_thread *wt;
	uint64_t steps;
	uint64_t started_ns;
	uint64_t flushed_ns;		/* when a frame was last ended: a killed VMM loses at most ~1 s */
	uint32_t last_reason;
	char replay_blockers[512];	/* what the VMM set before the trace that it does not hold */
	struct host_clock clock;	/* --capture time, when the TSC can be one */
};

/* stepping.c: at the trace's start (vm->lock held): step now, or wait for the trigger */
void att_step_setup(struct att_vm *vm);
/* After a step (vm->lock held): did the guest reach --step-at-port / --step-after? */
void att_step_trigger(struct att_vcpu *v);
/* On v's own thread before its KVM_RUN, once stepping started: our guest debug, unless the VMM's */
void att_step_enable(struct att_vcpu *v);
/* Is this exit of v one of ours, to record and not return to the VMM? */
bool att_step_hidden(const struct att_vcpu *v, int ret);

/* guest_view.c: kv.mem of every vCPU from the slots (vm->lock held) */
void att_guest_view_update(struct att_vm *vm);

/* registry.c: descriptor -> object (NULL: not ours).  Lock-free reads. */
struct att_vm *att_vm_of(int fd);
struct att_vcpu *att_vcpu_of(int fd);
bool att_is_kvm(int fd);
void att_note_kvm(int fd);
struct att_vm *att_vm_new(int fd, int kvm_fd);
struct att_vcpu *att_vcpu_new(struct att_vm *vm, int fd, uint32_t id);
void att_forget(int fd);
/* Every VM still known, for the end of the process. */
size_t att_vms(struct att_vm **out, size_t max);

/* The VM ioctls that teach us its configuration, after they succeeded. */
void att_learn_vm(struct att_vm *vm, unsigned long req, void *arg, int ret);
void att_learn_vcpu(struct att_vcpu *v, unsigned long req, void *arg, int ret);

/* att_trace.c */
int att_trace_open(struct att_vm *vm);		/* with vm->lock held */
void att_trace_close(struct att_vm *vm, const char *why);	/* takes the lock */
void att_trace_step(struct att_vcpu *v, const char *stale);	/* with vm->lock held */

/* replayable.c: after a VMM's ioctl on a VM (v NULL) or vCPU: can replay still reproduce the VM? */
void att_replay_check(struct att_vm *vm, struct att_vcpu *v, unsigned long req, const void *arg, int ret);

/* answers.c: the VMM's answer to v's last exit, if it was an IN or MMIO read (before KVM_RUN) */
void att_answer_take(struct att_vcpu *v);
/* Write it as an input event of step (vm->lock held) */
void att_answer_emit(struct att_vcpu *v, uint64_t step);

/* run_hook.c: KVM_RUN on v's descriptor, as the VMM asked. */
int att_run(struct att_vcpu *v, unsigned long req, void *arg);

/* stale.c */
struct att_stale {
	uint8_t saved[256];		/* the exit union (kvm_run's io, mmio, debug, ...) before */
	size_t from;			/* its first byte we filled: the VMM's inputs before it stay */
	bool keep;			/* saved holds the VMM's view */
	bool armed;			/* this KVM_RUN's union was filled */
};
/* again: a further KVM_RUN of the same VMM call (--step hides the exit before it) */
void att_stale_before(const struct att_vcpu *v, struct att_stale *s, bool again);
/* Restore what KVM did not write; names the stale fields of the exit in buf ("" if none). */
void att_stale_after(const struct att_vcpu *v, const struct att_stale *s, bool exited, char *buf,
		     size_t size);

/* injections.c: an ioctl the VMM made that injects or sets vCPU state (after it ran). */
void att_note_injection(struct att_vm *vm, struct att_vcpu *v, unsigned long req, const void *arg,
			int ret);
/* Emit the pending events for v's step number step (vm->lock held). */
void att_emit_pending(struct att_vcpu *v, uint64_t step, bool before_step);

uint64_t att_now_ns(void);

/* high_fd.c: open(), with the descriptor moved above the VMM's (format/output.c's open) */
int att_open_high(const char *path, int flags, ...);

#endif
