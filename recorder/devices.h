/* SPDX-License-Identifier: MIT */
/*
 * The devices guests expect, in one table of ports: a 16550-style UART at
 * 0x3f8 (transmit only; the transmitter is always empty) as the console,
 * isa-debug-exit at 0xf4, and fw_cfg at 0x510-0x511.  Every other port
 * and all unbacked MMIO read as all-ones and drop writes; the trace
 * records each access as the exit it is.  Only exits that reach userspace
 * look a device up, so the step loop pays nothing for them.
 */
#ifndef XT_DEVICES_H
#define XT_DEVICES_H

#include <stdbool.h>
#include <stdio.h>

#include "fw_cfg.h"
#include "kvm_vm.h"

#define SERIAL_BASE 0x3f8
#define DEBUG_EXIT_PORT 0xf4

struct devices {
	FILE *console;		/* where guest output goes, or NULL */
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool exited;		/* isa-debug-exit was written */
	uint32_t exit_status;	/* (value << 1) | 1 */
	struct fw_cfg fw_cfg;
	/* what the last exit wrote to the console (for the trace's console event) */
	uint8_t out[XT_IO_DATA_MAX];
	size_t out_len;
};

/* ram_size and nb_cpus: the VM's, as fw_cfg tells them to the guest. */
void devices_init(struct devices *d, FILE *console, uint64_t ram_size, uint16_t nb_cpus);

/*
 * Handle the I/O exit in vm->run: answer reads (in place, so the trace
 * records the value the guest got) and act on writes.
 */
void devices_io(struct devices *d, struct kvm_run *run);

/* Handle an MMIO exit to memory no device claims. */
void devices_mmio(struct devices *d, struct kvm_run *run);

#endif
