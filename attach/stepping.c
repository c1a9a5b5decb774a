// SPDX-License-Identifier: MIT
/*
 * --step: single-step a VMM that does not.  Once stepping starts (at the
 * trace's start, or with --step-at-port / --step-after when the guest gets
 * there: a QEMU guest runs its firmware first), every vCPU whose VMM set
 * no guest debug gets KVM_GUESTDBG_SINGLESTEP (and BLOCKIRQ with
 * --block-irq); each KVM_RUN of the VMM then runs as many KVM_RUNs as
 * steps, each recorded, and only the exit the VMM would have had without
 * us comes back to it (run_hook.c).  The run page's exit union is restored
 * to the VMM's view across the hidden exits (stale.c), and KVM hides TF
 * from KVM_GET_REGS while it steps.  The VMM's own KVM_SET_GUEST_DEBUG
 * wins: from then on that vCPU runs as the VMM says (registry.c), and the
 * trace notes it.
 *
 * Each vCPU's guest debug is set on its own thread, before its next
 * KVM_RUN: a vCPU ioctl waits while another thread is in that vCPU's
 * KVM_RUN, and the thread that saw the trigger holds the VM's lock, which
 * that vCPU needs to finish its step.
 */
#include <stdio.h>
#include <string.h>

#include "attach.h"

void att_step_enable(struct att_vcpu *v)
{
	v->step_tried = true;
	if (v->guest_debug || !v->run)
		return;		/* the VMM debugs this one itself: its settings win */
	struct kvm_guest_debug d;
	memset(&d, 0, sizeof(d));
	d.control = att_opt.step;
	if (att_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &d) == 0) {
		v->our_debug = true;
		v->guest_debug = att_opt.step;	/* the word in force, for the header */
	}
}

void att_step_setup(struct att_vm *vm)
{
	vm->stepping = att_opt.step && att_opt.step_at_port < 0 && !att_opt.step_after;
	/* at the start no vCPU is in KVM_RUN (each passes the VM's lock first): all can be set here */
	for (uint32_t i = 0; vm->stepping && i < vm->n_vcpus; i++)
		att_step_enable(vm->vcpus[i]);
}

void att_step_trigger(struct att_vcpu *v)
{
	struct att_vm *vm = v->vm;
	if (vm->stepping || !att_opt.step)
		return;
	const struct xt_exit *e = &v->cur.exit;
	bool port = att_opt.step_at_port >= 0 && e->reason == KVM_EXIT_IO &&
		    e->io_direction == KVM_EXIT_IO_OUT && e->io_port == (uint64_t)att_opt.step_at_port;
	bool after = att_opt.step_after && vm->steps >= att_opt.step_after;
	if (!port && !after)
		return;
	vm->stepping = true;
	if (vm->n_pending < ATT_PENDING_MAX) {
		struct att_pending *p = &vm->pending[vm->n_pending++];
		*p = (struct att_pending){ .target = NULL };
		if (port)
			snprintf(p->text, sizeof(p->text), "exitrace starts single-stepping: the guest wrote port 0x%x",
				 (unsigned)att_opt.step_at_port);
		else
			snprintf(p->text, sizeof(p->text), "exitrace starts single-stepping after %llu steps",
				 (unsigned long long)att_opt.step_after);
	}
}

bool att_step_hidden(const struct att_vcpu *v, int ret)
{
	/* the VMM asked for no debugging on this vCPU: every DEBUG exit is our single-step's */
	return ret == 0 && v->our_debug && v->run->exit_reason == KVM_EXIT_DEBUG;
}
