// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "inject.h"
#include "rec_util.h"

#define NMI_VECTOR 2
/* MSI address: the local APIC of CPU 0, physical destination; data: fixed or NMI delivery. */
#define MSI_ADDR 0xfee00000u
#define MSI_DM_NMI 0x400u

void injector_init(struct injector *in, const struct xt_injection *sched, size_t n)
{
	memset(in, 0, sizeof(*in));
	in->n = n < INJECT_MAX ? n : INJECT_MAX;
	if (in->n)
		memcpy(in->sched, sched, in->n * sizeof(*sched));
}

static void enqueue(struct injector *in, size_t i)
{
	if (!in->done[i] && in->nqueue < INJECT_MAX) {
		in->done[i] = in->sched[i].port < 0;	/* a port trigger fires on every write */
		in->queue[in->nqueue++] = i;
	}
}

void injector_port_write(struct injector *in, uint16_t port)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->sched[i].port == port)
			enqueue(in, i);
}

/*
 * A PIT tick, as the PIT makes it: a pulse on GSI 0 (api.rst 4.25
 * KVM_IRQ_LINE), whatever its vector; the PIC and I/O APIC turn it into
 * the vector the guest programmed.  1 like a delivered MSI.
 */
static int pulse_irq0(struct kvm_vm *vm)
{
	struct kvm_irq_level up = { .irq = 0, .level = 1 }, down = { .irq = 0, .level = 0 };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &up) < 0 || ioctl(vm->vm_fd, KVM_IRQ_LINE, &down) < 0)
		return -errno;
	return 1;
}

int inject_now(struct kvm_vm *vm, uint32_t method, uint32_t vector)
{
	if (method == XT_INJECT_PIT)
		return pulse_irq0(vm);
	if (method == XT_INJECT_MSI || (method == XT_INJECT_NMI && vm->irqchip != XT_IRQCHIP_NONE)) {
		struct kvm_msi msi = { .address_lo = MSI_ADDR,
				       .data = method == XT_INJECT_NMI ? MSI_DM_NMI : vector };
		int r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
		return r < 0 ? -errno : r;
	}
	if (method == XT_INJECT_NMI)	/* 1 like a delivered MSI: an NMI's result says delivered or not */
		return ioctl(vm->vcpu_fd, KVM_NMI, 0) < 0 ? -errno : 1;
	struct kvm_interrupt irq = { .irq = vector };
	return ioctl(vm->vcpu_fd, KVM_INTERRUPT, &irq) < 0 ? -errno : 0;
}

static int deliver(struct kvm_vm *vm, const struct xt_injection *j, bool *wait)
{
	*wait = false;
	/* KVM_INTERRUPT only when the guest can take it now */
	if (j->method == XT_INJECT_INTERRUPT && !vm->run->ready_for_interrupt_injection) {
		vm->run->request_interrupt_window = 1;
		*wait = true;
		return 0;
	}
	return inject_now(vm, j->method, j->vector);
}

static void note_outstanding(struct injector *in, uint32_t method, uint32_t vector)
{
	if (in->noutstanding < INJECT_MAX)
		in->outstanding[in->noutstanding++] = method == XT_INJECT_NMI ? NMI_VECTOR : vector;
}

void injector_queue_due(struct injector *in, uint64_t step)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->sched[i].port < 0 && in->sched[i].step == step)
			enqueue(in, i);
}

