// SPDX-License-Identifier: MIT
/*
 * The CMOS RTC's registers at set times: BCD and binary, 24- and 12-hour,
 * the update-in-progress window, register C cleared by reading, the
 * read-only registers, the memory sizes a BIOS leaves, the index port.
 */
#include "cmos_rtc.h"
#include "test_util.h"

#define NS 1000000000ull
/* 2026-12-06 13:04:05 UTC, a Sunday */
#define T0 (1796562245ull * NS)

int main(void)
{
	struct cmos_rtc c;
	cmos_rtc_init(&c, 128ull << 20);
	TEST_EQ_U64(0x05, cmos_rtc_get(&c, 0x00, T0), "seconds, BCD");
	TEST_EQ_U64(0x04, cmos_rtc_get(&c, 0x02, T0), "minutes");
	TEST_EQ_U64(0x13, cmos_rtc_get(&c, 0x04, T0), "hours, 24-hour BCD");
	TEST_EQ_U64(0x01, cmos_rtc_get(&c, 0x06, T0), "weekday: Sunday is 1");
	TEST_EQ_U64(0x06, cmos_rtc_get(&c, 0x07, T0), "day of month");
	TEST_EQ_U64(0x12, cmos_rtc_get(&c, 0x08, T0), "month");
	TEST_EQ_U64(0x26, cmos_rtc_get(&c, 0x09, T0), "year");
	TEST_EQ_U64(0x20, cmos_rtc_get(&c, 0x32, T0), "century");
	TEST_EQ_U64(0x80, cmos_rtc_get(&c, CMOS_REG_D, T0), "register D: valid");

	/* UIP: the last 244 us of a second */
	TEST_EQ_U64(0, cmos_rtc_get(&c, CMOS_REG_A, T0 + NS - 245000) & CMOS_A_UIP, "UIP clear before");
	TEST_EQ_U64(CMOS_A_UIP, cmos_rtc_get(&c, CMOS_REG_A, T0 + NS - 1000) & CMOS_A_UIP, "UIP set in the window");
	TEST_EQ_U64(0, cmos_rtc_get(&c, CMOS_REG_A, T0 + NS) & CMOS_A_UIP, "clear at the second");

	/* register B: binary, then 12-hour */
	uint8_t b = CMOS_REG_B;
	cmos_rtc_write(&c, CMOS_PORT_INDEX, &b, 1);
	uint8_t v = CMOS_B_BINARY | CMOS_B_24H;
	cmos_rtc_write(&c, CMOS_PORT_DATA, &v, 1);
	TEST_EQ_U64(13, cmos_rtc_get(&c, 0x04, T0), "hours, binary");
	v = CMOS_B_BINARY;
	cmos_rtc_write(&c, CMOS_PORT_DATA, &v, 1);
	TEST_EQ_U64(0x81, cmos_rtc_get(&c, 0x04, T0), "hours, 12-hour: 1 PM");

	/* C reads to clear; C and D are read-only; alarms and CMOS memory keep what is written */
	c.ram[CMOS_REG_C] = 0x20;
	TEST_EQ_U64(0x20, cmos_rtc_get(&c, CMOS_REG_C, T0), "C's flags");
	TEST_EQ_U64(0, cmos_rtc_get(&c, CMOS_REG_C, T0), "cleared by the read");
	uint8_t idx = 0x8d, ff = 0xff;	/* bit 7 of the index is the NMI mask */
	cmos_rtc_write(&c, CMOS_PORT_INDEX, &idx, 1);
	cmos_rtc_write(&c, CMOS_PORT_DATA, &ff, 1);
	TEST_EQ_U64(0x80, cmos_rtc_get(&c, CMOS_REG_D, T0), "D ignores writes");
	idx = 0x03;
	cmos_rtc_write(&c, CMOS_PORT_INDEX, &idx, 1);
	cmos_rtc_write(&c, CMOS_PORT_DATA, &ff, 1);
	uint8_t got;
	cmos_rtc_read(&c, CMOS_PORT_DATA, &got, 1);
	TEST_EQ_U64(0xff, got, "the minutes alarm reads back");
	cmos_rtc_read(&c, CMOS_PORT_INDEX, &got, 1);
	TEST_EQ_U64(0xff, got, "the index port reads as all-ones");

	/* memory sizes: 128 MiB -> 63 MiB cap from 1 MiB, 112 MiB above 16 MiB in 64 KiB units */
	TEST_EQ_U64(0x80, c.ram[0x15], "base memory 640 KiB (low byte)");
	TEST_EQ_U64(0xfc00, c.ram[0x17] | c.ram[0x18] << 8, "extended memory, capped");
	TEST_EQ_U64(112 * 16, c.ram[0x34] | c.ram[0x35] << 8, "memory above 16 MiB");
	return 0;
}
