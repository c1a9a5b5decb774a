// SPDX-License-Identifier: MIT
/*
 * VM and vCPU set-up.  The ioctls follow Documentation/virt/kvm/api.rst:
 * the irqchip, TSS and identity-map addresses must be set before the vCPU
 * is created (4.24 KVM_CREATE_IRQCHIP, 4.48 KVM_SET_TSS_ADDR); state after
 * every exit comes from kvm_run->s.regs (KVM_CAP_SYNC_REGS, 4.81).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_vm.h"
#include "rec_util.h"

_Static_assert(sizeof(struct kvm_regs) == sizeof(struct xt_regs), "kvm_regs layout");

/* Above the guest's RAM (at most 3 GiB) and below the LAPIC/IOAPIC pages. */
#define TSS_ADDR 0xfffbd000u
#define IDENTITY_MAP_ADDR 0xfffbc000u
#define MEM_MAX (3ull << 30)

bool kvm_available(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	close(fd);
	return ok;
}

int kvm_vm_cap(const struct kvm_vm *vm, long cap)
{
	int r = ioctl(vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

int kvm_sys_cap(const struct kvm_vm *vm, long cap)
{
	int r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

int kvm_vm_open(struct kvm_vm *vm, uint64_t mem_size, uint32_t irqchip, struct xt_error *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->irqchip = irqchip;
	if (mem_size < (1u << 20) || mem_size > MEM_MAX || (mem_size & 0xfff))
		return rec_err(err, -EINVAL, "guest memory must be a multiple of 4 KiB between 1 MiB and 3 GiB, not %llu bytes",
			       (unsigned long long)mem_size);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return rec_err(err, -errno, "cannot open /dev/kvm: %s", strerror(errno));
	vm->api_version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (vm->api_version != KVM_API_VERSION)
		return rec_err(err, -ENOTSUP, "KVM API version %d, this exitrace speaks %d",
			       vm->api_version, KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return rec_err(err, -errno, "KVM_CREATE_VM: %s", strerror(errno));

	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return rec_err(err, -errno, "cannot map %llu bytes of guest memory: %s",
			       (unsigned long long)mem_size, strerror(errno));
	}
	vm->mem_size = mem_size;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return rec_err(err, -errno, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	if (kvm_vm_cap(vm, KVM_CAP_SET_TSS_ADDR) && ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0)
		return rec_err(err, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (kvm_vm_cap(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
		uint64_t addr = IDENTITY_MAP_ADDR;
		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
			return rec_err(err, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (irqchip == XT_IRQCHIP_KERNEL) {
		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
			return rec_err(err, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	} else if (irqchip == XT_IRQCHIP_SPLIT) {
		/* 24 routes: the IOAPIC pins userspace would own. */
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return rec_err(err, -errno, "KVM_CAP_SPLIT_IRQCHIP: %s", strerror(errno));
	}

	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return rec_err(err, -errno, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)run_size;
	int sync = kvm_vm_cap(vm, KVM_CAP_SYNC_REGS);
	uint32_t want = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
	vm->sync_regs = (sync & want) == want;
	int rc = kvm_vm_add_vcpus(vm, 1, NULL, err);
	if (rc == 0)
		kvm_vm_select(vm, 0);
	return rc;
}

int kvm_vm_add_vcpus(struct kvm_vm *vm, uint32_t n, const uint32_t *ids, struct xt_error *err)
{
	if (n > KVM_VM_VCPUS_MAX)
		return rec_err(err, -EINVAL, "%u vCPUs: at most %u", n, KVM_VM_VCPUS_MAX);
	if (n > 1 && vm->irqchip == XT_IRQCHIP_NONE)
		return rec_err(err, -EINVAL, "%u vCPUs need an in-kernel local APIC (--irqchip kernel or split) for INIT, SIPI and IPIs", n);
	if (vm->n_vcpus && ids && ids[0] != vm->vcpu_ids[0])
		return rec_err(err, -EINVAL, "vCPU 0 has APIC ID %u: this exitrace makes vCPU 0 with ID %u",
			       ids[0], vm->vcpu_ids[0]);
	for (uint32_t i = vm->n_vcpus; i < n; i++) {
		uint32_t id = ids ? ids[i] : i;
		int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
		if (fd < 0)
			return rec_err(err, -errno, "KVM_CREATE_VCPU %u (vCPU %u): %s", id, i, strerror(errno));
		struct kvm_run *run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (run == MAP_FAILED) {
			int e = errno;
			close(fd);
			return rec_err(err, -e, "cannot map kvm_run of vCPU %u: %s", i, strerror(e));
		}
		if (vm->sync_regs)
			run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
		vm->vcpu_fds[i] = fd;
		vm->vcpu_ids[i] = id;
		vm->runs[i] = run;
		vm->n_vcpus = i + 1;
	}
	return 0;
}

int kvm_vm_get_mp_state(struct kvm_vm *vm)
{
	struct kvm_mp_state mp;
	if (ioctl(vm->vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
		return -errno;
	return (int)mp.mp_state;
}

int kvm_vm_set_mp_state(struct kvm_vm *vm, uint32_t mp_state)
{
	struct kvm_mp_state mp = { .mp_state = mp_state };
	return ioctl(vm->vcpu_fd, KVM_SET_MP_STATE, &mp) < 0 ? -errno : 0;
}

void kvm_vm_close(struct kvm_vm *vm)
{
	for (uint32_t i = 0; i < vm->n_vcpus; i++) {
		munmap(vm->runs[i], vm->run_size);
		close(vm->vcpu_fds[i]);
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

int kvm_vm_supported_cpuid(struct kvm_vm *vm, struct xt_cpuid_entry **out, size_t *n,
			   struct xt_error *err)
{
	for (int nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)nent * sizeof(c->entries[0]));
		if (!c)
			return rec_err(err, -ENOMEM, "out of memory");
		c->nent = (uint32_t)nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			int e = errno;
			free(c);
			if (e == E2BIG)
				continue;
			return rec_err(err, -e, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
		}
		struct xt_cpuid_entry *x = calloc(c->nent, sizeof(*x));
		if (!x) {
			free(c);
			return rec_err(err, -ENOMEM, "out of memory");
		}
		for (uint32_t i = 0; i < c->nent; i++) {
			const struct kvm_cpuid_entry2 *k = &c->entries[i];
			x[i] = (struct xt_cpuid_entry){ k->function, k->index, k->flags,
							k->eax, k->ebx, k->ecx, k->edx };
		}
		*out = x;
		*n = c->nent;
		free(c);
		return 0;
	}
	return rec_err(err, -E2BIG, "KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}

int kvm_vm_set_cpuid(struct kvm_vm *vm, const struct xt_cpuid_entry *e, size_t n,
		     struct xt_error *err)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return rec_err(err, -ENOMEM, "out of memory");
	c->nent = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		c->entries[i] = (struct kvm_cpuid_entry2){ .function = e[i].function, .index = e[i].index,
							   .flags = e[i].flags, .eax = e[i].eax,
							   .ebx = e[i].ebx, .ecx = e[i].ecx, .edx = e[i].edx };
	int rc = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
	int e2 = errno;
	free(c);
	if (rc < 0)
		return rec_err(err, -e2, "KVM_SET_CPUID2 (%zu entries): %s", n, strerror(e2));
	return 0;
}

void kvm_cpuid_set_apic_id(struct xt_cpuid_entry *e, size_t n, uint32_t apic_id)
{
	for (size_t i = 0; i < n; i++) {
		switch (e[i].function) {
		case 0x1:
			e[i].ebx = (e[i].ebx & 0x00ffffffu) | (apic_id & 0xff) << 24;
			break;
		case 0xb:
		case 0x1f:
			e[i].edx = apic_id;
			break;
		case 0x8000001e:
			e[i].eax = apic_id;
			break;
		}
	}
}

int kvm_vm_set_guest_debug(struct kvm_vm *vm, uint32_t control, const uint64_t debugreg[8],
			   struct xt_error *err)
{
	struct kvm_guest_debug dbg = { .control = control };
	for (int i = 0; i < 8; i++)
		dbg.arch.debugreg[i] = debugreg[i];
	if (ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return rec_err(err, -errno, "KVM_SET_GUEST_DEBUG 0x%x: %s", control, strerror(errno));
	vm->guest_debug = control;
	return 0;
}

static uint64_t seg_attr(const struct kvm_segment *s)
{
	return (uint64_t)(s->type & 0xf) | (uint64_t)(s->s & 1) << 4 | (uint64_t)(s->dpl & 3) << 5 |
	       (uint64_t)(s->present & 1) << 7 | (uint64_t)(s->avl & 1) << 12 |
	       (uint64_t)(s->l & 1) << 13 | (uint64_t)(s->db & 1) << 14 | (uint64_t)(s->g & 1) << 15 |
	       (uint64_t)(s->unusable & 1) << 16;
}

static void seg_to_xt(const struct kvm_segment *k, struct xt_segment *x)
{
	x->base = k->base;
	x->limit = k->limit;
	x->selector = k->selector;
	x->attr = seg_attr(k);
}

static void seg_to_kvm(const struct xt_segment *x, struct kvm_segment *k)
{
	*k = (struct kvm_segment){
		.base = x->base, .limit = (uint32_t)x->limit, .selector = (uint16_t)x->selector,
		.type = x->attr & 0xf, .s = x->attr >> 4 & 1, .dpl = x->attr >> 5 & 3,
		.present = x->attr >> 7 & 1, .avl = x->attr >> 12 & 1, .l = x->attr >> 13 & 1,
		.db = x->attr >> 14 & 1, .g = x->attr >> 15 & 1, .unusable = x->attr >> 16 & 1,
	};
}

void kvm_sregs_to_xt(const struct kvm_sregs *k, struct xt_sregs *x)
{
	seg_to_xt(&k->cs, &x->cs);
	seg_to_xt(&k->ds, &x->ds);
	seg_to_xt(&k->es, &x->es);
	seg_to_xt(&k->fs, &x->fs);
	seg_to_xt(&k->gs, &x->gs);
	seg_to_xt(&k->ss, &x->ss);
	seg_to_xt(&k->tr, &x->tr);
	seg_to_xt(&k->ldt, &x->ldt);
	x->gdt_base = k->gdt.base;
	x->gdt_limit = k->gdt.limit;
	x->idt_base = k->idt.base;
	x->idt_limit = k->idt.limit;
	x->cr0 = k->cr0;
	x->cr2 = k->cr2;
	x->cr3 = k->cr3;
	x->cr4 = k->cr4;
	x->cr8 = k->cr8;
	x->efer = k->efer;
	x->apic_base = k->apic_base;
	for (int i = 0; i < 4; i++)
		x->interrupt_bitmap[i] = k->interrupt_bitmap[i];
}

void xt_sregs_to_kvm(const struct xt_sregs *x, struct kvm_sregs *k)
{
	memset(k, 0, sizeof(*k));
	seg_to_kvm(&x->cs, &k->cs);
	seg_to_kvm(&x->ds, &k->ds);
	seg_to_kvm(&x->es, &k->es);
	seg_to_kvm(&x->fs, &k->fs);
	seg_to_kvm(&x->gs, &k->gs);
	seg_to_kvm(&x->ss, &k->ss);
	seg_to_kvm(&x->tr, &k->tr);
	seg_to_kvm(&x->ldt, &k->ldt);
	k->gdt.base = x->gdt_base;
	k->gdt.limit = (uint16_t)x->gdt_limit;
	k->idt.base = x->idt_base;
	k->idt.limit = (uint16_t)x->idt_limit;
	k->cr0 = x->cr0;
	k->cr2 = x->cr2;
	k->cr3 = x->cr3;
	k->cr4 = x->cr4;
	k->cr8 = x->cr8;
	k->efer = x->efer;
	k->apic_base = x->apic_base;
	for (int i = 0; i < 4; i++)
		k->interrupt_bitmap[i] = x->interrupt_bitmap[i];
}

void kvm_events_to_xt(const struct kvm_vcpu_events *k, struct xt_events *x)
{
	x->exception_injected = k->exception.injected;
	x->exception_nr = k->exception.nr;
	x->exception_has_error_code = k->exception.has_error_code;
	x->exception_pending = k->exception.pending;
	x->exception_error_code = k->exception.error_code;
	x->interrupt_injected = k->interrupt.injected;
	x->interrupt_nr = k->interrupt.nr;
	x->interrupt_soft = k->interrupt.soft;
	x->interrupt_shadow = k->interrupt.shadow;
	x->nmi_injected = k->nmi.injected;
	x->nmi_pending = k->nmi.pending;
	x->nmi_masked = k->nmi.masked;
	x->sipi_vector = k->sipi_vector;
	x->flags = k->flags;
	x->smi_smm = k->smi.smm;
	x->smi_pending = k->smi.pending;
	x->smi_smm_inside_nmi = k->smi.smm_inside_nmi;
	x->smi_latched_init = k->smi.latched_init;
	x->triple_fault_pending = k->triple_fault.pending;
	x->exception_has_payload = k->exception_has_payload;
	x->exception_payload = k->exception_payload;
}

void xt_events_to_kvm(const struct xt_events *x, struct kvm_vcpu_events *k)
{
	memset(k, 0, sizeof(*k));
	k->exception.injected = (uint8_t)x->exception_injected;
	k->exception.nr = (uint8_t)x->exception_nr;
	k->exception.has_error_code = (uint8_t)x->exception_has_error_code;
	k->exception.pending = (uint8_t)x->exception_pending;
	k->exception.error_code = (uint32_t)x->exception_error_code;
	k->interrupt.injected = (uint8_t)x->interrupt_injected;
	k->interrupt.nr = (uint8_t)x->interrupt_nr;
	k->interrupt.soft = (uint8_t)x->interrupt_soft;
	k->interrupt.shadow = (uint8_t)x->interrupt_shadow;
	k->nmi.injected = (uint8_t)x->nmi_injected;
	k->nmi.pending = (uint8_t)x->nmi_pending;
	k->nmi.masked = (uint8_t)x->nmi_masked;
	k->sipi_vector = (uint32_t)x->sipi_vector;
	/* Only the validity bits every KVM understands; SMM and payload stay as they are. */
	k->flags = (uint32_t)x->flags & (KVM_VCPUEVENT_VALID_NMI_PENDING |
					 KVM_VCPUEVENT_VALID_SIPI_VECTOR |
					 KVM_VCPUEVENT_VALID_SHADOW);
}

static uint32_t lapic_reg(const struct kvm_lapic_state *k, unsigned off)
{
	uint32_t v;
	memcpy(&v, k->regs + off, 4);
	return v;
}

void kvm_lapic_to_xt(const struct kvm_lapic_state *k, struct xt_lapic *x)
{
	x->id = lapic_reg(k, 0x20);
	x->version = lapic_reg(k, 0x30);
	x->tpr = lapic_reg(k, 0x80);
	x->ppr = lapic_reg(k, 0xa0);
	x->ldr = lapic_reg(k, 0xd0);
	x->dfr = lapic_reg(k, 0xe0);
	x->svr = lapic_reg(k, 0xf0);
	/* each 256-bit set is 8 registers 16 bytes apart; two make one word */
	for (unsigned i = 0; i < 4; i++) {
		x->isr[i] = lapic_reg(k, 0x100 + 0x20 * i) | (uint64_t)lapic_reg(k, 0x110 + 0x20 * i) << 32;
		x->tmr[i] = lapic_reg(k, 0x180 + 0x20 * i) | (uint64_t)lapic_reg(k, 0x190 + 0x20 * i) << 32;
		x->irr[i] = lapic_reg(k, 0x200 + 0x20 * i) | (uint64_t)lapic_reg(k, 0x210 + 0x20 * i) << 32;
	}
	x->esr = lapic_reg(k, 0x280);
	x->icr_lo = lapic_reg(k, 0x300);
	x->icr_hi = lapic_reg(k, 0x310);
	x->lvt_timer = lapic_reg(k, 0x320);
	x->lvt_lint0 = lapic_reg(k, 0x350);
	x->lvt_lint1 = lapic_reg(k, 0x360);
	x->lvt_error = lapic_reg(k, 0x370);
	x->timer_initial = lapic_reg(k, 0x380);
	x->timer_current = lapic_reg(k, 0x390);
	x->timer_divide = lapic_reg(k, 0x3e0);
}

int kvm_vm_get_lapic(struct kvm_vm *vm, struct xt_lapic *x)
{
	struct kvm_lapic_state k;
	if (vm->irqchip == XT_IRQCHIP_NONE)
		return -ENODEV;
	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &k) < 0)
		return -errno;
	kvm_lapic_to_xt(&k, x);
	return 0;
}

static void lapic_put(struct kvm_lapic_state *k, unsigned off, uint64_t v)
{
	uint32_t w = (uint32_t)v;
	memcpy(k->regs + off, &w, 4);
}

int kvm_vm_set_lapic(struct kvm_vm *vm, const struct xt_lapic *x)
{
	struct kvm_lapic_state k;
	if (vm->irqchip == XT_IRQCHIP_NONE)
		return -ENODEV;
	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &k) < 0)
		return -errno;
	/* the version, PPR and current count are KVM's to compute */
	lapic_put(&k, 0x20, x->id);
	lapic_put(&k, 0x80, x->tpr);
	lapic_put(&k, 0xd0, x->ldr);
	lapic_put(&k, 0xe0, x->dfr);
	lapic_put(&k, 0xf0, x->svr);
	for (unsigned i = 0; i < 4; i++) {
		lapic_put(&k, 0x100 + 0x20 * i, x->isr[i]);
		lapic_put(&k, 0x110 + 0x20 * i, x->isr[i] >> 32);
		lapic_put(&k, 0x180 + 0x20 * i, x->tmr[i]);
		lapic_put(&k, 0x190 + 0x20 * i, x->tmr[i] >> 32);
		lapic_put(&k, 0x200 + 0x20 * i, x->irr[i]);
		lapic_put(&k, 0x210 + 0x20 * i, x->irr[i] >> 32);
	}
	lapic_put(&k, 0x280, x->esr);
	lapic_put(&k, 0x300, x->icr_lo);
	lapic_put(&k, 0x310, x->icr_hi);
	lapic_put(&k, 0x320, x->lvt_timer);
	lapic_put(&k, 0x350, x->lvt_lint0);
	lapic_put(&k, 0x360, x->lvt_lint1);
	lapic_put(&k, 0x370, x->lvt_error);
	lapic_put(&k, 0x380, x->timer_initial);
	lapic_put(&k, 0x3e0, x->timer_divide);
	if (ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &k) < 0)
		return -errno;
	return 0;
}

int kvm_vm_get_heavy(struct kvm_vm *vm, struct xt_state *s, uint32_t capture, struct xt_error *err)
{
	if (capture & XT_CAPTURE_DEBUGREGS) {
		struct kvm_debugregs d;
		if (ioctl(vm->vcpu_fd, KVM_GET_DEBUGREGS, &d) < 0)
			return rec_err(err, -errno, "KVM_GET_DEBUGREGS: %s", strerror(errno));
		s->dregs = (struct xt_debugregs){ d.db[0], d.db[1], d.db[2], d.db[3], d.dr6, d.dr7 };
	}
	/* no irqchip, no LAPIC: the recorder and the replayer refuse that capture before this */
	if ((capture & XT_CAPTURE_LAPIC) && vm->irqchip != XT_IRQCHIP_NONE) {
		int rc = kvm_vm_get_lapic(vm, &s->lapic);
		if (rc)
			return rec_err(err, rc, "KVM_GET_LAPIC: %s", strerror(-rc));
	}
	if (capture & XT_CAPTURE_FPU) {
		struct kvm_fpu f;
		if (ioctl(vm->vcpu_fd, KVM_GET_FPU, &f) < 0)
			return rec_err(err, -errno, "KVM_GET_FPU: %s", strerror(errno));
		memcpy(s->fpu.data, &f, sizeof(f));
		s->fpu.len = sizeof(f);
	}
	return 0;
}

int kvm_vm_get_state(struct kvm_vm *vm, struct xt_state *s, uint32_t capture, struct xt_error *err)
{
	struct kvm_sregs sregs;
	struct kvm_vcpu_events ev;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &s->regs) < 0)
		return rec_err(err, -errno, "KVM_GET_REGS: %s", strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return rec_err(err, -errno, "KVM_GET_SREGS: %s", strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return rec_err(err, -errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	kvm_sregs_to_xt(&sregs, &s->sregs);
	kvm_events_to_xt(&ev, &s->events);
	return kvm_vm_get_heavy(vm, s, capture, err);
}

int kvm_vm_set_state(struct kvm_vm *vm, const struct xt_state *s, uint32_t capture,
		     struct xt_error *err)
{
	struct kvm_sregs sregs;
	struct kvm_vcpu_events ev;
	xt_sregs_to_kvm(&s->sregs, &sregs);
	xt_events_to_kvm(&s->events, &ev);
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return rec_err(err, -errno, "KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &s->regs) < 0)
		return rec_err(err, -errno, "KVM_SET_REGS: %s", strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return rec_err(err, -errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	if (capture & XT_CAPTURE_DEBUGREGS) {
		struct kvm_debugregs d = { .db = { s->dregs.dr0, s->dregs.dr1, s->dregs.dr2, s->dregs.dr3 },
					   .dr6 = s->dregs.dr6, .dr7 = s->dregs.dr7 };
		if (ioctl(vm->vcpu_fd, KVM_SET_DEBUGREGS, &d) < 0)
			return rec_err(err, -errno, "KVM_SET_DEBUGREGS: %s", strerror(errno));
	}
	if ((capture & XT_CAPTURE_FPU) && s->fpu.len == sizeof(struct kvm_fpu)) {
		struct kvm_fpu f;
		memcpy(&f, s->fpu.data, sizeof(f));
		if (ioctl(vm->vcpu_fd, KVM_SET_FPU, &f) < 0)
			return rec_err(err, -errno, "KVM_SET_FPU: %s", strerror(errno));
	}
	return 0;
}
