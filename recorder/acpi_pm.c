// SPDX-License-Identifier: MIT
#include <string.h>
#include <time.h>

#include "acpi_pm.h"

static uint64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void acpi_pm_init(struct acpi_pm *pm)
{
	memset(pm, 0, sizeof(*pm));
	pm->start_ns = monotonic_ns();
}

uint32_t acpi_pm_timer(const struct acpi_pm *pm, uint64_t now_ns)
{
	uint64_t ns = now_ns - pm->start_ns;
	/* ns * 3579545 / 1e9 without overflow for centuries: split seconds and the rest */
	uint64_t ticks = ns / 1000000000ull * ACPI_PM_TIMER_HZ +
			 ns % 1000000000ull * ACPI_PM_TIMER_HZ / 1000000000ull;
	return (uint32_t)(ticks & 0xffffff);
}

/*
 * The block is byte-addressed, as the chipset's registers are: an access of
 * any width at any port reads or writes each of its bytes in its place, so
 * SLP_EN written as the high byte of PM1a control (0xb005) is a sleep
 * request, and a dword read at 0xb006 holds the timer's low bytes.  Bytes
 * past the block read as all-ones, like any port no device has.
 */
static uint8_t pm_byte(const struct acpi_pm *pm, unsigned off, uint32_t timer)
{
	switch (off) {
	case 0: case 1: return (uint8_t)(pm->pm1_sts >> (8 * off));
	case 2: case 3: return (uint8_t)(pm->pm1_en >> (8 * (off - 2)));
	case 4: case 5: return (uint8_t)(pm->pm1_cnt >> (8 * (off - 4)));
	case 8: case 9: case 10: case 11: return (uint8_t)(timer >> (8 * (off - 8)));
	default: return 0;	/* PM1b and reserved */
	}
}

void acpi_pm_read(struct acpi_pm *pm, uint16_t port, uint8_t *data, unsigned size)
{
	unsigned first = port - ACPI_PM_BASE;
	/* the clock is read once, and only for an access that reaches the timer */
	uint32_t timer = first + size > ACPI_PM_TMR_BLK - ACPI_PM_BASE ? acpi_pm_timer(pm, monotonic_ns()) : 0;
	for (unsigned i = 0; i < size; i++)
		data[i] = first + i < ACPI_PM_LEN ? pm_byte(pm, first + i, timer) : 0xff;
}

static uint16_t with_byte(uint16_t v, unsigned byte, uint8_t b)
{
	return (uint16_t)((v & ~(0xffu << (8 * byte))) | (unsigned)b << (8 * byte));
}

void acpi_pm_write(struct acpi_pm *pm, uint16_t port, const uint8_t *data, unsigned size)
{
	unsigned first = port - ACPI_PM_BASE;
	uint16_t sts_clear = 0, en = pm->pm1_en, cnt = pm->pm1_cnt;
	bool cnt_written = false;
	for (unsigned i = 0; i < size && first + i < ACPI_PM_LEN; i++) {
		unsigned off = first + i;
		if (off < 2) {
			sts_clear = with_byte(sts_clear, off, data[i]);
		} else if (off < 4) {
			en = with_byte(en, off - 2, data[i]);
		} else if (off < 6) {
			cnt = with_byte(cnt, off - 4, data[i]);
			cnt_written = true;
		}	/* the timer is read-only */
	}
	pm->pm1_sts &= (uint16_t)~sts_clear;	/* status bits clear when written with 1 */
	pm->pm1_en = en;
	if (!cnt_written)
		return;
	pm->pm1_cnt = (uint16_t)(cnt & ~ACPI_PM1_SLP_EN);
	if (cnt & ACPI_PM1_SLP_EN) {
		pm->sleep_requested = true;
		pm->sleep_type = (uint8_t)((cnt >> 10) & 7);
	}
}
