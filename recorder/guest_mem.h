/* SPDX-License-Identifier: MIT */
/*
 * Reading guest memory by linear address: a software page walk over the
 * guest's own page tables (none, 32-bit, PAE, 4-level), so the recorder
 * can look at instructions and interrupt frames without an ioctl.
 */
#ifndef XT_GUEST_MEM_H
#define XT_GUEST_MEM_H

#include "kvm_vm.h"
#include "page_walk.h"

/* Linear address -> guest-physical.  0, or -EFAULT if not mapped or not RAM. */
int gmem_translate(const struct kvm_vm *vm, const struct xt_sregs *s, uint64_t linear,
		   uint64_t *gpa);

/* Copy up to n bytes from a linear address; returns how many could be read. */
size_t gmem_read(const struct kvm_vm *vm, const struct xt_sregs *s, uint64_t linear, void *dst,
		 size_t n);

/*
 * A one-entry translation cache for fetching the next instruction every
 * step.  Like the CPU's own TLB it may serve a stale translation until the
 * guest changes CR0, CR3, CR4 or EFER, or the caller flushes it (on
 * INVLPG): the guest must invalidate after changing a page table anyway.
 */
struct gmem_tlb {
	bool valid;
	uint64_t cr0, cr3, cr4, efer, vpage, gpage;
};

static inline void gmem_tlb_flush(struct gmem_tlb *t)
{
	t->valid = false;
}

/* gmem_read() through the cache. */
size_t gmem_read_cached(const struct kvm_vm *vm, struct gmem_tlb *t, const struct xt_sregs *s,
			uint64_t linear, void *dst, size_t n);

#endif
