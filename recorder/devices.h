/* SPDX-License-Identifier: MIT */
/*
 * The devices guests expect, in one table of ports: a 16550-style UART at
 * 0x3f8 (transmit only; the transmitter is always empty) as the console,
 * isa-debug-exit at 0xf4, fw_cfg at 0x510-0x511, QEMU's pc-testdev
 * (ports 0xe0, 0xe4, 0x2000-0x2017, MMIO at 0xff000000) and the ACPI PM
 * block with its timer at 0xb000-0xb00b, and the CMOS RTC at 0x70-0x71.
 * Every other port
 * and all unbacked MMIO read as all-ones and drop writes; the trace
 * records each access as the exit it is.  Only exits that reach userspace
 * look a device up, so the step loop pays nothing for them.
 */
#ifndef XT_DEVICES_H
#define XT_DEVICES_H

#include <stdbool.h>
#include <stdio.h>

#include "acpi_pm.h"
#include "cmos_rtc.h"
#include "fw_cfg.h"
#include "pc_testdev.h"
#include "kvm_vm.h"

#define SERIAL_BASE 0x3f8
#define DEBUG_EXIT_PORT 0xf4

struct devices {
	FILE *console;		/* where guest output goes, or NULL */
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool exited;		/* isa-debug-exit was written */
	uint32_t exit_status;	/* (value << 1) | 1 */
	struct fw_cfg fw_cfg;
	struct pc_testdev testdev;
	struct acpi_pm pm;
	struct cmos_rtc rtc;
	/* what the last exit wrote to the console (for the trace's console event) */
	uint8_t out[XT_IO_DATA_MAX];
	size_t out_len;
};

/* For vm (its RAM size for fw_cfg, its irqchip for pc-testdev's IRQ lines), with nb_cpus vCPUs. */
void devices_init(struct devices *d, FILE *console, const struct kvm_vm *vm, uint16_t nb_cpus);

/*
 * Handle the I/O exit in vm->run: answer reads (in place, so the trace
 * records the value the guest got) and act on writes.
 */
void devices_io(struct devices *d, struct kvm_run *run);

/* Handle an MMIO exit to memory no device claims. */
void devices_mmio(struct devices *d, struct kvm_run *run);

#endif
