/* SPDX-License-Identifier: MIT */
/*
 * Which steps sent an IPI.  A write to the local APIC's interrupt command
 * register is handled inside KVM and never reaches userspace, so with
 * several vCPUs the recorder looks at the instruction it just stepped: a
 * WRMSR of MSR 0x830 in x2APIC mode, or a MOV store whose destination is
 * the ICR's low word in the xAPIC page (the write that sends).
 */
#ifndef XT_IPI_WATCH_H
#define XT_IPI_WATCH_H

#include "kvm_vm.h"

/*
 * code holds n bytes at the instruction before the step; before and after
 * are the stepping vCPU's states around it (the VM's selected vCPU).  True
 * when the step sent an IPI: *icr is the command as the xAPIC's ICR high
 * << 32 | low (read back from the local APIC) or the x2APIC MSR's value.
 */
bool ipi_watch(struct kvm_vm *vm, const uint8_t *code, size_t n, const struct xt_state *before,
	       const struct xt_state *after, uint64_t *icr, uint32_t *x2apic);

/*
 * The linear address a MOV store (89, C7 /0, A3) writes, decoded for code of
 * bits 16, 32 or 64 with the registers and segment bases of s.  False for
 * any other instruction or a register destination.  (Pure: tested alone.)
 */
bool ipi_store_target(const uint8_t *code, size_t n, int bits, const struct xt_state *s,
		      uint64_t *linear);

#endif
