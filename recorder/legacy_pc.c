// SPDX-License-Identifier: MIT
/*
 * The devices are KVM's own (api.rst 4.24 KVM_CREATE_IRQCHIP, 4.63
 * KVM_CREATE_PIT2, 4.27 KVM_SET_IRQCHIP, 4.64 KVM_SET_PIT2).  As created,
 * KVM's PICs are zeroed: vector base 0, nothing masked, not initialised
 * (ICW4 not expected), so an IRQ 11 arrives as vector 0x0b; and the PIT's
 * channels are in no mode (0xff), its timer off.  A BIOS initialises both;
 * so do we, by setting the state its initialisation words would leave.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "legacy_pc.h"
#include "rec_util.h"

#define PIC_MASTER_BASE 0x08
#define PIC_SLAVE_BASE 0x70
/* IRQ 0 (the timer) and IRQ 2 (the cascade) unmasked; nothing else has a handler of its own */
#define PIC_MASTER_IMR 0xfa
#define PIC_SLAVE_IMR 0xff
#define PIT_MODE_SQUARE_WAVE 3
#define PIT_RW_LSB_MSB 3
#define PIT_COUNT_18HZ 0x10000	/* 1193182 Hz / 65536: the BIOS tick */

/* Handlers: one IRET, then one per IRQ (so an arrival names its IRQ by its handler's address). */
#define STUB_IRET (LEGACY_PC_STUBS)
#define STUB_MASTER (LEGACY_PC_STUBS + 0x10)	/* 8 bytes each */
#define STUB_SLAVE (LEGACY_PC_STUBS + 0x50)	/* 16 bytes each */
#define IVT_END 0x400u

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

int legacy_pc_choose(enum legacy_pc_want want, uint32_t irqchip, const struct guest_image *img,
		     uint64_t mem_size, bool idt, uint32_t *platform, struct xt_error *err)
{
	*platform = 0;
	if (want == LEGACY_PC_OFF)
		return 0;
	if (irqchip != XT_IRQCHIP_KERNEL) {
		if (want == LEGACY_PC_ON)
			return rec_err(err, -EINVAL, "--legacy-pc needs --irqchip kernel: the PIT and the PICs are KVM's");
		return 0;
	}
	if (want == LEGACY_PC_AUTO && !img->multiboot && img->mode != XT_MODE_REAL)
		return 0;
	*platform = XT_PLATFORM_PIT | XT_PLATFORM_PIC;
	/* the image's bytes and the IVT: the image wins, as it would over a BIOS's */
	uint64_t stubs_end = LEGACY_PC_STUBS + LEGACY_PC_STUBS_SIZE;
	if (!idt && mem_size >= stubs_end && !overlaps(img->load_addr, img->end, 0, IVT_END) &&
	    !overlaps(img->load_addr, img->end, LEGACY_PC_STUBS, stubs_end))
		*platform |= XT_PLATFORM_IVT;
	return 0;
}

static void program_pic(struct kvm_pic_state *p, uint8_t base, uint8_t imr)
{
	/* ICW1 with ICW4, ICW2 the base, ICW3 the cascade, ICW4 8086 mode, OCW1 the mask */
	p->irq_base = base;
	p->imr = imr;
	p->init4 = 1;
	p->init_state = 0;	/* initialisation complete */
	p->read_reg_select = 0;	/* OCW3 reads IRR, as after initialisation */
}

static int setup_pic(struct kvm_vm *vm, struct xt_error *err)
{
	static const struct { uint32_t chip; uint8_t base, imr; } pics[2] = {
		{ KVM_IRQCHIP_PIC_MASTER, PIC_MASTER_BASE, PIC_MASTER_IMR },
		{ KVM_IRQCHIP_PIC_SLAVE, PIC_SLAVE_BASE, PIC_SLAVE_IMR },
	};
	for (int i = 0; i < 2; i++) {
		struct kvm_irqchip c = { .chip_id = pics[i].chip };
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0)
			return rec_err(err, -errno, "KVM_GET_IRQCHIP (PIC %d): %s", i, strerror(errno));
		program_pic(&c.chip.pic, pics[i].base, pics[i].imr);
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) < 0)
			return rec_err(err, -errno, "KVM_SET_IRQCHIP (PIC %d): %s", i, strerror(errno));
	}
	return 0;
}

