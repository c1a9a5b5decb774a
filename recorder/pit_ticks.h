/* SPDX-License-Identifier: MIT */
/*
 * PIT ticks as recorded injections.  The in-kernel PIT raises IRQ 0 when
 * the host's clock says so, so a replay would take its ticks at other
 * steps.  Under single-step the recorder therefore writes each tick the
 * guest took as an irq-inject event (method pit) before the step that took
 * it; replay keeps the PIT's timer stopped and pulses IRQ 0 before that
 * same step (inject.c), where the guest, in the same state, takes it
 * again.  Reads of the PIT's counters and the PICs' registers, answered in
 * the kernel without an exit, are recorded as input events (step_events.c)
 * and fed back.
 */
#ifndef XT_PIT_TICKS_H
#define XT_PIT_TICKS_H

#include "inject.h"
#include "insn.h"
#include "kvm_vm.h"

/*
 * After the step from prev to cur (in: its instruction; NULL when not
 * single-stepping, which finds nothing: without steps there is no step to
 * place a tick at): did the guest take IRQ 0 in it?  If so fill ev with
 * the irq-inject event to write before step's record and return true.
 * Cheap unless the step cleared IF, as delivering an interrupt does.
 */
bool pit_tick_taken(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		    const struct insn *in, const struct injector *inj, uint64_t step, struct xt_event *ev);

#endif
