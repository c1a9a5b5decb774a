/* SPDX-License-Identifier: MIT */
/*
 * IRQ sources: injections scheduled at a step or on a guest write to an
 * I/O port, delivered the way the irqchip mode calls for: KVM_SIGNAL_MSI
 * to the in-kernel local APIC, or KVM_INTERRUPT when userspace owns the
 * PIC (waiting for the interrupt window, KVM API doc 4.16 and 5 kvm_run).
 */
#ifndef XT_INJECT_H
#define XT_INJECT_H

#include "kvm_vm.h"

#define INJECT_MAX 64

struct injector {
	struct xt_injection sched[INJECT_MAX];
	size_t n;
	bool done[INJECT_MAX];
	/* due but not yet delivered (KVM_INTERRUPT waits for the window) */
	size_t queue[INJECT_MAX];
	size_t nqueue;
	/* vectors injected and not yet seen taken, for arrival detection */
	uint32_t outstanding[INJECT_MAX];
	size_t noutstanding;
};

void injector_init(struct injector *in, const struct xt_injection *sched, size_t n);

/* The guest wrote port: queue the injections triggered by it (every time). */
void injector_port_write(struct injector *in, uint16_t port);

/*
 * Before the KVM_RUN that produces step: deliver what is due.  Each
 * delivery (or failed attempt) is returned as an event in evs (up to max);
 * returns how many.  A KVM_INTERRUPT that must wait sets
 * request_interrupt_window.
 */
size_t injector_before_run(struct injector *in, struct kvm_vm *vm, uint64_t step,
			   struct xt_event *evs, size_t max);

/* Inject now, without waiting for the window: the ioctl's result (MSI: > 0 delivered), or -errno. */
int inject_now(struct kvm_vm *vm, uint32_t method, uint32_t vector);

/*
 * Replay: the trace says when each injection was made; the schedule only
 * says when the recorder started waiting for it, which decides
 * request_interrupt_window.  Before the KVM_RUN of a step: queue what the
 * schedule makes due then (injector_port_write() queues port triggers),
 * make the injections the trace has for the step with injector_replay()
 * (it drops the matching queued entry), then set the window the way the
 * recorder had it, open while a KVM_INTERRUPT waits.
 */
void injector_queue_due(struct injector *in, uint64_t step);
int injector_replay(struct injector *in, struct kvm_vm *vm, uint32_t method, uint32_t vector,
		    int64_t port);
void injector_replay_window(const struct injector *in, struct kvm_vm *vm);

/* Is anything queued or scheduled at or after step? */
bool injector_pending(const struct injector *in, uint64_t step);

/* Is an injection of vector outstanding (made, and not yet seen taken)? */
bool injector_outstanding(const struct injector *in, uint32_t vector);

/* An arrival of vector was seen: it is no longer outstanding.  Returns whether it was ours. */
bool injector_taken(struct injector *in, uint32_t vector);

/* Parse "VECTOR@STEP", "VECTOR@io:PORT" or "nmi@STEP".  0 or -EINVAL. */
int injector_parse(const char *spec, uint32_t irqchip, struct xt_injection *out);

#endif