static int setup_pit(struct kvm_vm *vm, bool quiet, struct xt_error *err)
{
	/* the speaker port 0x61 in the kernel too, so reading it never leaves KVM either */
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &cfg) < 0)
		return rec_err(err, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	struct kvm_pit_state2 st;
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &st) < 0)
		return rec_err(err, -errno, "KVM_GET_PIT2: %s", strerror(errno));
	struct kvm_pit_channel_state *c0 = &st.channels[0];
	c0->count = PIT_COUNT_18HZ;
	c0->mode = PIT_MODE_SQUARE_WAVE;
	c0->rw_mode = PIT_RW_LSB_MSB;
	c0->read_state = c0->write_state = PIT_RW_LSB_MSB;
	c0->gate = 1;
	if (quiet)
		st.flags |= KVM_PIT_FLAGS_HPET_LEGACY;
	/* KVM_SET_PIT2 reloads each channel's count: channel 0's timer starts now */
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &st) < 0)
		return rec_err(err, -errno, "KVM_SET_PIT2: %s", strerror(errno));
	return 0;
}

int legacy_pc_devices(struct kvm_vm *vm, uint32_t platform, bool quiet, struct xt_error *err)
{
	int rc;
	if ((platform & (XT_PLATFORM_PIT | XT_PLATFORM_PIC)) && vm->irqchip != XT_IRQCHIP_KERNEL)
		return rec_err(err, -EINVAL, "the legacy PC platform needs an in-kernel irqchip (irqchip %u)",
			       vm->irqchip);
	if ((platform & XT_PLATFORM_PIC) && (rc = setup_pic(vm, err)))
		return rc;
	if ((platform & XT_PLATFORM_PIT) && (rc = setup_pit(vm, quiet, err)))
		return rc;
	return 0;
}

static void put_ivt(uint8_t *mem, unsigned vector, uint32_t handler)
{
	/* offset, then segment F000 */
	uint8_t *e = mem + 4 * vector;
	e[0] = (uint8_t)handler;
	e[1] = (uint8_t)(handler >> 8);
	e[2] = 0x00;
	e[3] = 0xf0;
}

void legacy_pc_ivt(uint8_t *mem)
{
	/* push ax; mov al, 0x20 (non-specific EOI); out 0x20, al; pop ax; iret */
	static const uint8_t master[8] = { 0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf, 0x90 };
	/* the same, but the slave's EOI first: out 0xa0, al; out 0x20, al */
	static const uint8_t slave[9] = { 0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf };
	memset(mem + LEGACY_PC_STUBS, 0x90, LEGACY_PC_STUBS_SIZE);
	mem[STUB_IRET] = 0xcf;
	for (unsigned v = 0; v < 256; v++)
		put_ivt(mem, v, STUB_IRET - 0xf0000);
	for (unsigned irq = 0; irq < 8; irq++) {
		memcpy(mem + STUB_MASTER + 8 * irq, master, sizeof(master));
		memcpy(mem + STUB_SLAVE + 16 * irq, slave, sizeof(slave));
		put_ivt(mem, PIC_MASTER_BASE + irq, STUB_MASTER + 8 * irq - 0xf0000);
		put_ivt(mem, PIC_SLAVE_BASE + irq, STUB_SLAVE + 16 * irq - 0xf0000);
	}
}

int legacy_pc_setup(struct kvm_vm *vm, enum legacy_pc_want want, const struct guest_image *img, bool idt,
		    uint32_t *platform, struct xt_error *err)
{
	int rc;
	if ((rc = legacy_pc_choose(want, vm->irqchip, img, vm->mem_size, idt, platform, err)) ||
	    (rc = legacy_pc_devices(vm, *platform, false, err)))
		return rc;
	if (*platform & XT_PLATFORM_IVT)
		legacy_pc_ivt(vm->mem);
	return 0;
}
