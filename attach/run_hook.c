// SPDX-License-Identifier: MIT
/*
 * One KVM_RUN of the VMM, seen from outside: the run page's exit area is
 * armed for stale-field detection, the VMM's own KVM_RUN runs with its own
 * argument, and afterwards the exit and the vCPU's state are captured and
 * written as the VM's next step, under the VM's lock (the steps of vCPUs on
 * several threads are ordered by who takes it first: SPEC 5.1, concurrent
 * vCPUs).  The capture reads kvm_run->s.regs where the VMM asked KVM to
 * fill them (kvm_valid_regs, api.rst 4.81); otherwise it asks with
 * KVM_GET_REGS/SREGS/VCPU_EVENTS, which change nothing the VMM can see.
 * We never set kvm_valid_regs ourselves: the VMM reads that word too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"

#define SYNC_ALL (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

/* Regs, sregs and events by ioctl, into v->cur; sets st's *_changed as vstep_capture_sync does. */
static void capture_ioctl(struct att_vcpu *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	_Static_assert(sizeof(regs) == sizeof(v->cur.regs), "kvm_regs is xt_regs' layout");
	if (att_ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		memcpy(&v->cur.regs, &regs, sizeof(regs));
	v->st.sregs_changed = att_ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0 &&
			      memcmp(&sregs, &v->st.raw_sregs, sizeof(sregs)) != 0;
	if (v->st.sregs_changed) {
		v->st.raw_sregs = sregs;
		kvm_sregs_to_xt(&sregs, &v->cur.sregs);
	}
	v->st.events_changed = att_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &events) == 0 &&
			       memcmp(&events, &v->st.raw_events, sizeof(events)) != 0;
	if (v->st.events_changed) {
		v->st.raw_events = events;
		kvm_events_to_xt(&events, &v->cur.events);
	}
}

/* One real KVM_RUN: the union armed by the caller, the step captured and written. */
static int one_run(struct att_vcpu *v, unsigned long req, void *arg, struct att_stale *stale, int *err_no)
{
	struct att_vm *vm = v->vm;
	/*
	 * Borrowed sync regs (the default; --no-borrow-sync-regs turns it
	 * off): KVM fills s.regs for us too during this KVM_RUN, and both the
	 * VMM's kvm_valid_regs and whatever s.regs held are put back before it
	 * returns to the VMM, so its own thread never sees the change.  Another
	 * thread of the VMM that read this vCPU's kvm_valid_regs or s.regs
	 * while the vCPU runs could; no VMM we know does (QEMU's other threads
	 * write immediate_exit, a word we never touch), and it saves the three
	 * GET ioctls per exit, each a vcpu_load.
	 */
	struct kvm_run *run = v->run;
	uint64_t vmm_valid = run->kvm_valid_regs;
	bool vmm_sync = (vmm_valid & SYNC_ALL) == SYNC_ALL;
	bool borrow = !vmm_sync && vm->sync_regs_ok && att_opt.borrow_sync_regs;
	struct kvm_sync_regs vmm_regs;
	if (borrow) {
		memcpy(&vmm_regs, &run->s.regs, sizeof(vmm_regs));
		run->kvm_valid_regs = vmm_valid | SYNC_ALL;
	}
	/* --capture time: as vstep_run() times the recorder's KVM_RUN */
	uint64_t t = v->st.timed ? host_clock_now() : 0;
	int ret = att_real.ioctl(v->fd, req, arg);
	int e = errno;	/* given back as it is, even after a success */
	if (v->st.timed) {
		v->st.returned_tsc = host_clock_now();
		v->st.run_tsc += v->st.returned_tsc - t;
	}
	char names[256];
	att_stale_after(v, stale, ret == 0, names, sizeof(names));

	v->prev.regs = v->cur.regs;
	v->prev.sregs = v->cur.sregs;
	v->prev.events = v->cur.events;
	vstep_capture_exit(&v->st, &v->cur, ret, ret < 0 ? e : 0);
	vstep_clear_read_data(&v->cur.exit);	/* the VMM answers later: answers.c */
	if (vmm_sync || borrow)
		vstep_capture_sync(&v->st, &v->cur);
	else
		capture_ioctl(v);
	if (borrow) {
		memcpy(&run->s.regs, &vmm_regs, sizeof(vmm_regs));
		run->kvm_valid_regs = vmm_valid;
	}
	if (ret == 0)
		v->last_exit = v->run->exit_reason;

	pthread_mutex_lock(&vm->lock);
	if (v->st.timed)
		host_clock_split(&vm->clock, v->st.run_tsc, v->st.returned_tsc, &v->cur.time.run, &v->cur.time.out);
	if (vm->trace_state == 1)
		att_trace_step(v, names);
	pthread_mutex_unlock(&vm->lock);
	*err_no = e;
	return ret;
}

int att_run(struct att_vcpu *v, unsigned long req, void *arg)
{
	struct att_vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	if (vm->trace_state == 0)
		att_trace_open(vm);
	bool tracing = vm->trace_state == 1 && v->in_trace && v->run;
	if (vm->trace_state == 1 && !v->in_trace && !v->late_noted && vm->n_vcpus) {
		/* the header's vCPU set is fixed: a vCPU made after the first KVM_RUN is not in it */
		v->late_noted = true;
		if (vm->n_pending < ATT_PENDING_MAX) {
			struct att_pending *p = &vm->pending[vm->n_pending++];
			*p = (struct att_pending){ .target = NULL };
			snprintf(p->text, sizeof(p->text), "a vCPU with APIC ID %u was created after the "
				 "trace began: its exits are not recorded", v->id);
		}
	}
	if (tracing && vm->stepping && !v->step_tried)
		att_step_enable(v);
	pthread_mutex_unlock(&vm->lock);
	/* a trace that failed still owes the VMM the exits it would have had, if we step it */
	if (!tracing && !v->our_debug)
		return att_real.ioctl(v->fd, req, arg);

	if (tracing)
		att_answer_take(v);
	struct att_stale stale;
	int ret, e;
	/* one KVM_RUN, or under --step as many as it takes to reach an exit the VMM would have had */
	for (bool again = false;; again = true) {
		att_stale_before(v, &stale, again);
		ret = one_run(v, req, arg, &stale, &e);
		if (!att_step_hidden(v, ret))
			break;
		/* a signal or immediate_exit meant for the VMM stops the next KVM_RUN, as without us */
	}
	errno = e;
	return ret;
}
