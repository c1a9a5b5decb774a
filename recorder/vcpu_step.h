/* SPDX-License-Identifier: MIT */
/*
 * Stepping the vCPU the one way record and replay must share, so that a
 * replay meets the exits the recording met: exit_reason is poisoned before
 * every KVM_RUN, kvm_run's debug payload is cleared (except after an MMIO
 * exit, where it holds the bytes the guest is about to read), an execute
 * breakpoint that fired is stepped over with it disabled for one step, and
 * the state after the exit is read from kvm_run->s.regs into struct
 * xt_state, converting sregs and events only when they changed.
 */
#ifndef XT_VCPU_STEP_H
#define XT_VCPU_STEP_H

#include <errno.h>
#include <string.h>

#include "kvm_vm.h"

/* Not a KVM exit reason: a KVM_RUN that returns with this left set did not exit. */
#define VSTEP_EXIT_POISON 0xfffffffeu

struct vcpu_stepper {
	struct kvm_vm *vm;
	uint32_t dbg_control;		/* the guest-debug word and registers as configured */
	uint64_t dbg_regs[8];
	bool bp_suspended;		/* stepping over an execute breakpoint */
	bool last_mmio;			/* kvm_run's debug payload holds MMIO read data */
	struct kvm_sregs raw_sregs;	/* what cur's sregs and events were converted from */
	struct kvm_vcpu_events raw_events;
	bool sregs_changed, events_changed;	/* by the last capture */
	/* --capture time: TSC cycles inside KVM_RUN in all, and when the last one returned */
	bool timed;
	uint64_t run_tsc, returned_tsc;
};

/*
 * Set the guest-debug word and arch.debugreg[] (nothing when control is 0)
 * and read the vCPU's sregs and events as they are now, the base that
 * later captures convert against.  0 or -errno with err set.
 */
int vstep_init(struct vcpu_stepper *st, struct kvm_vm *vm, uint32_t control,
	       const uint64_t debugreg[8], struct xt_error *err);

/* Read the vCPU's sregs and events anew as that base (after KVM reset it: INIT, SIPI). */
int vstep_resync(struct vcpu_stepper *st, struct xt_error *err);

/*
 * The state KVM gave the vCPU itself (a start by SIPI) into cur, as the
 * base its next step is compared with: prev the same, no exit yet.
 */
int vstep_reload(struct vcpu_stepper *st, struct xt_state *cur, struct xt_state *prev, uint32_t capture,
		 struct xt_error *err);

/*
 * One KVM_RUN.  *ret and *err_no are what KVM_RUN returned and its errno.
 * A run that returned EINTR made no exit (a signal, or immediate_exit):
 * nothing else changes then, and the caller runs again or stops.  Returns
 * 0, or -errno when putting suspended breakpoints back failed.
 */
int vstep_run(struct vcpu_stepper *st, int *ret, int *err_no, struct xt_error *err);

/* Was this KVM_RUN interrupted before any exit (EINTR)? */
static inline bool vstep_interrupted(int ret, int err_no)
{
	return ret < 0 && err_no == EINTR;
}

/*
 * An attached VMM answers an IN or MMIO read after the exit is recorded
 * (its answer is an input event of the next step): the data bytes the
 * run page holds at the exit are its leftovers, not the exit's, so an
 * attached trace holds zeros there, and replay compares zeros.
 */
static inline void vstep_clear_read_data(struct xt_exit *e)
{
	if (e->reason == KVM_EXIT_IO && e->io_direction == KVM_EXIT_IO_IN)
		memset(e->io_data, 0, e->io_data_len);
	else if (e->reason == KVM_EXIT_MMIO && !e->mmio_is_write)
		memset(e->mmio_data, 0, e->mmio_data_len);
}

/* Regs, sregs and events from kvm_run->s.regs into cur. */
void vstep_capture_sync(struct vcpu_stepper *st, struct xt_state *cur);

/*
 * After an exit: prev becomes the state before this step (what cur held:
 * regs always, sregs and events only if the last capture changed them, the
 * rest prev does not need) and cur is captured anew.
 */
void vstep_advance(struct vcpu_stepper *st, struct xt_state *prev, struct xt_state *cur);

/*
 * The exit from kvm_run into cur->exit (payload fields of other reasons keep
 * their values), or XT_EXIT_RUN_FAILED when KVM_RUN failed or left the
 * poison.  Call it after answering I/O and MMIO reads in kvm_run, so the
 * payload holds what the guest got.  Returns false when the run failed.
 */
bool vstep_capture_exit(struct vcpu_stepper *st, struct xt_state *cur, int ret, int err_no);

/* After the exit was captured: a DEBUG exit at an execute breakpoint disables it for one step. */
int vstep_after_exit(struct vcpu_stepper *st, const struct xt_state *cur, struct xt_error *err);

#endif
