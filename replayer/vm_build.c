// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "legacy_pc.h"
#include "rec_util.h"
#include "vm_build.h"

static int check_header(const struct xt_header *h, struct xt_error *err)
{
	const struct xt_vm_config *c = &h->vm;
	if ((c->capture & XT_CAPTURE_DEFAULT) != XT_CAPTURE_DEFAULT)
		return rec_err(err, -EINVAL, "the trace did not capture regs, sregs, events and exit (capture 0x%x)",
			       c->capture);
	if (c->irqchip > XT_IRQCHIP_SPLIT)
		return rec_err(err, -EINVAL, "unknown irqchip mode %u", c->irqchip);
	if ((c->capture & XT_CAPTURE_LAPIC) && c->irqchip == XT_IRQCHIP_NONE)
		return rec_err(err, -EINVAL, "the trace captured the local APIC but has no in-kernel irqchip");
	if (!h->initial)
		return rec_err(err, -EINVAL, "the trace has no initial state");
	for (size_t i = 0; i < c->n_memory; i++) {
		const struct xt_mem_region *m = &c->memory[i];
		if (m->gpa > c->mem_size || m->size > c->mem_size - m->gpa)
			return rec_err(err, -EINVAL, "memory region at 0x%llx (%zu bytes) lies outside the guest's %llu bytes",
				       (unsigned long long)m->gpa, m->size, (unsigned long long)c->mem_size);
	}
	return 0;
}

int vm_build(struct kvm_vm *vm, const struct xt_header *h, struct xt_error *err)
{
	const struct xt_vm_config *c = &h->vm;
	int rc;
	if ((rc = check_header(h, err)) || (rc = kvm_vm_open(vm, c->mem_size, c->irqchip, err)))
		return rc;
	if (!vm->sync_regs)
		return rec_err(err, -ENOTSUP, "this KVM lacks KVM_CAP_SYNC_REGS for regs, sregs and events");
	/*
	 * The same PIT and PICs (the IVT is in the recorded memory).  A
	 * single-stepped trace holds each PIT tick the guest took, which
	 * replay makes at its step: the PIT's own timer must stay quiet.
	 * Without steps there is nowhere to place a tick: the PIT runs.
	 */
	bool quiet = c->guest_debug & KVM_GUESTDBG_SINGLESTEP;
	if ((rc = legacy_pc_devices(vm, c->platform, quiet, err)))
		return rc;
	if ((rc = kvm_vm_set_cpuid(vm, c->cpuid, c->n_cpuid, err)))
		return rc;
	/*
	 * fresh anonymous memory is zero: only the recorded regions need
	 * writing; those the reader does not hold (data NULL), the caller
	 * loads with xt_reader_load_memory()
	 */
	for (size_t i = 0; i < c->n_memory; i++)
		if (c->memory[i].data)
			memcpy(vm->mem + c->memory[i].gpa, c->memory[i].data, c->memory[i].size);
	if ((rc = kvm_vm_set_state(vm, h->initial, c->capture, err)))
		return rc;
	if ((c->capture & XT_CAPTURE_LAPIC) && (rc = kvm_vm_set_lapic(vm, &h->initial->lapic)))
		return rec_err(err, rc, "KVM_SET_LAPIC: %s", strerror(-rc));
	return 0;
}
