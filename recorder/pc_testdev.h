/* SPDX-License-Identifier: MIT */
/*
 * QEMU's pc-testdev, which kvm-unit-tests' emulator, ioapic and lam tests
 * drive: a scratch register at I/O port 0xe0 (1, 2 or 4 bytes; reads give
 * back what was last written), a flush port at 0xe4 (nothing to flush
 * here), 24 IRQ-line ports at 0x2000-0x2017 (a write sets the line's
 * level through the in-kernel irqchip) and a 4 KiB window of RAM-like
 * MMIO at 0xff000000, so the guest can run any instruction against MMIO.
 */
#ifndef XT_PC_TESTDEV_H
#define XT_PC_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

#define PC_TESTDEV_PORT 0xe0
#define PC_TESTDEV_FLUSH 0xe4
#define PC_TESTDEV_IRQ_BASE 0x2000
#define PC_TESTDEV_IRQ_LINES 24
#define PC_TESTDEV_MMIO_BASE 0xff000000ull
#define PC_TESTDEV_MMIO_SIZE 4096u

struct pc_testdev {
	uint32_t scratch;
	int vm_fd;		/* for KVM_IRQ_LINE; -1 without an in-kernel irqchip */
	uint8_t mem[PC_TESTDEV_MMIO_SIZE];
};

void pc_testdev_init(struct pc_testdev *t, int vm_fd);

void pc_testdev_scratch_read(struct pc_testdev *t, uint8_t *data, unsigned size);
void pc_testdev_scratch_write(struct pc_testdev *t, const uint8_t *data, unsigned size);

/* A write to IRQ-line port 0x2000 + line: its level.  0, or -errno of KVM_IRQ_LINE. */
int pc_testdev_irq_line(struct pc_testdev *t, unsigned line, const uint8_t *data, unsigned size);

/* Is [addr, addr + len) inside the MMIO window?  Then read or write it. */
bool pc_testdev_mmio(struct pc_testdev *t, uint64_t addr, uint8_t *data, unsigned len, bool write);

#endif
