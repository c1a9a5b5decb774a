/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device, legacy I/O interface only: a
 * 16-bit selector written to port 0x510, then the selected item's bytes
 * read one at a time from port 0x511.  Test kernels (kvm-unit-tests
 * above all) learn their CPU count and RAM size here; without it they
 * read all-ones and wait for 65534 APs.  The items answer from the VM's
 * configuration; everything else reads as zeros, as QEMU's does.  No DMA
 * interface (the ID item says so).
 */
#ifndef XT_FW_CFG_H
#define XT_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511

/* Selectors (QEMU's docs/specs/fw_cfg.rst) */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MACHINE_ID 0x06
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19

struct fw_cfg {
	uint64_t ram_size;	/* bytes of guest RAM */
	uint16_t nb_cpus, max_cpus;
	uint16_t selector;
	uint32_t offset;	/* the next byte of the selected item */
};

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size, uint16_t nb_cpus);

/* A write of size bytes to port (the selector; data-port writes are ignored). */
void fw_cfg_write(struct fw_cfg *f, uint16_t port, const uint8_t *data, unsigned size);

/* A read of size bytes from port into data. */
void fw_cfg_read(struct fw_cfg *f, uint16_t port, uint8_t *data, unsigned size);

/*
 * The bytes of item sel into buf (up to cap): returns the item's length,
 * 0 for an item that does not exist.
 */
size_t fw_cfg_item(const struct fw_cfg *f, uint16_t sel, uint8_t *buf, size_t cap);

#endif
