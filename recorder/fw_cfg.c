// SPDX-License-Identifier: MIT
#include <string.h>

#include "fw_cfg.h"
#include "le_bytes.h"

/* Bit 0 of the ID item: the traditional (I/O port) interface; bit 1 (DMA) is clear. */
#define FW_CFG_ID_TRADITIONAL 1u
/* The longest item we answer: the UUID (16 bytes) */
#define FW_CFG_ITEM_MAX 16

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size, uint16_t nb_cpus)
{
	memset(f, 0, sizeof(*f));
	f->ram_size = ram_size;
	f->nb_cpus = nb_cpus;
	f->max_cpus = nb_cpus;
}

static size_t put_le(uint8_t *buf, size_t cap, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n && i < cap; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	return n;
}

size_t fw_cfg_item(const struct fw_cfg *f, uint16_t sel, uint8_t *buf, size_t cap)
{
	memset(buf, 0, cap);
	switch (sel) {
	case FW_CFG_SIGNATURE:
		memcpy(buf, "QEMU", cap < 4 ? cap : 4);
		return 4;
	case FW_CFG_ID:
		return put_le(buf, cap, FW_CFG_ID_TRADITIONAL, 4);
	case FW_CFG_UUID:
		return 16;	/* all zeros: no UUID was given */
	case FW_CFG_RAM_SIZE:
		return put_le(buf, cap, f->ram_size, 8);
	case FW_CFG_NOGRAPHIC:
	case FW_CFG_BOOT_MENU:
		return put_le(buf, cap, 0, 2);
	case FW_CFG_NB_CPUS:
		return put_le(buf, cap, f->nb_cpus, 2);
	case FW_CFG_MAX_CPUS:
		return put_le(buf, cap, f->max_cpus, 2);
	case FW_CFG_MACHINE_ID:
		return put_le(buf, cap, 0, 4);
	case FW_CFG_NUMA:
		return put_le(buf, cap, 0, 8);	/* no NUMA nodes (a count of 0) */
	case FW_CFG_FILE_DIR:
		return put_le(buf, cap, 0, 4);	/* no files (a big-endian count of 0) */
	}
	return 0;
}

void fw_cfg_write(struct fw_cfg *f, uint16_t port, const uint8_t *data, unsigned size)
{
	if (port != FW_CFG_PORT_SEL)
		return;		/* the data port is read-only since QEMU 2.4 */
	f->selector = (uint16_t)le_io_value(data, size < 2 ? size : 2);
	f->offset = 0;
}

void fw_cfg_read(struct fw_cfg *f, uint16_t port, uint8_t *data, unsigned size)
{
	memset(data, 0, size);
	if (port == FW_CFG_PORT_SEL) {
		put_le(data, size, f->selector, size < 2 ? size : 2);
		return;
	}
	/* reading the data port in wider units returns the next bytes in order */
	uint8_t item[FW_CFG_ITEM_MAX];
	size_t len = fw_cfg_item(f, f->selector, item, sizeof(item));
	for (unsigned i = 0; i < size; i++) {
		if (f->offset < len)
			data[i] = item[f->offset];
		if (f->offset < UINT32_MAX)
			f->offset++;
	}
}
