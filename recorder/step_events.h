/* SPDX-License-Identifier: MIT */
/*
 * The events a step leaves besides its state, found the same way when
 * recording and when a replay writes a new trace: console output, the
 * result of a non-deterministic instruction (RDTSC, RDRAND, ...), and an
 * interrupt or exception the guest took.
 */
#ifndef XT_STEP_EVENTS_H
#define XT_STEP_EVENTS_H

#include "devices.h"
#include "inject.h"
#include "insn.h"

#define STEP_EVENTS_MAX 3

/*
 * After step (prev -> cur; insn: the instruction at prev's RIP, or NULL when
 * not single-stepping; dev: the devices as the exit left them): fill evs
 * and return how many.  Console data points into dev.
 */
size_t step_events(struct kvm_vm *vm, const struct devices *dev, const struct insn *insn,
		   const struct xt_state *prev, const struct xt_state *cur, struct injector *inj,
		   uint64_t step, struct xt_event evs[STEP_EVENTS_MAX]);

#endif
