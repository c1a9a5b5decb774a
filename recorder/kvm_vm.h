/* SPDX-License-Identifier: MIT */
/*
 * One VM and its vCPUs: creation, guest memory, irqchip, CPUID, guest
 * debug, and moving state between KVM's structs and struct xt_state.
 * Shared by the recorder and the replayer.  The per-vCPU calls act on the
 * selected vCPU (vcpu_fd, run): vCPU 0 unless kvm_vm_select() chose another,
 * so code written for one vCPU needs no index.
 */
#ifndef XT_KVM_VM_H
#define XT_KVM_VM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exitrace.h"

/* vCPUs a VM of ours may have (record --vcpus). */
#define KVM_VM_VCPUS_MAX 64

struct kvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;	/* vcpu_fd and run: the selected vCPU's */
	struct kvm_run *run;
	uint32_t n_vcpus, selected;
	int vcpu_fds[KVM_VM_VCPUS_MAX];
	uint32_t vcpu_ids[KVM_VM_VCPUS_MAX];	/* KVM's ids (the APIC IDs) */
	struct kvm_run *runs[KVM_VM_VCPUS_MAX];
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	uint32_t irqchip;		/* enum xt_irqchip */
	uint32_t guest_debug;
	int api_version;
	bool sync_regs;			/* KVM_CAP_SYNC_REGS covers regs, sregs, events */
};

/* Open /dev/kvm, create the VM, its memory and vCPU.  0 or -errno with err set. */
int kvm_vm_open(struct kvm_vm *vm, uint64_t mem_size, uint32_t irqchip, struct xt_error *err);
void kvm_vm_close(struct kvm_vm *vm);

/*
 * Create the vCPUs up to n (kvm_vm_open made vCPU 0), each with its run
 * page and sync regs as vCPU 0's; vCPU i's KVM id, which is its APIC ID,
 * is ids[i], or i without ids.  Several need an in-kernel local APIC.  0
 * or -errno with err set.
 */
int kvm_vm_add_vcpus(struct kvm_vm *vm, uint32_t n, const uint32_t *ids, struct xt_error *err);

/* Make vCPU i the one the per-vCPU calls act on. */
/*
 * An I/O exit's data in the run page (size x count bytes at data_offset),
 * into *len; NULL when it would not lie within the run page's run_size
 * bytes.  KVM puts it there; a recorded or foreign run page is not trusted.
 */
static inline uint8_t *kvm_run_io_data(struct kvm_run *run, size_t run_size, uint64_t *len)
{
	uint64_t n = (uint64_t)run->io.size * run->io.count;
	*len = n;
	if (run->io.data_offset > run_size || n > run_size - run->io.data_offset)
		return NULL;
	return (uint8_t *)run + run->io.data_offset;
}

static inline void kvm_vm_select(struct kvm_vm *vm, uint32_t i)
{
	vm->selected = i;
	vm->vcpu_fd = vm->vcpu_fds[i];
	vm->run = vm->runs[i];
}

/* KVM_GET_MP_STATE / KVM_SET_MP_STATE of the selected vCPU: the state, or -errno. */
int kvm_vm_get_mp_state(struct kvm_vm *vm);
int kvm_vm_set_mp_state(struct kvm_vm *vm, uint32_t mp_state);

/* Is /dev/kvm usable here?  (For tests that must skip without it.) */
bool kvm_available(void);

/* The host's supported CPUID (KVM_GET_SUPPORTED_CPUID); caller frees *out. */
int kvm_vm_supported_cpuid(struct kvm_vm *vm, struct xt_cpuid_entry **out, size_t *n,
			   struct xt_error *err);
int kvm_vm_set_cpuid(struct kvm_vm *vm, const struct xt_cpuid_entry *e, size_t n,
		     struct xt_error *err);

/*
 * KVM_GET_SUPPORTED_CPUID reports the APIC ID of whichever host CPU ran the
 * ioctl (leaf 1 EBX[31:24], leaves 0xB and 0x1F EDX, AMD's 0x8000001E EAX);
 * set them to the vCPU's own, so a recording does not depend on where the
 * recorder happened to run.
 */
void kvm_cpuid_set_apic_id(struct xt_cpuid_entry *e, size_t n, uint32_t apic_id);

/* KVM_SET_GUEST_DEBUG with this control word and arch.debugreg[]. */
int kvm_vm_set_guest_debug(struct kvm_vm *vm, uint32_t control, const uint64_t debugreg[8],
			   struct xt_error *err);

/* Full state through ioctls (regs, sregs, events; debugregs, lapic, fpu per capture). */
int kvm_vm_get_state(struct kvm_vm *vm, struct xt_state *s, uint32_t capture, struct xt_error *err);
/* Only the blocks no kvm_run->s.regs holds: debugregs, lapic, fpu, as capture asks. */
int kvm_vm_get_heavy(struct kvm_vm *vm, struct xt_state *s, uint32_t capture, struct xt_error *err);
/* Set regs, sregs and events (and debugregs, fpu if captured) from s. */
int kvm_vm_set_state(struct kvm_vm *vm, const struct xt_state *s, uint32_t capture,
		     struct xt_error *err);

/* Conversions between KVM's layouts and the trace's. */
void kvm_sregs_to_xt(const struct kvm_sregs *k, struct xt_sregs *x);
void xt_sregs_to_kvm(const struct xt_sregs *x, struct kvm_sregs *k);
void kvm_events_to_xt(const struct kvm_vcpu_events *k, struct xt_events *x);
void xt_events_to_kvm(const struct xt_events *x, struct kvm_vcpu_events *k);
void kvm_lapic_to_xt(const struct kvm_lapic_state *k, struct xt_lapic *x);

/* KVM_GET_LAPIC into x (in-kernel irqchip only). */
int kvm_vm_get_lapic(struct kvm_vm *vm, struct xt_lapic *x);

/* KVM_SET_LAPIC with x's registers over the current ones (the version, PPR and timer
 * current count stay KVM's).  0, -ENODEV without an in-kernel irqchip, or -errno. */
int kvm_vm_set_lapic(struct kvm_vm *vm, const struct xt_lapic *x);

/* Check a capability; returns KVM_CHECK_EXTENSION's value (0 if unsupported). */
int kvm_vm_cap(const struct kvm_vm *vm, long cap);
/* The same asked of /dev/kvm: the host's answer, whatever this VM's configuration. */
int kvm_sys_cap(const struct kvm_vm *vm, long cap);

#endif
