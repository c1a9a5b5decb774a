/* SPDX-License-Identifier: MIT */
/* A trace recorded by attaching to a VMM: whether replay can rebuild it, and its memory slots. */
#ifndef XT_ATTACHED_VM_H
#define XT_ATTACHED_VM_H

#include <stdbool.h>

#include "kvm_vm.h"

#define ATTACHED_SLOTS_MAX 512
#define ATTACHED_MEM_MAX (3ull << 30)	/* kvm_vm_open()'s limit */

struct attached_slot {
	uint64_t gpa, size;
	bool readonly;
};

struct attached_layout {
	struct attached_slot slots[ATTACHED_SLOTS_MAX];
	size_t n;
	uint64_t mem_size;	/* of the replay VM's one mapping: the slots' end, 1 MiB at least */
};

bool attached_trace(const struct xt_header *h);
/* Can replay rebuild it?  0 with l filled, or -errno with err naming what is missing. */
int attached_check(const struct xt_header *h, struct attached_layout *l, struct xt_error *err);
/* After kvm_vm_open(l->mem_size): the VMM's slots in place of the one slot. */
int attached_slots(struct kvm_vm *vm, const struct attached_layout *l, struct xt_error *err);

#endif
