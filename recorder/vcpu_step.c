// SPDX-License-Identifier: MIT
/*
 * State comes from kvm_run->s.regs (KVM_CAP_SYNC_REGS, api.rst 4.81 and
 * section 6 "kvm_run"), so a step costs one KVM_RUN unless the capture set
 * asks for blocks that only ioctls can read.
 */
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "host_clock.h"
#include "rec_util.h"
#include "vcpu_step.h"

/* The internal-error and system-event words the trace has room for. */
#define DATA_WORDS ((uint32_t)(XT_WORDS_DATA_MAX / sizeof(uint64_t)))
_Static_assert(sizeof(((struct kvm_run *)0)->internal.data) >= XT_WORDS_DATA_MAX &&
	       sizeof(((struct kvm_run *)0)->system_event.data) >= XT_WORDS_DATA_MAX,
	       "the words copied must all lie in kvm_run's data[]");

int vstep_init(struct vcpu_stepper *st, struct kvm_vm *vm, uint32_t control,
	       const uint64_t debugreg[8], struct xt_error *err)
{
	memset(st, 0, sizeof(*st));
	st->vm = vm;
	st->dbg_control = control;
	memcpy(st->dbg_regs, debugreg, sizeof(st->dbg_regs));
	int rc;
	if (control && (rc = kvm_vm_set_guest_debug(vm, control, debugreg, err)))
		return rc;
	return vstep_resync(st, err);
}

int vstep_reload(struct vcpu_stepper *st, struct xt_state *cur, struct xt_state *prev, uint32_t capture,
		 struct xt_error *err)
{
	int rc;
	if ((rc = kvm_vm_get_state(st->vm, cur, capture, err)) || (rc = vstep_resync(st, err)))
		return rc;
	cur->exit.reason = XT_EXIT_NONE;
	*prev = *cur;
	return 0;
}

int vstep_resync(struct vcpu_stepper *st, struct xt_error *err)
{
	if (ioctl(st->vm->vcpu_fd, KVM_GET_SREGS, &st->raw_sregs) < 0 ||
	    ioctl(st->vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &st->raw_events) < 0)
		return rec_err(err, -errno, "reading the vCPU's state: %s", strerror(errno));
	st->sregs_changed = st->events_changed = false;
	return 0;
}

int vstep_run(struct vcpu_stepper *st, int *ret, int *err_no, struct xt_error *err)
{
	struct kvm_run *run = st->vm->run;
	run->exit_reason = VSTEP_EXIT_POISON;
	/*
	 * Some hosts never write debug.arch.dr7 (or more): clear the payload so a
	 * stale value is never recorded.  After an MMIO read the first bytes
	 * (phys_addr, data, len) are what the guest is about to receive, so only
	 * dr7, past them, is cleared then.
	 */
	_Static_assert(offsetof(struct kvm_run, debug.arch.dr7) >=
		       offsetof(struct kvm_run, mmio.is_write) + sizeof(run->mmio.is_write),
		       "debug.arch.dr7 must not overlap the MMIO payload");
	if (!st->last_mmio)
		memset(&run->debug, 0, sizeof(run->debug));
	else
		run->debug.arch.dr7 = 0;
	if (st->timed) {
		uint64_t t = host_clock_now();
		*ret = ioctl(st->vm->vcpu_fd, KVM_RUN, 0);
		*err_no = *ret < 0 ? errno : 0;
		st->returned_tsc = host_clock_now();
		st->run_tsc += st->returned_tsc - t;
	} else {
		*ret = ioctl(st->vm->vcpu_fd, KVM_RUN, 0);
		*err_no = *ret < 0 ? errno : 0;
	}
	run->kvm_dirty_regs = 0;
	if (vstep_interrupted(*ret, *err_no))
		return 0;
	st->last_mmio = *ret == 0 && run->exit_reason == KVM_EXIT_MMIO;
	if (st->bp_suspended) {
		st->bp_suspended = false;
		return kvm_vm_set_guest_debug(st->vm, st->dbg_control, st->dbg_regs, err);
	}
	return 0;
}

void vstep_capture_sync(struct vcpu_stepper *st, struct xt_state *cur)
{
	const struct kvm_sync_regs *s = &st->vm->run->s.regs;
	memcpy(&cur->regs, &s->regs, sizeof(cur->regs));
	st->sregs_changed = memcmp(&s->sregs, &st->raw_sregs, sizeof(st->raw_sregs)) != 0;
	if (st->sregs_changed) {
		st->raw_sregs = s->sregs;
		kvm_sregs_to_xt(&s->sregs, &cur->sregs);
	}
	st->events_changed = memcmp(&s->events, &st->raw_events, sizeof(st->raw_events)) != 0;
	if (st->events_changed) {
		st->raw_events = s->events;
		kvm_events_to_xt(&s->events, &cur->events);
	}
}

