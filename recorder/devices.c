// SPDX-License-Identifier: MIT
#include <string.h>

#include "devices.h"
#include "le_bytes.h"

#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IIR_NONE 0x01
/* DCD, DSR, CTS: a terminal is attached and ready */
#define UART_MSR_READY 0xb0

void devices_init(struct devices *d, FILE *console, const struct kvm_vm *vm, uint16_t nb_cpus)
{
	memset(d, 0, sizeof(*d));
	d->console = console;
	fw_cfg_init(&d->fw_cfg, vm->mem_size, nb_cpus);
	pc_testdev_init(&d->testdev, vm->irqchip == XT_IRQCHIP_NONE ? -1 : vm->vm_fd);
	acpi_pm_init(&d->pm);
	cmos_rtc_init(&d->rtc, vm->mem_size);
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

static void serial_in(struct devices *d, uint16_t port, uint8_t *data, unsigned size)
{
	(void)size;	/* 1: the table splits wider accesses */
	data[0] = serial_read(d, port - SERIAL_BASE);
}

static void serial_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	(void)size;
	serial_write(d, port - SERIAL_BASE, data[0]);
}

static void debug_exit_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	(void)port;
	d->exited = true;
	d->exit_status = (le_io_value(data, size) << 1) | 1;
}

static void fw_cfg_in(struct devices *d, uint16_t port, uint8_t *data, unsigned size)
{
	fw_cfg_read(&d->fw_cfg, port, data, size);
}

static void fw_cfg_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	fw_cfg_write(&d->fw_cfg, port, data, size);
}

static void testdev_in(struct devices *d, uint16_t port, uint8_t *data, unsigned size)
{
	(void)port;
	pc_testdev_scratch_read(&d->testdev, data, size);
}

static void testdev_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	(void)port;
	pc_testdev_scratch_write(&d->testdev, data, size);
}

static void testdev_flush_in(struct devices *d, uint16_t port, uint8_t *data, unsigned size)
{
	(void)d;
	(void)port;
	memset(data, 0, size);
}

static void testdev_flush_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	(void)d;
	(void)port;
	(void)data;
	(void)size;	/* QEMU flushes its TLB for the MMIO window; ours has none */
}

/* A failed KVM_IRQ_LINE (no in-kernel irqchip) leaves the line as it was: the exit is in the trace. */
static void testdev_irq_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	pc_testdev_irq_line(&d->testdev, port - PC_TESTDEV_IRQ_BASE, data, size);
}

static void acpi_pm_in(struct devices *d, uint16_t port, uint8_t *data, unsigned size)
{
	acpi_pm_read(&d->pm, port, data, size);
}

static void acpi_pm_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	acpi_pm_write(&d->pm, port, data, size);
}

static void rtc_in(struct devices *d, uint16_t port, uint8_t *data, unsigned size)
{
	cmos_rtc_read(&d->rtc, port, data, size);
}

static void rtc_out(struct devices *d, uint16_t port, const uint8_t *data, unsigned size)
{
	cmos_rtc_write(&d->rtc, port, data, size);
}

struct port_device {
	uint16_t base, len;
	void (*in)(struct devices *d, uint16_t port, uint8_t *data, unsigned size);	/* NULL: all-ones */
	void (*out)(struct devices *d, uint16_t port, const uint8_t *data, unsigned size);
	/*
	 * Its registers are one byte each: a wider access is one of a byte per
	 * port, in order (a word OUT to 0x70 selects a CMOS register and writes
	 * it; a word IN at 0x3fd reads LSR and then MSR), as on a PC's bus.
	 */
	bool bytewise;
};

static const struct port_device port_devices[] = {
	{ SERIAL_BASE, 8, serial_in, serial_out, true },
	{ DEBUG_EXIT_PORT, 1, NULL, debug_exit_out, false },
	{ FW_CFG_PORT_SEL, 2, fw_cfg_in, fw_cfg_out, false },
	{ PC_TESTDEV_PORT, 4, testdev_in, testdev_out, false },
	{ PC_TESTDEV_FLUSH, 4, testdev_flush_in, testdev_flush_out, false },
	{ PC_TESTDEV_IRQ_BASE, PC_TESTDEV_IRQ_LINES, NULL, testdev_irq_out, false },
	{ ACPI_PM_BASE, ACPI_PM_LEN, acpi_pm_in, acpi_pm_out, false },
	{ CMOS_PORT_INDEX, 2, rtc_in, rtc_out, true },
};

static const struct port_device *port_device(uint16_t port)
{
	for (size_t i = 0; i < sizeof(port_devices) / sizeof(port_devices[0]); i++)
		if (port >= port_devices[i].base && port - port_devices[i].base < port_devices[i].len)
			return &port_devices[i];
	return NULL;
}

/* One access of size bytes at port (one element of a string I/O). */
static void port_access(struct devices *d, uint16_t port, bool in, uint8_t *data, unsigned size)
{
	const struct port_device *dev = port_device(port);
	if (dev && dev->bytewise && size > 1) {
		/* the byte at port + i goes to whatever decodes that port (the sum wraps at 64 Ki, as ports do) */
		for (unsigned i = 0; i < size; i++)
			port_access(d, (uint16_t)(port + i), in, data + i, 1);
	} else if (in && dev && dev->in) {
		dev->in(d, port, data, size);
	} else if (in) {
		memset(data, 0xff, size);
	} else if (dev && dev->out) {
		dev->out(d, port, data, size);
	}
}

void devices_io(struct devices *d, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	bool in = run->io.direction == KVM_EXIT_IO_IN;
	d->out_len = 0;
	for (uint32_t i = 0; i < run->io.count; i++, data += size)
		port_access(d, run->io.port, in, data, size);
	if (d->out_len && d->console) {
		fwrite(d->out, 1, d->out_len, d->console);
		fflush(d->console);
	}
}

void devices_mmio(struct devices *d, struct kvm_run *run)
{
	unsigned len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : sizeof(run->mmio.data);
	if (pc_testdev_mmio(&d->testdev, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write))
		return;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
}