size_t injector_before_run(struct injector *in, struct kvm_vm *vm, uint64_t step,
			   struct xt_event *evs, size_t max)
{
	injector_queue_due(in, step);
	size_t nev = 0, kept = 0;
	for (size_t q = 0; q < in->nqueue; q++) {
		const struct xt_injection *j = &in->sched[in->queue[q]];
		bool wait;
		int r = deliver(vm, j, &wait);
		if (wait) {
			in->queue[kept++] = in->queue[q];
			continue;
		}
		if (r >= 0)
			note_outstanding(in, j->method, j->vector);
		if (nev < max) {
			evs[nev] = (struct xt_event){ .kind = XT_EV_IRQ_INJECT, .step = step };
			evs[nev].inject.method = j->method;
			evs[nev].inject.vector = j->method == XT_INJECT_NMI ? NMI_VECTOR : j->vector;
			evs[nev].inject.result = r;
			evs[nev].inject.port = j->port;
			nev++;
		}
	}
	in->nqueue = kept;
	if (!kept)
		vm->run->request_interrupt_window = 0;
	return nev;
}

int injector_replay(struct injector *in, struct kvm_vm *vm, uint32_t method, uint32_t vector,
		    int64_t port)
{
	uint32_t sched_vector = method == XT_INJECT_NMI ? NMI_VECTOR : vector;
	for (size_t q = 0; q < in->nqueue; q++) {
		const struct xt_injection *j = &in->sched[in->queue[q]];
		uint32_t v = j->method == XT_INJECT_NMI ? NMI_VECTOR : j->vector;
		if (j->method == method && v == sched_vector && (port < 0) == (j->port < 0)) {
			memmove(&in->queue[q], &in->queue[q + 1], (in->nqueue - q - 1) * sizeof(in->queue[0]));
			in->nqueue--;
			break;
		}
	}
	int r = inject_now(vm, method, vector);
	/* the recorder did not make a PIT tick: its arrival had no injection of ours to match */
	if (r >= 0 && method != XT_INJECT_PIT)
		note_outstanding(in, method, vector);
	return r;
}

void injector_replay_window(const struct injector *in, struct kvm_vm *vm)
{
	bool waiting = false;
	for (size_t q = 0; q < in->nqueue && !waiting; q++)
		waiting = in->sched[in->queue[q]].method == XT_INJECT_INTERRUPT;
	vm->run->request_interrupt_window = waiting;
}

bool injector_pending(const struct injector *in, uint64_t step)
{
	if (in->nqueue)
		return true;
	for (size_t i = 0; i < in->n; i++)
		if (!in->done[i] && in->sched[i].port < 0 && in->sched[i].step >= step)
			return true;
	return false;
}

bool injector_outstanding(const struct injector *in, uint32_t vector)
{
	for (size_t i = 0; i < in->noutstanding; i++)
		if (in->outstanding[i] == vector)
			return true;
	return false;
}

bool injector_taken(struct injector *in, uint32_t vector)
{
	for (size_t i = 0; i < in->noutstanding; i++) {
		if (in->outstanding[i] == vector) {
			in->outstanding[i] = in->outstanding[--in->noutstanding];
			return true;
		}
	}
	return false;
}

int injector_parse(const char *spec, uint32_t irqchip, struct xt_injection *out)
{
	const char *at = strchr(spec, '@');
	if (!at || at == spec || !at[1])
		return -EINVAL;
	*out = (struct xt_injection){ .port = -1,
				      .method = irqchip == XT_IRQCHIP_NONE ? XT_INJECT_INTERRUPT : XT_INJECT_MSI };
	const char *end;
	uint64_t v;
	if (!strncasecmp(spec, "nmi@", 4)) {
		out->method = XT_INJECT_NMI;
		out->vector = NMI_VECTOR;
	} else {
		if (!rec_parse_u64(spec, &end, &v) || end != at || v > 255 || v < 16)
			return -EINVAL;	/* vectors below 16 are not deliverable as fixed interrupts */
		out->vector = (uint32_t)v;
	}
	const char *when = at + 1;
	if (!strncmp(when, "io:", 3)) {
		if (!rec_parse_u64(when + 3, &end, &v) || *end || v > 0xffff)
			return -EINVAL;
		out->port = (int64_t)v;
		return 0;
	}
	if (!rec_parse_u64(when, &end, &v) || *end || v == 0)
		return -EINVAL;
	out->step = v;
	return 0;
}
