// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "guest_mem.h"

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define PTE_P 1ull
#define PTE_PS 0x80ull
#define ADDR_MASK 0x000ffffffffff000ull

static bool read_pte(const struct kvm_vm *vm, uint64_t gpa, unsigned size, uint64_t *pte)
{
	if (gpa >= vm->mem_size || vm->mem_size - gpa < size)
		return false;
	*pte = 0;
	memcpy(pte, vm->mem + gpa, size);
	return (*pte & PTE_P) != 0;
}

int gmem_translate(const struct kvm_vm *vm, const struct xt_sregs *s, uint64_t linear,
		   uint64_t *gpa)
{
	uint64_t pte;
	if (!(s->cr0 & CR0_PG)) {
		*gpa = linear & 0xffffffffull;
		return 0;
	}
	if (s->efer & EFER_LMA) {
		if (s->cr4 & CR4_LA57)
			return -EFAULT;	/* 5-level paging: not walked */
		uint64_t table = s->cr3 & ADDR_MASK;
		for (int level = 3; level >= 0; level--) {
			unsigned idx = (linear >> (12 + 9 * level)) & 511;
			if (!read_pte(vm, table + 8 * idx, 8, &pte))
				return -EFAULT;
			if (level > 0 && level < 3 && (pte & PTE_PS)) {
				uint64_t page = 1ull << (12 + 9 * level);
				*gpa = (pte & ADDR_MASK & ~(page - 1)) | (linear & (page - 1));
				return 0;
			}
			table = pte & ADDR_MASK;
		}
		*gpa = table | (linear & 0xfff);
		return 0;
	}
	if (s->cr4 & CR4_PAE) {
		uint64_t pdpte;
		uint64_t base = s->cr3 & 0xffffffe0ull;
		if (!read_pte(vm, base + 8 * ((linear >> 30) & 3), 8, &pdpte))
			return -EFAULT;
		if (!read_pte(vm, (pdpte & ADDR_MASK) + 8 * ((linear >> 21) & 511), 8, &pte))
			return -EFAULT;
		if (pte & PTE_PS) {
			*gpa = (pte & ADDR_MASK & ~0x1fffffull) | (linear & 0x1fffff);
			return 0;
		}
		if (!read_pte(vm, (pte & ADDR_MASK) + 8 * ((linear >> 12) & 511), 8, &pte))
			return -EFAULT;
		*gpa = (pte & ADDR_MASK) | (linear & 0xfff);
		return 0;
	}
	uint64_t pde;
	if (!read_pte(vm, (s->cr3 & 0xfffff000ull) + 4 * ((linear >> 22) & 1023), 4, &pde))
		return -EFAULT;
	if ((pde & PTE_PS) && (s->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xffc00000ull) | (linear & 0x3fffff);
		return 0;
	}
	if (!read_pte(vm, (pde & 0xfffff000ull) + 4 * ((linear >> 12) & 1023), 4, &pte))
		return -EFAULT;
	*gpa = (pte & 0xfffff000ull) | (linear & 0xfff);
	return 0;
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

int gmem_code_bits(const struct xt_state *s)
{
	if (!(s->sregs.cr0 & 1))
		return 16;
	if ((s->sregs.efer & EFER_LMA) && (s->sregs.cs.attr >> 13 & 1))
		return 64;
	return (s->sregs.cs.attr >> 14 & 1) ? 32 : 16;
}

uint64_t gmem_code_linear(const struct xt_state *s)
{
	if (gmem_code_bits(s) == 64)
		return s->regs.rip;
	return (s->sregs.cs.base + (s->regs.rip & 0xffffffffull)) & 0xffffffffull;
}

uint64_t gmem_stack_linear(const struct xt_state *s, int64_t off)
{
	if (gmem_code_bits(s) == 64)
		return s->regs.rsp + (uint64_t)off;
	bool big = s->sregs.ss.attr >> 14 & 1;
	uint64_t sp = big ? (s->regs.rsp + (uint64_t)off) & 0xffffffffull
			  : (s->regs.rsp + (uint64_t)off) & 0xffffull;
	return (s->sregs.ss.base + sp) & 0xffffffffull;
}
