// SPDX-License-Identifier: MIT
/*
 * Port accesses of every width at every offset, driven through
 * devices_io() with a kvm_run of our own (no KVM).  Before: a word OUT to
 * the CMOS index port dropped its data byte, a word IN at the UART's LSR
 * gave LSR twice, a word OUT to the UART lost its second byte, and the ACPI
 * PM block dropped every write not at a register's first port (SLP_EN as
 * PM1a control's high byte at 0xb005 never slept) and read the timer's
 * bytes only at 0xb008.  Now a byte-register device takes a wider access a
 * byte per port, and the PM block is byte-addressed.  String I/O of any
 * count and width stays inside the data KVM gave.
 */
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "test_util.h"

#define DATA_OFF 4096

static struct kvm_run *run;
static struct devices dev;

static uint8_t *io(uint16_t port, bool in, unsigned size, uint32_t count, const void *out)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = DATA_OFF;
	uint8_t *data = (uint8_t *)run + DATA_OFF;
	if (in)
		memset(data, 0xcc, (size_t)size * count);
	else
		memcpy(data, out, (size_t)size * count);
	devices_io(&dev, run);
	return data;
}

static uint64_t in_value(uint16_t port, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, io(port, true, size, 1, NULL), size);
	return v;
}

static void test_uart(void)
{
	io(0x3f8, false, 2, 1, "AB");	/* THR 'A', IER 'B' */
	TEST_EQ_U64(1, dev.out_len, "one byte to the console");
	TEST_EQ_U64('A', dev.out[0], "the first byte is the character");
	TEST_EQ_U64('B', in_value(0x3f9, 1), "the second went to IER");
	TEST_EQ_U64(0xb060, in_value(0x3fd, 2), "a word at LSR: LSR, then MSR");
	TEST_EQ_U64(0x00b0, in_value(0x3fe, 2), "a word at MSR: MSR, then the scratch register (0)");
	io(0x3ff, false, 1, 1, "\x5a");
	TEST_EQ_U64(0xffffff5a, in_value(0x3ff, 4), "past the UART the bytes are all-ones");
}

static void test_cmos(void)
{
	io(0x70, false, 2, 1, "\x0e\x5a");	/* index 0x0e, then its data */
	TEST_EQ_U64(0x5a, in_value(0x71, 1), "a word OUT at 0x70 selected and wrote CMOS 0x0e");
	TEST_EQ_U64(0x0e, dev.rtc.index, "the index stays");
	io(0x70, false, 1, 1, "\x0e");
	TEST_EQ_U64(0xffffff5a, in_value(0x71, 4), "a dword IN at 0x71: its data, then ports no device has");
	/* string I/O: 300 words to 0x70 from a buffer of alternate index and data */
	uint8_t buf[600];
	for (size_t i = 0; i < sizeof(buf); i += 2) {
		buf[i] = 0x40;
		buf[i + 1] = (uint8_t)i;
	}
	io(0x70, false, 2, 300, buf);
	TEST_EQ_U64((uint8_t)598, dev.rtc.ram[0x40], "the last of 300 words wrote its data");
}

static void test_acpi_pm(void)
{
	io(0xb003, false, 1, 1, "\x01");
	TEST_EQ_U64(0x0100, dev.pm.pm1_en, "PM1 enable's high byte alone");
	TEST_EQ_U64(0x0100, in_value(0xb002, 2), "and read back as a word");
	io(0xb005, false, 1, 1, "\x24");	/* SLP_TYP 1, SLP_EN */
	TEST_ASSERT(dev.pm.sleep_requested, "SLP_EN as the high byte of PM1a control asks for sleep");
	TEST_EQ_U64(1, dev.pm.sleep_type, "S3");
	TEST_EQ_U64(0x04, in_value(0xb005, 1), "SLP_TYP stays, SLP_EN reads 0");
	dev.pm.sleep_requested = false;
	io(0xb004, false, 1, 1, "\x01");
	TEST_ASSERT(!dev.pm.sleep_requested, "a write of the low byte keeps SLP_EN clear");
	TEST_EQ_U64(0x0401, dev.pm.pm1_cnt, "and keeps the high byte");
	io(0xb004, false, 4, 1, "\x00\x34\x00\x00");	/* a dword: SLP_TYP 5 */
	TEST_ASSERT(dev.pm.sleep_requested && dev.pm.sleep_type == 5, "a dword write reaches SLP_EN too");
	dev.pm.sleep_requested = false;
	uint64_t v = in_value(0xb00a, 4);
	TEST_EQ_U64(0xffff0000, v & 0xffffff00, "the timer's top byte (24 bits) is 0, past the block all-ones");
	v = in_value(0xb008, 4);
	TEST_EQ_U64(0, v >> 24, "a 24-bit timer");
	uint8_t big[4096];
	memset(big, 0xff, sizeof(big));
	io(0xb000, false, 4, 1024, big);	/* every status bit cleared, enable all-ones, many times */
	TEST_EQ_U64(0xffff, dev.pm.pm1_en, "string OUT of 1024 dwords");
	TEST_ASSERT(!dev.pm.sleep_requested, "0xb000 dwords do not reach PM1a control");
}

int main(void)
{
	run = calloc(1, 2 * DATA_OFF);
	TEST_ASSERT(run, "calloc");
	struct kvm_vm vm = { .vm_fd = -1, .mem_size = 128ull << 20, .irqchip = XT_IRQCHIP_NONE };
	devices_init(&dev, NULL, &vm, 1);
	test_uart();
	test_cmos();
	test_acpi_pm();
	free(run);
	return 0;
}
