// SPDX-License-Identifier: MIT
/*
 * Entering real, 32-bit protected or 64-bit long mode directly through
 * KVM_SET_SREGS, as a boot loader would leave the CPU.  Long mode maps the
 * low 4 GiB with 2 MiB pages: 1 GiB pages triple-fault on some hosts.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpu_setup.h"
#include "le_bytes.h"
#include "rec_util.h"

#define OFF_GDT 0x0000u
#define OFF_TSS 0x0100u
#define OFF_PML4 0x1000u
#define OFF_PDPT 0x2000u
#define OFF_PD 0x3000u
#define OFF_IDT 0x7000u
#define OFF_STUBS 0x8000u
#define STUB_SIZE 32u
#define REAL_STUBS 0x600u	/* real mode handlers must sit below 1 MiB */
#define REAL_STUB_SIZE 8u

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull

/* A GDT descriptor from base, limit and the access/flags bytes. */
static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void write_gdt(struct kvm_vm *vm)
{
	uint64_t sys = sys_area_base(vm);
	uint8_t *g = vm->mem + sys + OFF_GDT;
	uint32_t tss = (uint32_t)(sys + OFF_TSS);
	le_put64(g + 0x00, 0);
	le_put64(g + SEL_CODE64, gdt_entry(0, 0xfffff, 0x9b, 0xa));	/* L, G */
	le_put64(g + SEL_DATA, gdt_entry(0, 0xfffff, 0x93, 0xc));		/* D/B, G */
	le_put64(g + SEL_CODE32, gdt_entry(0, 0xfffff, 0x9b, 0xc));
	le_put64(g + SEL_TSS, gdt_entry(tss, 0x67, 0x8b, 0x0));		/* busy TSS */
	le_put64(g + SEL_TSS + 8, 0);
}

static void write_page_tables(struct kvm_vm *vm)
{
	uint64_t sys = sys_area_base(vm);
	uint8_t *pml4 = vm->mem + sys + OFF_PML4;
	uint8_t *pdpt = vm->mem + sys + OFF_PDPT;
	le_put64(pml4, (sys + OFF_PDPT) | PTE_P | PTE_RW);
	for (uint64_t g = 0; g < 4; g++) {
		le_put64(pdpt + 8 * g, (sys + OFF_PD + 0x1000 * g) | PTE_P | PTE_RW);
		uint8_t *pd = vm->mem + sys + OFF_PD + 0x1000 * g;
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t addr = (g << 30) | (i << 21);
			/* the top GiB is the MMIO hole: local APIC, IOAPIC */
			le_put64(pd + 8 * i, addr | PTE_P | PTE_RW | PTE_PS | (g == 3 ? PTE_PCD : 0));
		}
	}
}

/* Default handlers: report the vector on port 0x80; exceptions halt, interrupts EOI and return. */
static void write_stub(uint8_t *p, unsigned v, uint32_t mode)
{
	unsigned i = 0;
	p[i++] = 0xb0; p[i++] = (uint8_t)v;		/* mov al, v */
	p[i++] = 0xe6; p[i++] = 0x80;			/* out 0x80, al */
	if (v < 32) {
		p[i++] = 0xfa;				/* cli */
		p[i++] = 0xf4;				/* hlt */
		p[i++] = 0xeb; p[i++] = 0xfd;		/* jmp hlt */
		return;
	}
	if (mode == XT_MODE_REAL) {
		p[i++] = 0xcf;				/* iret */
		return;
	}
	memmove(p + 1, p, i);
	p[0] = 0x50;					/* push rax / eax */
	i++;
	if (mode == XT_MODE_LONG) {
		p[i++] = 0x48; p[i++] = 0xb8;		/* mov rax, 0xfee000b0 (EOI) */
		le_put64(p + i, 0xfee000b0);
		i += 8;
		p[i++] = 0xc7; p[i++] = 0x00;		/* mov dword [rax], 0 */
		memset(p + i, 0, 4);
		i += 4;
		p[i++] = 0x58;				/* pop rax */
		p[i++] = 0x48; p[i++] = 0xcf;		/* iretq */
	} else {
		p[i++] = 0xc7; p[i++] = 0x05;		/* mov dword [0xfee000b0], 0 */
		uint32_t eoi = 0xfee000b0;
		memcpy(p + i, &eoi, 4);
		i += 4;
		memset(p + i, 0, 4);
		i += 4;
		p[i++] = 0x58;				/* pop eax */
		p[i++] = 0xcf;				/* iret */
	}
}

