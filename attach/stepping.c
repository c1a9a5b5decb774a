// SPDX-License-Identifier: MIT
/*
 * --step: single-step a VMM that does not.  At the trace's start every vCPU
 * whose VMM set no guest debug gets KVM_GUESTDBG_SINGLESTEP (and BLOCKIRQ
 * with --block-irq); each KVM_RUN of the VMM then runs as many KVM_RUNs as
 * steps, each recorded, and only the exit the VMM would have had without
 * us comes back to it (run_hook.c).  The run page's exit union is restored
 * to the VMM's view across the hidden exits (stale.c), and KVM hides TF
 * from KVM_GET_REGS while it steps.  The VMM's own KVM_SET_GUEST_DEBUG
 * wins: from then on that vCPU runs as the VMM says (registry.c), and the
 * trace notes it.
 */
#include <string.h>

#include "attach.h"

void att_step_setup(struct att_vm *vm)
{
	if (!att_opt.step)
		return;
	for (uint32_t i = 0; i < vm->n_vcpus; i++) {
		struct att_vcpu *v = vm->vcpus[i];
		if (v->guest_debug || !v->run)
			continue;	/* the VMM debugs this one itself: its settings win */
		struct kvm_guest_debug d;
		memset(&d, 0, sizeof(d));
		d.control = att_opt.step;
		if (att_ioctl(v->fd, KVM_SET_GUEST_DEBUG, &d) == 0) {
			v->our_debug = true;
			v->guest_debug = att_opt.step;	/* the word in force, for the header */
		}
	}
}

bool att_step_hidden(const struct att_vcpu *v, int ret)
{
	/* the VMM asked for no debugging on this vCPU: every DEBUG exit is our single-step's */
	return ret == 0 && v->our_debug && v->run->exit_reason == KVM_EXIT_DEBUG;
}
