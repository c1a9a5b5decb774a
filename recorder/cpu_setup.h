/* SPDX-License-Identifier: MIT */
/*
 * The CPU mode a guest starts in, and the memory exitrace sets up for it.
 *
 * The top 64 KiB of guest RAM belong to exitrace: GDT and TSS, the long
 * mode page tables (the low 4 GiB identity-mapped with 2 MiB pages, the
 * local APIC page included), the default IDT and its handlers (--idt), and
 * the multiboot information.  Guests are loaded below it.
 */
#ifndef XT_CPU_SETUP_H
#define XT_CPU_SETUP_H

#include "kvm_vm.h"

#define SYS_AREA_SIZE 0x10000u

/* GDT selectors exitrace provides. */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18
#define SEL_TSS 0x20

static inline uint64_t sys_area_base(const struct kvm_vm *vm)
{
	return vm->mem_size - SYS_AREA_SIZE;
}

/* Where the multiboot information may go (inside the system area). */
#define SYS_MBI_OFFSET 0xa000u
#define SYS_MBI_SIZE 0x6000u

/*
 * Write GDT, TSS, page tables (long mode) and, with idt, default handlers,
 * then set the vCPU to mode at entry with the given stack pointer.
 */
int cpu_setup(struct kvm_vm *vm, uint32_t mode, uint64_t entry, uint64_t stack, bool idt,
	      struct xt_error *err);

/* The stack pointer a guest gets when it does not set its own. */
uint64_t cpu_default_stack(const struct kvm_vm *vm, uint32_t mode, uint64_t entry);

#endif
