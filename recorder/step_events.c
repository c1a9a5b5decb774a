// SPDX-License-Identifier: MIT
#include <linux/kvm.h>

#include "arrival.h"
#include "step_events.h"

/*
 * The values a non-deterministic instruction produced, for replay to feed
 * back: its destinations as they are after the step.  The step may have
 * run more than the instruction (kvm_pvm runs RDRAND natively and its
 * single-step trap comes one instruction later), so the test is only that
 * RIP moved on; replay sets these fields after the step whatever it ran.
 */
/*
 * An IN that KVM answered itself: the in-kernel PIC (0x20, 0x21, 0xa0,
 * 0xa1, ELCR 0x4d0, 0x4d1) and PIT (0x40-0x43, speaker 0x61).  Their
 * values depend on when the PIT ticked, and no I/O exit carries them.  An
 * IN that went to userspace exited with KVM_EXIT_IO first (the step before
 * this one, which only completed it), and the exit holds its value.
 */
static bool in_kernel_in(const struct insn *in, const struct xt_state *prev, const struct xt_state *cur)
{
	if (in->kind != INSN_IN || prev->exit.reason == KVM_EXIT_IO || cur->exit.reason != KVM_EXIT_DEBUG)
		return false;
	unsigned port = in->vector == INSN_PORT_DX ? (unsigned)(prev->regs.rdx & 0xffff) : in->vector;
	return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || port == 0x4d0 ||
	       port == 0x4d1 || (port >= 0x40 && port <= 0x43) || port == 0x61;
}

static bool input_event(const struct insn *in, const struct xt_state *prev, const struct xt_state *cur,
			uint64_t step, struct xt_event *ev)
{
	bool nondet = (in->kind >= INSN_RDTSC && in->kind <= INSN_RDPID) || in_kernel_in(in, prev, cur);
	if (!nondet || cur->regs.rip == prev->regs.rip ||
	    cur->exit.reason == KVM_EXIT_SHUTDOWN || cur->exit.reason == KVM_EXIT_INTERNAL_ERROR ||
	    cur->exit.reason == XT_EXIT_RUN_FAILED)
		return false;
	*ev = (struct xt_event){ .kind = XT_EV_INPUT, .step = step };
	static const uint16_t gpr_field[16] = {
		XT_F_RAX, XT_F_RCX, XT_F_RDX, XT_F_RBX, XT_F_RSP, XT_F_RBP, XT_F_RSI, XT_F_RDI,
		XT_F_R8, XT_F_R9, XT_F_R10, XT_F_R11, XT_F_R12, XT_F_R13, XT_F_R14, XT_F_R15,
	};
	const struct xt_field *f;
	uint32_t n = 0;
	switch (in->kind) {
	case INSN_RDTSCP:
		ev->input.v[n++] = (struct xt_input_value){ XT_F_RCX, cur->regs.rcx };
		/* fall through */
	case INSN_RDTSC:
		ev->input.what = in->kind == INSN_RDTSC ? XT_INPUT_RDTSC : XT_INPUT_RDTSCP;
		ev->input.v[n++] = (struct xt_input_value){ XT_F_RAX, cur->regs.rax };
		ev->input.v[n++] = (struct xt_input_value){ XT_F_RDX, cur->regs.rdx };
		break;
	case INSN_RDRAND:
	case INSN_RDSEED:
	case INSN_RDPID:
		ev->input.what = in->kind == INSN_RDRAND ? XT_INPUT_RDRAND :
				 in->kind == INSN_RDSEED ? XT_INPUT_RDSEED : XT_INPUT_RDPID;
		f = xt_field_by_id(gpr_field[in->reg & 15]);
		ev->input.v[n++] = (struct xt_input_value){ f->id, xt_field_get(cur, f) };
		if (in->kind != INSN_RDPID)	/* CF says whether a value was available */
			ev->input.v[n++] = (struct xt_input_value){ XT_F_RFLAGS, cur->regs.rflags };
		break;
	case INSN_IN:
		ev->input.what = XT_INPUT_IN;
		ev->input.v[n++] = (struct xt_input_value){ XT_F_RAX, cur->regs.rax };
		break;
	default:
		return false;
	}
	ev->input.n = n;
	return true;
}

size_t step_events(struct kvm_vm *vm, const struct devices *dev, const struct insn *insn,
		   const struct xt_state *prev, const struct xt_state *cur, struct injector *inj,
		   uint64_t step, struct xt_event evs[STEP_EVENTS_MAX])
{
	size_t n = 0;
	if (dev->out_len) {
		evs[n] = (struct xt_event){ .kind = XT_EV_CONSOLE, .step = step };
		evs[n].console.data = dev->out;
		evs[n].console.len = dev->out_len;
		n++;
	}
	if (insn && input_event(insn, prev, cur, step, &evs[n]))
		n++;
	uint64_t reason = cur->exit.reason;
	bool failed = reason == KVM_EXIT_SHUTDOWN || reason == KVM_EXIT_FAIL_ENTRY ||
		      reason == KVM_EXIT_INTERNAL_ERROR;
	if (failed ? arrival_at_failure(vm, prev, cur, insn, inj, step, &evs[n])
		   : arrival_detect(vm, prev, cur, insn, inj, step, &evs[n]))
		n++;
	return n;
}
