// SPDX-License-Identifier: MIT
/*
 * Several vCPUs in lock-step: which vCPU steps next (round-robin, passing
 * over those waiting for SIPI or halted with nothing to wake them), their
 * run states as KVM changes them (INIT, SIPI), and the IPIs they send.
 */
#include <errno.h>
#include <string.h>

#include "ipi_watch.h"
#include "recorder_internal.h"

#define RFLAGS_IF (1ull << 9)

static void select_vcpu(struct recorder *r, struct rec_vcpu *v)
{
	kvm_vm_select(&r->vm, v->index);
	r->vc = v;
}

/*
 * The vCPU's run state as KVM has it now (asking makes KVM take pending
 * INIT and SIPI), with an event when it changed: an AP started by SIPI, a
 * vCPU put back into wait-for-SIPI by INIT.  A start reloads the state KVM
 * gave the vCPU, the base its first step is compared against.
 */
int refresh_mp_state(struct recorder *r, struct rec_vcpu *v)
{
	select_vcpu(r, v);
	int mp = kvm_vm_get_mp_state(&r->vm);
	if (mp < 0)
		return rec_err(&r->res->err, mp, "KVM_GET_MP_STATE of vCPU %u: %s", v->index, strerror(-mp));
	if ((uint32_t)mp == v->mp_state)
		return 0;
	struct xt_event ev = { .kind = XT_EV_MP_STATE, .step = r->steps, .vcpu = v->index };
	ev.mp.from = v->mp_state;
	ev.mp.to = (uint32_t)mp;
	v->mp_state = (uint32_t)mp;
	/* halted where no HLT of its own was seen: lock-step asks can_wake() from now on */
	if (mp == KVM_MP_STATE_HALTED)
		v->halted = true;
	if (mp == KVM_MP_STATE_RUNNABLE) {
		int rc = vstep_reload(&v->st, &v->cur, &v->prev, r->capture, &r->res->err);
		if (rc)
			return rc;
		gmem_tlb_flush(&v->code_tlb);
		v->halted = false;
		v->reset = true;
		if (ev.mp.from == KVM_MP_STATE_INIT_RECEIVED || ev.mp.from == KVM_MP_STATE_SIPI_RECEIVED) {
			ev.mp.by_sipi = 1;
			ev.mp.sipi_vector = (uint32_t)(v->cur.sregs.cs.selector >> 8);
		}
	}
	return rec_emit(r, &ev);
}

/*
 * Would a halted vCPU take something now?  An NMI, or with IF set an
 * interrupt in its local APIC's IRR above the processor priority.  A timer
 * that expired but is not in the IRR yet is not seen: that wait is the
 * blocking run's (lockstep_pick).
 */
static bool can_wake(struct recorder *r, struct rec_vcpu *v)
{
	if (v->cur.events.nmi_pending || v->cur.events.nmi_injected)
		return true;
	if (!(v->cur.regs.rflags & RFLAGS_IF))
		return false;
	struct xt_lapic l;
	select_vcpu(r, v);
	if (kvm_vm_get_lapic(&r->vm, &l) < 0)
		return true;	/* let KVM decide */
	int irr = -1, isr = -1;
	for (int i = 255; i >= 0 && (irr < 0 || isr < 0); i--) {
		if (irr < 0 && (l.irr[i / 64] >> (i % 64) & 1))
			irr = i;
		if (isr < 0 && (l.isr[i / 64] >> (i % 64) & 1))
			isr = i;
	}
	unsigned ppr = (unsigned)l.tpr & 0xf0;
	if (isr >= 0 && ((unsigned)isr & 0xf0) > ppr)
		ppr = (unsigned)isr & 0xf0;
	return irr >= 0 && ((unsigned)irr & 0xf0) > ppr;
}

/*
 * The vCPU to step next, in a fixed round-robin order, skipping those that
 * wait for SIPI and those halted that nothing can wake: selected, 1.  When
 * none can step but one is halted with interrupts enabled, that one runs
 * anyway and KVM_RUN waits for its timer (1).  0: no vCPU can ever step
 * again (r->res says why); < 0: an error.
 */
