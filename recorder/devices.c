// SPDX-License-Identifier: MIT
#include <string.h>

#include "devices.h"

#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IIR_NONE 0x01
/* DCD, DSR, CTS: a terminal is attached and ready */
#define UART_MSR_READY 0xb0

void devices_init(struct devices *d, FILE *console)
{
	memset(d, 0, sizeof(*d));
	d->console = console;
}

static uint8_t serial_read(struct devices *d, unsigned reg)
{
	bool dlab = d->lcr & UART_LCR_DLAB;
	switch (reg) {
	case 0: return dlab ? d->dll : 0;	/* no input ever arrives */
	case 1: return dlab ? d->dlm : d->ier;
	case 2: return UART_IIR_NONE;
	case 3: return d->lcr;
	case 4: return d->mcr;
	case 5: return UART_LSR_THRE | UART_LSR_TEMT;
	case 6: return UART_MSR_READY;
	default: return d->scr;
	}
}

static void serial_write(struct devices *d, unsigned reg, uint8_t v)
{
	bool dlab = d->lcr & UART_LCR_DLAB;
	switch (reg) {
	case 0:
		if (dlab) {
			d->dll = v;
		} else if (d->out_len < sizeof(d->out)) {
			d->out[d->out_len++] = v;
		}
		break;
	case 1:
		if (dlab)
			d->dlm = v;
		else
			d->ier = v;
		break;
	case 3: d->lcr = v; break;
	case 4: d->mcr = v; break;
	case 7: d->scr = v; break;
	default: break;	/* FCR, and the read-only LSR/MSR */
	}
}

void devices_io(struct devices *d, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size, port = run->io.port;
	bool in = run->io.direction == KVM_EXIT_IO_IN;
	d->out_len = 0;
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (port >= SERIAL_BASE && port < SERIAL_BASE + 8) {
			if (in)
				memset(data, serial_read(d, port - SERIAL_BASE), size);
			else
				serial_write(d, port - SERIAL_BASE, data[0]);
		} else if (port == DEBUG_EXIT_PORT && !in) {
			uint32_t v = 0;
			memcpy(&v, data, size <= 4 ? size : 4);
			d->exited = true;
			d->exit_status = (v << 1) | 1;
		} else if (in) {
			memset(data, 0xff, size);
		}
	}
	if (d->out_len && d->console) {
		fwrite(d->out, 1, d->out_len, d->console);
		fflush(d->console);
	}
}

void devices_mmio(struct devices *d, struct kvm_run *run)
{
	(void)d;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
}
