/* SPDX-License-Identifier: MIT */
/*
 * IRQ arrival: did the guest take an interrupt or exception in this step?
 *
 * RIP alone cannot say: on some hosts the delivering step also runs the
 * handler's first instruction, and an IRET step also runs the instruction
 * after the return.  So arrival is read from what delivery leaves behind:
 * the interrupt frame pushed at the interrupted stack pointer (holding the
 * interrupted RIP, CS, RFLAGS and, in 64-bit mode, RSP and SS), the gate in
 * the guest's IDT, and for the vector the vCPU events, the instruction
 * (INT n, UD2, ...), our own injections and the local APIC's ISR and IRR.
 * Where gates share a handler and none of these decides, the arrival is
 * recorded as ambiguous with its candidate vectors, never a guess.
 */
#ifndef XT_ARRIVAL_H
#define XT_ARRIVAL_H

#include "inject.h"
#include "insn.h"
#include "kvm_vm.h"

/*
 * After a step from prev to cur (insn: the instruction at prev's RIP, or
 * NULL when stepping is off): fill ev and return true if the step took an
 * interrupt or exception into a handler.  Cheap when nothing happened: it
 * only reads guest memory when the stack pointer or CS moved like a
 * delivery does.
 */
bool arrival_detect(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		    const struct insn *insn, struct injector *inj, uint64_t step, struct xt_event *ev);

/*
 * The step ended in SHUTDOWN (or another failing exit): if an interrupt or
 * exception was being delivered, describe it with outcome set.
 */
bool arrival_at_failure(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
			const struct insn *insn, struct injector *inj, uint64_t step,
			struct xt_event *ev);

/* The handler address of vector in the IDT of state s (linear), or false. */
bool arrival_idt_target(const struct kvm_vm *vm, const struct xt_state *s, unsigned vector,
			uint64_t *target);

#endif
