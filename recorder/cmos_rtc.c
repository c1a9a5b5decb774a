// SPDX-License-Identifier: MIT
#include <string.h>
#include <time.h>

#include "cmos_rtc.h"
#include "le_bytes.h"

#define UIP_NS 244000ull		/* the update cycle's warning before each second */
#define CMOS_A_DIVIDER 0x26		/* 32.768 kHz time base, 1024 Hz periodic rate */
#define CMOS_D_VALID 0x80
#define CMOS_CENTURY 0x32

void cmos_rtc_init(struct cmos_rtc *c, uint64_t ram_size)
{
	memset(c, 0, sizeof(*c));
	c->ram[CMOS_REG_A] = CMOS_A_DIVIDER;
	c->ram[CMOS_REG_B] = CMOS_B_24H;
	c->ram[CMOS_REG_D] = CMOS_D_VALID;
	/* what a PC BIOS leaves: base memory (KiB), memory from 1 MiB (KiB, at most 63 MiB), above 16 MiB (64 KiB units) */
	le_put16(c->ram + 0x15, 640);
	uint64_t ext = ram_size > (1u << 20) ? (ram_size - (1u << 20)) >> 10 : 0;
	le_put16(c->ram + 0x17, (uint16_t)(ext > 0xfc00 ? 0xfc00 : ext));
	le_put16(c->ram + 0x30, (uint16_t)(ext > 0xfc00 ? 0xfc00 : ext));
	uint64_t high = ram_size > (16u << 20) ? (ram_size - (16u << 20)) >> 16 : 0;
	le_put16(c->ram + 0x34, (uint16_t)(high > 0xffff ? 0xffff : high));
}

static uint8_t bcd(const struct cmos_rtc *c, unsigned v)
{
	return c->ram[CMOS_REG_B] & CMOS_B_BINARY ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

uint8_t cmos_rtc_get(struct cmos_rtc *c, unsigned reg, uint64_t now_ns)
{
	time_t secs = (time_t)(now_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&secs, &tm);
	switch (reg & 0x7f) {
	case 0x00: return bcd(c, (unsigned)tm.tm_sec);
	case 0x02: return bcd(c, (unsigned)tm.tm_min);
	case 0x04:
		if (c->ram[CMOS_REG_B] & CMOS_B_24H)
			return bcd(c, (unsigned)tm.tm_hour);
		/* 12-hour: 1-12, bit 7 for PM */
		return (uint8_t)(bcd(c, (unsigned)(tm.tm_hour % 12 ? tm.tm_hour % 12 : 12)) |
				 (tm.tm_hour >= 12 ? 0x80 : 0));
	case 0x06: return bcd(c, (unsigned)tm.tm_wday + 1);
	case 0x07: return bcd(c, (unsigned)tm.tm_mday);
	case 0x08: return bcd(c, (unsigned)tm.tm_mon + 1);
	case 0x09: return bcd(c, (unsigned)(tm.tm_year % 100));
	case CMOS_CENTURY: return bcd(c, (unsigned)(1900 + tm.tm_year) / 100);
	case CMOS_REG_A:
		return (uint8_t)(c->ram[CMOS_REG_A] & 0x7f) |
		       (now_ns % 1000000000ull >= 1000000000ull - UIP_NS ? CMOS_A_UIP : 0);
	case CMOS_REG_C: {
		uint8_t flags = c->ram[CMOS_REG_C];
		c->ram[CMOS_REG_C] = 0;	/* read to clear */
		return flags;
	}
	}
	return c->ram[reg & 0x7f];
}

void cmos_rtc_read(struct cmos_rtc *c, uint16_t port, uint8_t *data, unsigned size)
{
	uint8_t v = 0xff;
	if (port == CMOS_PORT_DATA) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		v = cmos_rtc_get(c, c->index, (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec);
	}
	memset(data, v, size);
}

void cmos_rtc_write(struct cmos_rtc *c, uint16_t port, const uint8_t *data, unsigned size)
{
	(void)size;
	if (port == CMOS_PORT_INDEX) {
		c->index = data[0] & 0x7f;	/* bit 7 masks NMIs: nothing here to mask */
		return;
	}
	unsigned reg = c->index;
	if (reg == CMOS_REG_C || reg == CMOS_REG_D)
		return;		/* read-only */
	if (reg == CMOS_REG_A)
		c->ram[reg] = data[0] & 0x7f;	/* UIP is read-only */
	else if (reg > 0x09 || reg == 0x01 || reg == 0x03 || reg == 0x05)
		c->ram[reg] = data[0];	/* alarms, B and CMOS memory; the time follows the host */
}
