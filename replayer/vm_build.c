// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attached_vm.h"
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
	if ((rc = check_header(h, err)))
		return rc;
	if (attached_trace(h)) {
		/* a VMM's slots, not our one block of memory (attached_vm.c) */
		struct attached_layout *l = calloc(1, sizeof(*l));
		if (!l)
			return rec_err(err, -ENOMEM, "out of memory");
		if (!(rc = attached_check(h, l, err)) && !(rc = kvm_vm_open(vm, l->mem_size, c->irqchip, err)))
			rc = attached_slots(vm, l, err);
		free(l);
	} else {
		rc = kvm_vm_open(vm, c->mem_size, c->irqchip, err);
	}
	if (rc)
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
	uint32_t n = c->n_vcpus ? c->n_vcpus : 1;
	if (n > KVM_VM_VCPUS_MAX)
		return rec_err(err, -ENOTSUP, "the trace has %u vCPUs: this exitrace replays at most %u", n,
			       KVM_VM_VCPUS_MAX);
	if (n > 1 && !h->initial_vcpus)
		return rec_err(err, -EINVAL, "the trace has %u vCPUs but no initial state of vCPUs 1 to %u", n, n - 1);
	if ((rc = kvm_vm_add_vcpus(vm, n, c->apic_ids, err)))
		return rc;
	/* each vCPU's CPUID names its own APIC ID, as the recorder set it */
	struct xt_cpuid_entry *cpuid = malloc((c->n_cpuid ? c->n_cpuid : 1) * sizeof(*cpuid));
	if (!cpuid)
		return rec_err(err, -ENOMEM, "out of memory");
	memcpy(cpuid, c->cpuid, c->n_cpuid * sizeof(*cpuid));
	for (uint32_t i = 0; i < n && !rc; i++) {
		kvm_cpuid_set_apic_id(cpuid, c->n_cpuid, c->apic_ids ? c->apic_ids[i] : i);
		kvm_vm_select(vm, i);
		rc = kvm_vm_set_cpuid(vm, cpuid, c->n_cpuid, err);
	}
	free(cpuid);
	if (rc)
		return rc;
	/*
	 * fresh anonymous memory is zero: only the recorded regions need
	 * writing; those the reader does not hold (data NULL), the caller
	 * loads with xt_reader_load_memory()
	 */
	for (size_t i = 0; i < c->n_memory; i++)
		if (c->memory[i].data)
			memcpy(vm->mem + c->memory[i].gpa, c->memory[i].data, c->memory[i].size);
	for (uint32_t i = n; i-- > 0;) {
		const struct xt_state *s = i ? &h->initial_vcpus[i - 1] : h->initial;
		kvm_vm_select(vm, i);
		if ((rc = kvm_vm_set_state(vm, s, c->capture, err)))
			return rc;
		if ((c->capture & XT_CAPTURE_LAPIC) && (rc = kvm_vm_set_lapic(vm, &s->lapic)))
			return rec_err(err, rc, "KVM_SET_LAPIC of vCPU %u: %s", i, strerror(-rc));
		/* the others wait for INIT and SIPI, as a PC's application processors (SPEC.md 5.1) */
		if (i && (rc = kvm_vm_set_mp_state(vm, KVM_MP_STATE_INIT_RECEIVED)))
			return rec_err(err, rc, "KVM_SET_MP_STATE of vCPU %u: %s", i, strerror(-rc));
	}
	return 0;
}
