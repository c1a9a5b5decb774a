// SPDX-License-Identifier: MIT
/*
 * What the VMM injects or sets between two KVM_RUNs, recorded at the step
 * it precedes: KVM_SIGNAL_MSI, KVM_INTERRUPT and KVM_NMI as irq-inject
 * events (SPEC: an injection of a vCPU precedes that vCPU's next step
 * record); KVM_IRQ_LINE(_STATUS), which names a line, not a vector, and
 * the VMM's KVM_SET_REGS/SREGS/VCPU_EVENTS/LAPIC and KVM_SET_GUEST_DEBUG
 * as notes after that step ("before this step, the VMM ...").  An irqfd
 * the VMM signals is no ioctl: only its arrival is seen.
 */
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "writer_thread.h"

static void queue(struct att_vm *vm, const struct att_pending *p)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->trace_state >= 0) {
		if (vm->n_pending < ATT_PENDING_MAX)
			vm->pending[vm->n_pending++] = *p;
		else
			vm->pending_lost++;
	}
	pthread_mutex_unlock(&vm->lock);
}

/* The vCPU an MSI goes to: physical destination mode, APIC ID in address bits 19:12. */
static const struct att_vcpu *msi_target(struct att_vm *vm, const struct kvm_msi *m)
{
	uint32_t dest = (m->address_lo >> 12) & 0xff;
	if ((m->address_lo >> 2) & 1)
		return NULL;	/* logical destination: we do not resolve it */
	for (uint32_t i = 0; i < vm->n_vcpus; i++)
		if (vm->vcpus[i]->id == dest)
			return vm->vcpus[i];
	return NULL;
}

void att_note_injection(struct att_vm *vm, struct att_vcpu *v, unsigned long req, const void *arg,
			int ret)
{
	struct att_pending p = { .target = v, .result = ret };
	bool setter = false;
	switch (req) {
	case KVM_SIGNAL_MSI: {
		const struct kvm_msi *m = arg;
		p.inject = true;
		p.method = XT_INJECT_MSI;
		p.vector = m->data & 0xff;
		pthread_mutex_lock(&vm->lock);	/* the vCPU list grows on other threads */
		p.target = msi_target(vm, m);
		pthread_mutex_unlock(&vm->lock);
		break;
	}
	case KVM_INTERRUPT:
		p.inject = true;
		p.method = XT_INJECT_INTERRUPT;
		p.vector = ((const struct kvm_interrupt *)arg)->irq;
		break;
	case KVM_NMI:
		p.inject = true;
		p.method = XT_INJECT_NMI;
		p.vector = 2;
		p.result = ret == 0 ? 1 : ret;	/* SPEC: KVM_NMI's success is 1 */
		break;
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS: {
		const struct kvm_irq_level *l = arg;
		snprintf(p.text, sizeof(p.text), "the VMM: %s irq %u level %u (result %d)",
			 req == KVM_IRQ_LINE ? "KVM_IRQ_LINE" : "KVM_IRQ_LINE_STATUS", l->irq, l->level,
			 req == KVM_IRQ_LINE_STATUS && ret >= 0 ? (int)l->status : ret);
		break;
	}
	case KVM_SET_REGS:
		snprintf(p.text, sizeof(p.text), "the VMM: KVM_SET_REGS (rip 0x%llx, result %d)",
			 (unsigned long long)((const struct kvm_regs *)arg)->rip, ret);
		setter = true;
		break;
	case KVM_SET_SREGS:
		snprintf(p.text, sizeof(p.text), "the VMM: KVM_SET_SREGS (result %d)", ret);
		setter = true;
		break;
	case KVM_SET_VCPU_EVENTS:
		snprintf(p.text, sizeof(p.text), "the VMM: KVM_SET_VCPU_EVENTS (result %d)", ret);
		setter = true;
		break;
	case KVM_SET_LAPIC:
		snprintf(p.text, sizeof(p.text), "the VMM: KVM_SET_LAPIC (result %d)", ret);
		setter = true;
		break;
	case KVM_SET_GUEST_DEBUG: {
		char flags[160];
		xt_guest_debug_str(flags, sizeof(flags), ((const struct kvm_guest_debug *)arg)->control);
		snprintf(p.text, sizeof(p.text), "the VMM: KVM_SET_GUEST_DEBUG %s (result %d)", flags, ret);
		setter = true;
		break;
	}
	default:
		return;
	}
	/* before the trace opens, what the VMM sets is the initial state the header holds */
	if (setter && vm->trace_state == 0)
		return;
	/* a vCPU the trace does not have (made after it began) has no step to attach it to */
	if (v && vm->trace_state == 1 && !v->in_trace)
		return;
	queue(vm, &p);
	/* outstanding for arrival detection: its evidence "an injection was outstanding" */
	if (p.inject && ret >= 0) {
		pthread_mutex_lock(&vm->lock);
		for (uint32_t i = 0; i < vm->n_vcpus; i++) {
			struct injector *in = &vm->vcpus[i]->inj;
			if ((!p.target || p.target == vm->vcpus[i]) && in->noutstanding < INJECT_MAX)
				in->outstanding[in->noutstanding++] = p.vector;
		}
		pthread_mutex_unlock(&vm->lock);
	}
}

static bool for_vcpu(const struct att_pending *p, const struct att_vcpu *v, bool inject)
{
	return p->inject == inject && (!p->target || p->target == v);
}

void att_emit_pending(struct att_vcpu *v, uint64_t step, bool before_step)
{
	struct att_vm *vm = v->vm;
	size_t keep = 0;
	for (size_t i = 0; i < vm->n_pending; i++) {
		const struct att_pending *p = &vm->pending[i];
		if (!for_vcpu(p, v, before_step)) {
			vm->pending[keep++] = *p;
			continue;
		}
		struct xt_event ev = { .step = step, .vcpu = v->index };
		char text[256];
		if (p->inject) {
			ev.kind = XT_EV_IRQ_INJECT;
			ev.inject.method = p->method;
			ev.inject.vector = p->vector;
			ev.inject.result = p->result;
			ev.inject.port = -1;
		} else {
			snprintf(text, sizeof(text), "%s%s", p->raw ? "" : "before this step, ", p->text);
			ev.kind = XT_EV_NOTE;
			ev.note.text = text;
		}
		wthread_event(vm->wt, &ev);
	}
	vm->n_pending = keep;
}