static void write_idt(struct kvm_vm *vm, uint32_t mode, struct kvm_sregs *sregs)
{
	if (mode == XT_MODE_REAL) {
		for (unsigned v = 0; v < 256; v++) {
			uint32_t stub = REAL_STUBS + REAL_STUB_SIZE * v;
			write_stub(vm->mem + stub, v, mode);
			uint16_t ivt[2] = { (uint16_t)stub, 0 };
			memcpy(vm->mem + 4 * v, ivt, 4);
		}
		sregs->idt.base = 0;
		sregs->idt.limit = 0x3ff;
		return;
	}
	uint64_t sys = sys_area_base(vm);
	uint8_t *idt = vm->mem + sys + OFF_IDT;
	unsigned gate = mode == XT_MODE_LONG ? 16 : 8;
	for (unsigned v = 0; v < 256; v++) {
		uint64_t stub = sys + OFF_STUBS + STUB_SIZE * v;
		write_stub(vm->mem + stub, v, mode);
		uint16_t sel = mode == XT_MODE_LONG ? SEL_CODE64 : SEL_CODE32;
		uint64_t lo = (stub & 0xffff) | (uint64_t)sel << 16 | 0x8eull << 40 |
			      ((stub >> 16) & 0xffff) << 48;
		le_put64(idt + gate * v, lo);
		if (gate == 16)
			le_put64(idt + gate * v + 8, stub >> 32);
	}
	sregs->idt.base = sys + OFF_IDT;
	sregs->idt.limit = (uint16_t)(256 * gate - 1);
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, bool code64, bool db, bool g, uint32_t limit)
{
	return (struct kvm_segment){ .base = 0, .limit = limit, .selector = sel, .type = type,
				     .present = 1, .s = 1, .l = code64, .db = db, .g = g };
}

uint64_t cpu_default_stack(const struct kvm_vm *vm, uint32_t mode, uint64_t entry)
{
	if (mode == XT_MODE_REAL)
		return 0xfff0;	/* top of the entry's 64 KiB segment */
	(void)entry;
	return sys_area_base(vm) - 16;
}

int cpu_setup(struct kvm_vm *vm, uint32_t mode, uint64_t entry, uint64_t stack, bool idt,
	      struct xt_error *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 0x2, .rip = entry, .rsp = stack };
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return rec_err(err, -errno, "KVM_GET_SREGS: %s", strerror(errno));

	if (mode == XT_MODE_REAL) {
		if (entry >= (1u << 20))
			return rec_err(err, -EINVAL, "real mode entry 0x%llx is above 1 MiB",
				       (unsigned long long)entry);
		uint16_t segment = (uint16_t)((entry >> 4) & 0xf000);
		struct kvm_segment data = { .base = (uint64_t)segment << 4, .limit = 0xffff,
					    .selector = segment, .type = 3, .present = 1, .s = 1 };
		sregs.cs = data;
		sregs.cs.type = 0xb;
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
		sregs.cr0 = CR0_ET | CR0_NE;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rip = entry - ((uint64_t)segment << 4);
		if (idt)
			write_idt(vm, mode, &sregs);
	} else {
		uint64_t sys = sys_area_base(vm);
		write_gdt(vm);
		sregs.gdt.base = sys + OFF_GDT;
		sregs.gdt.limit = SEL_TSS + 15;
		sregs.tr = (struct kvm_segment){ .base = sys + OFF_TSS, .limit = 0x67,
						 .selector = SEL_TSS, .type = 11, .present = 1 };
		sregs.ldt = (struct kvm_segment){ .unusable = 1, .type = 2, .present = 1 };
		struct kvm_segment data = seg(SEL_DATA, 3, false, true, true, 0xffffffff);
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
		sregs.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
		sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
		sregs.idt.base = 0;
		sregs.idt.limit = 0;
		if (mode == XT_MODE_LONG) {
			write_page_tables(vm);
			sregs.cs = seg(SEL_CODE64, 0xb, true, false, true, 0xffffffff);
			sregs.cr0 |= CR0_PG | CR0_WP;
			sregs.cr3 = sys + OFF_PML4;
			sregs.cr4 |= CR4_PAE;
			sregs.efer = EFER_LME | EFER_LMA;
		} else {
			sregs.cs = seg(SEL_CODE32, 0xb, false, true, true, 0xffffffff);
			sregs.efer = 0;
		}
		if (idt)
			write_idt(vm, mode, &sregs);
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return rec_err(err, -errno, "KVM_SET_SREGS (%s mode): %s", xt_cpu_mode_name(mode),
			       strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return rec_err(err, -errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}
