// SPDX-License-Identifier: MIT
/*
 * The guest's memory as the recorder's readers (guest_mem.c, arrival.c)
 * want it: one mapping from guest-physical 0.  A VMM's slots are its own
 * layout; where the slots from gpa 0 up lie at one constant offset in its
 * address space (a RAM block, as QEMU and most VMMs map low memory) that
 * run is the view, and the rest of guest memory is not readable to
 * arrival detection (it then finds no interrupt frame: no irq-taken event,
 * never a wrong one).  Recomputed whenever the VMM changes a slot, before
 * it can unmap the memory behind it.
 */
#include "attach.h"

void att_guest_view_update(struct att_vm *vm)
{
	uint64_t base = 0, end = 0;
	bool found = true;
	while (found) {
		found = false;
		for (size_t i = 0; i < vm->n_slots; i++) {
			const struct att_slot *s = &vm->slots[i];
			if ((s->slot >> 16) || s->gpa != end || (s->flags & KVM_MEM_READONLY))
				continue;
			if (end == 0)
				base = s->uaddr;
			else if (s->uaddr != base + s->gpa)
				continue;
			end = s->gpa + s->size;
			found = true;
		}
	}
	for (uint32_t i = 0; i < vm->n_vcpus; i++) {
		struct kvm_vm *kv = &vm->vcpus[i]->kv;
		kv->mem = end ? (uint8_t *)(uintptr_t)base : NULL;
		kv->mem_size = end;
		kv->irqchip = vm->irqchip;
	}
}