bool vstep_capture_exit(struct vcpu_stepper *st, struct xt_state *cur, int ret, int err_no)
{
	struct kvm_run *run = st->vm->run;
	struct xt_exit *e = &cur->exit;
	if (ret < 0 || run->exit_reason == VSTEP_EXIT_POISON) {
		e->reason = XT_EXIT_RUN_FAILED;
		e->run_ret = (uint64_t)(int64_t)ret;
		e->run_errno = ret < 0 ? (uint64_t)err_no : 0;
		return false;
	}
	e->reason = run->exit_reason;
	e->run_ret = 0;
	e->run_errno = 0;
	e->run_flags = run->flags;
	e->if_flag = run->if_flag;
	e->ready_for_injection = run->ready_for_interrupt_injection;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		e->io_direction = run->io.direction;
		e->io_size = run->io.size;
		e->io_port = run->io.port;
		e->io_count = run->io.count;
		uint64_t n;
		const uint8_t *data = kvm_run_io_data(run, st->vm->run_size, &n);
		if (!data || n > XT_IO_DATA_MAX)
			n = 0;
		e->io_data_len = (uint32_t)n;
		if (n)
			memcpy(e->io_data, data, n);
		break;
	}
	case KVM_EXIT_MMIO:
		e->mmio_addr = run->mmio.phys_addr;
		e->mmio_len = run->mmio.len;
		e->mmio_is_write = run->mmio.is_write;
		e->mmio_data_len = run->mmio.len <= 8 ? run->mmio.len : 8;
		memcpy(e->mmio_data, run->mmio.data, e->mmio_data_len);
		break;
	case KVM_EXIT_DEBUG:
		e->debug_exception = run->debug.arch.exception;
		e->debug_dr6 = run->debug.arch.dr6;
		/* what is not a DR7 was not written as one: 0, "not written" (SPEC.md) */
		e->debug_dr7 = xt_dr7_valid(run->debug.arch.dr7) ? run->debug.arch.dr7 : 0;
		e->debug_pc = run->debug.arch.pc;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		e->fail_hw_reason = run->fail_entry.hardware_entry_failure_reason;
		e->fail_cpu = run->fail_entry.cpu;
		break;
	case KVM_EXIT_INTERNAL_ERROR: {
		uint32_t n = run->internal.ndata <= DATA_WORDS ? run->internal.ndata : DATA_WORDS;
		e->internal_suberror = run->internal.suberror;
		e->internal_data_len = n * 8;
		memcpy(e->internal_data, run->internal.data, n * 8);
		break;
	}
	case KVM_EXIT_SYSTEM_EVENT: {
		uint32_t n = run->system_event.ndata <= DATA_WORDS ? run->system_event.ndata : DATA_WORDS;
		e->system_event_type = run->system_event.type;
		e->system_event_data_len = n * 8;
		memcpy(e->system_event_data, run->system_event.data, n * 8);
		break;
	}
	}
	return true;
}

/*
 * An execute breakpoint fires again at the same RIP until it is passed
 * (SDM vol. 3, 17.3.1.1 has the guest set RF).  Setting RF from the VMM is
 * not honoured on every host, so the instruction is stepped over with that
 * breakpoint disabled, and vstep_run() puts the breakpoints back.
 */
int vstep_after_exit(struct vcpu_stepper *st, const struct xt_state *cur, struct xt_error *err)
{
	if (cur->exit.reason != KVM_EXIT_DEBUG)
		return 0;
	uint64_t dr6 = cur->exit.debug_dr6, dr[8];
	memcpy(dr, st->dbg_regs, sizeof(dr));
	for (int i = 0; i < 4; i++) {
		if ((dr6 & (1u << i)) && ((dr[7] >> (16 + 4 * i)) & 3) == 0 && (dr[7] >> (2 * i) & 3)) {
			dr[7] &= ~(3ull << (2 * i));
			st->bp_suspended = true;
		}
	}
	if (!st->bp_suspended)
		return 0;
	uint32_t control = st->dbg_control | KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	return kvm_vm_set_guest_debug(st->vm, control, dr, err);
}

void vstep_advance(struct vcpu_stepper *st, struct xt_state *prev, struct xt_state *cur)
{
	memcpy(&prev->regs, &cur->regs, sizeof(prev->regs));
	if (st->sregs_changed)
		prev->sregs = cur->sregs;
	if (st->events_changed)
		prev->events = cur->events;
	vstep_capture_sync(st, cur);
}
