// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "guest_mem.h"

int gmem_translate(const struct kvm_vm *vm, const struct xt_sregs *s, uint64_t linear,
		   uint64_t *gpa)
{
	return pw_translate(vm->mem, vm->mem_size, s, linear, gpa);
}

size_t gmem_read(const struct kvm_vm *vm, const struct xt_sregs *s, uint64_t linear, void *dst,
		 size_t n)
{
	size_t done = 0;
	while (done < n) {
		uint64_t gpa;
		if (gmem_translate(vm, s, linear + done, &gpa) || gpa >= vm->mem_size)
			break;
		size_t in_page = 4096 - ((linear + done) & 0xfff);
		size_t k = n - done < in_page ? n - done : in_page;
		if (k > vm->mem_size - gpa)
			k = (size_t)(vm->mem_size - gpa);
		memcpy((uint8_t *)dst + done, vm->mem + gpa, k);
		done += k;
	}
	return done;
}

size_t gmem_read_cached(const struct kvm_vm *vm, struct gmem_tlb *t, const struct xt_sregs *s,
			uint64_t linear, void *dst, size_t n)
{
	uint64_t vpage = linear & ~0xfffull;
	/* only a read inside one page the cache holds skips the walk */
	if ((linear & 0xfff) + n > 4096)
		return gmem_read(vm, s, linear, dst, n);
	if (!t->valid || t->vpage != vpage || t->cr3 != s->cr3 || t->cr0 != s->cr0 ||
	    t->cr4 != s->cr4 || t->efer != s->efer) {
		uint64_t gpa;
		if (gmem_translate(vm, s, vpage, &gpa) || gpa >= vm->mem_size) {
			t->valid = false;
			return gmem_read(vm, s, linear, dst, n);
		}
		*t = (struct gmem_tlb){ true, s->cr0, s->cr3, s->cr4, s->efer, vpage, gpa & ~0xfffull };
	}
	uint64_t gpa = t->gpage | (linear & 0xfff);
	if (gpa >= vm->mem_size)
		return 0;
	if (n > vm->mem_size - gpa)
		n = (size_t)(vm->mem_size - gpa);
	memcpy(dst, vm->mem + gpa, n);
	return n;
}
