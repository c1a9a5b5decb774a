// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "acpi_sleep.h"
#include "acpi_tables.h"

/* A real-mode segment as a reset leaves it: base selector * 16, 64 KiB, present. */
static struct kvm_segment real_segment(uint16_t selector, uint8_t type, uint8_t s)
{
	return (struct kvm_segment){ .base = (uint64_t)selector << 4, .limit = 0xffff,
				     .selector = selector, .type = type, .present = 1, .s = s };
}

uint32_t acpi_s3_resume(struct kvm_vm *vm, struct xt_state *s)
{
	uint32_t vector = 0;
	if (vm->mem_size >= ACPI_FACS_ADDR + 16)
		memcpy(&vector, vm->mem + ACPI_FACS_ADDR + 12, 4);	/* firmware_waking_vector */
	if (!vector || vector >= (1u << 20))
		return 0;
	struct kvm_sync_regs *sr = &vm->run->s.regs;
	struct kvm_sregs *k = &sr->sregs;
	uint64_t apic_base = k->apic_base;
	memset(k, 0, sizeof(*k));
	k->cs = real_segment((uint16_t)(vector >> 4), 0xb, 1);
	k->ds = k->es = k->fs = k->gs = k->ss = real_segment(0, 0x3, 1);
	k->tr = real_segment(0, 0xb, 0);
	k->ldt = real_segment(0, 0x2, 0);
	k->gdt.limit = k->idt.limit = 0xffff;
	k->cr0 = 0x60000010;	/* CD, NW, ET: the reset value */
	k->apic_base = apic_base;
	memset(&sr->regs, 0, sizeof(sr->regs));
	sr->regs.rip = vector & 0xf;
	sr->regs.rflags = 0x2;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	kvm_sregs_to_xt(k, &s->sregs);
	memcpy(&s->regs, &sr->regs, sizeof(sr->regs));
	return vector;
}

bool acpi_sleep_carry_out(struct kvm_vm *vm, struct acpi_pm *pm, struct xt_state *s, char *note,
			  size_t size)
{
	pm->sleep_requested = false;
	if (pm->sleep_type == ACPI_SLP_TYP_S5) {
		snprintf(note, size, "ACPI S5: the guest powered off");
		return true;
	}
	if (pm->sleep_type != ACPI_SLP_TYP_S3) {
		snprintf(note, size, "ACPI sleep type %u is none this platform has: ignored", pm->sleep_type);
		return false;
	}
	uint32_t vector = acpi_s3_resume(vm, s), held = 0;
	if (vm->mem_size >= ACPI_FACS_ADDR + 16)
		memcpy(&held, vm->mem + ACPI_FACS_ADDR + 12, 4);
	if (vector)
		snprintf(note, size, ACPI_S3_RESUMED_NOTE " at once at the FACS waking vector 0x%x", vector);
	else if (held)	/* real mode cannot reach it: a firmware would not resume there either */
		snprintf(note, size, "ACPI S3 asked for, but the FACS waking vector 0x%x is not below 1 MiB: ignored",
			 held);
	else
		snprintf(note, size, "ACPI S3 asked for, but the FACS holds no waking vector: ignored");
	return false;
}
