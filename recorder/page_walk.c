// SPDX-License-Identifier: MIT
/* Intel SDM vol. 3, 4.3-4.5: the walks of 32-bit, PAE and 4-level paging. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "page_walk.h"

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define PTE_P 1ull
#define PTE_PS 0x80ull
#define ADDR_MASK 0x000ffffffffff000ull

static bool read_pte(const uint8_t *mem, uint64_t mem_size, uint64_t gpa, unsigned size, uint64_t *pte)
{
	if (gpa >= mem_size || mem_size - gpa < size)
		return false;
	*pte = 0;
	memcpy(pte, mem + gpa, size);
	return (*pte & PTE_P) != 0;
}

int pw_translate(const uint8_t *mem, uint64_t mem_size, const struct xt_sregs *s, uint64_t linear,
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
			if (!read_pte(mem, mem_size, table + 8 * idx, 8, &pte))
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
		if (!read_pte(mem, mem_size, base + 8 * ((linear >> 30) & 3), 8, &pdpte))
			return -EFAULT;
		if (!read_pte(mem, mem_size, (pdpte & ADDR_MASK) + 8 * ((linear >> 21) & 511), 8, &pte))
			return -EFAULT;
		if (pte & PTE_PS) {
			*gpa = (pte & ADDR_MASK & ~0x1fffffull) | (linear & 0x1fffff);
			return 0;
		}
		if (!read_pte(mem, mem_size, (pte & ADDR_MASK) + 8 * ((linear >> 12) & 511), 8, &pte))
			return -EFAULT;
		*gpa = (pte & ADDR_MASK) | (linear & 0xfff);
		return 0;
	}
	uint64_t pde;
	if (!read_pte(mem, mem_size, (s->cr3 & 0xfffff000ull) + 4 * ((linear >> 22) & 1023), 4, &pde))
		return -EFAULT;
	if ((pde & PTE_PS) && (s->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xffc00000ull) | (linear & 0x3fffff);
		return 0;
	}
	if (!read_pte(mem, mem_size, (pde & 0xfffff000ull) + 4 * ((linear >> 12) & 1023), 4, &pte))
		return -EFAULT;
	*gpa = (pte & 0xfffff000ull) | (linear & 0xfff);
	return 0;
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