int lockstep_pick(struct recorder *r)
{
	int rc;
	struct rec_vcpu *sleeper = NULL;
	for (uint32_t k = 0; k < r->n_vcpus; k++) {
		struct rec_vcpu *v = &r->vcpus[(r->next_vcpu + k) % r->n_vcpus];
		if (mp_waits_for_sipi(v->mp_state) && (rc = refresh_mp_state(r, v)))
			return rc;
		if (mp_waits_for_sipi(v->mp_state))
			continue;
		if (v->halted && !can_wake(r, v)) {
			if (!sleeper && (v->cur.regs.rflags & RFLAGS_IF))
				sleeper = v;
			continue;
		}
		v->halted = false;
		select_vcpu(r, v);
		r->next_vcpu = (v->index + 1) % r->n_vcpus;
		return 1;
	}
	if (sleeper) {
		select_vcpu(r, sleeper);
		r->next_vcpu = (sleeper->index + 1) % r->n_vcpus;
		return 1;
	}
	rec_set_end(r, XT_END_HLT, 0, "no vCPU can run: each is halted with interrupts disabled or waits for SIPI");
	return 0;
}

/* After an INIT or start-up IPI: the targets' new run states, now. */
static int after_ipi(struct recorder *r, const struct xt_event *ipi)
{
	unsigned mode = xt_icr_mode(ipi->ipi.icr);
	if (mode != 5 && mode != 6)
		return 0;
	struct rec_vcpu *self = r->vc;
	for (uint32_t i = 0; i < r->n_vcpus; i++) {
		int rc = refresh_mp_state(r, &r->vcpus[i]);
		if (rc)
			return rc;
	}
	select_vcpu(r, self);
	return 0;
}

/*
 * With several vCPUs, a KVM_RUN that our timer interrupted may still have
 * moved the vCPU (this host has been seen to run an instruction and halt
 * in one KVM_RUN, without the single-step exit): then it is a step, written
 * as the interrupted exit KVM reported, so the trace holds where the vCPU
 * is.  A run that changed nothing is no step.
 */
int halted_inside_run(struct recorder *r, int ret, int err)
{
	struct rec_vcpu *v = r->vc;
	const struct kvm_regs *now = &r->vm.run->s.regs.regs;
	if (now->rip == v->cur.regs.rip && now->rflags == v->cur.regs.rflags)
		return 0;
	int rc = rec_record_intr(r, ret, err);
	if (rc)
		return rc;
	struct xt_event ev = { .kind = XT_EV_NOTE, .step = r->steps, .vcpu = v->index };
	char text[160];
	int mp = kvm_vm_get_mp_state(&r->vm);
	snprintf(text, sizeof(text), "vCPU %u moved from rip 0x%llx to 0x%llx inside a KVM_RUN that made no exit%s",
		 v->index, (unsigned long long)v->prev.regs.rip, (unsigned long long)v->cur.regs.rip,
		 mp == KVM_MP_STATE_HALTED ? ", and KVM holds it halted" : "");
	ev.note.text = text;
	return rec_emit(r, &ev);
}

/* After a step of one of several vCPUs: did it halt, did it send an IPI? */
int after_lockstep_step(struct recorder *r, const struct insn *in, const uint8_t *code,
			       size_t n)
{
	struct rec_vcpu *v = r->vc;
	if (in && in->kind == INSN_HLT && v->cur.regs.rip == v->prev.regs.rip + in->len)
		v->halted = true;
	struct xt_event ev = { .kind = XT_EV_IPI, .step = r->steps, .vcpu = v->index };
	if (!ipi_watch(&r->vm, code, n, &v->prev, &v->cur, &ev.ipi.icr, &ev.ipi.x2apic))
		return 0;
	int rc = rec_emit(r, &ev);
	return rc ? rc : after_ipi(r, &ev);
}

