/* SPDX-License-Identifier: MIT */
/* The VM a trace describes, rebuilt from its header alone. */
#ifndef XT_VM_BUILD_H
#define XT_VM_BUILD_H

#include "kvm_vm.h"

/*
 * Create the VM of header h: its memory size and contents at step 0, the
 * irqchip, the CPUID table, and the full initial vCPU state (lapic,
 * debugregs and fpu too when the trace captured them).  The guest-debug
 * word is left to vstep_init().  0 or -errno with err set; a header that
 * cannot describe a VM (memory outside the guest, no capture of the
 * default blocks) is -EINVAL.
 */
int vm_build(struct kvm_vm *vm, const struct xt_header *h, struct xt_error *err);

#endif
