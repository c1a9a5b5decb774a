// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "le_bytes.h"
#include "pc_testdev.h"

void pc_testdev_init(struct pc_testdev *t, int vm_fd)
{
	memset(t, 0, sizeof(*t));
	t->vm_fd = vm_fd;
}

void pc_testdev_scratch_read(struct pc_testdev *t, uint8_t *data, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		data[i] = i < 4 ? (uint8_t)(t->scratch >> (8 * i)) : 0;
}

void pc_testdev_scratch_write(struct pc_testdev *t, const uint8_t *data, unsigned size)
{
	t->scratch = le_io_value(data, size);
}

int pc_testdev_irq_line(struct pc_testdev *t, unsigned line, const uint8_t *data, unsigned size)
{
	if (t->vm_fd < 0 || line >= PC_TESTDEV_IRQ_LINES)
		return -ENODEV;
	struct kvm_irq_level irq = { .irq = line, .level = le_io_value(data, size) != 0 };
	return ioctl(t->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

bool pc_testdev_mmio(struct pc_testdev *t, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	if (addr < PC_TESTDEV_MMIO_BASE || addr - PC_TESTDEV_MMIO_BASE >= PC_TESTDEV_MMIO_SIZE ||
	    len > PC_TESTDEV_MMIO_SIZE - (addr - PC_TESTDEV_MMIO_BASE))
		return false;
	uint8_t *p = t->mem + (addr - PC_TESTDEV_MMIO_BASE);
	if (write)
		memcpy(p, data, len);
	else
		memcpy(data, p, len);
	return true;
}
