// SPDX-License-Identifier: MIT
#include <string.h>
#include <time.h>

#include "acpi_pm.h"
#include "le_bytes.h"

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

void acpi_pm_read(struct acpi_pm *pm, uint16_t port, uint8_t *data, unsigned size)
{
	uint32_t v = 0;
	unsigned off = port - ACPI_PM_BASE;
	if (port >= ACPI_PM_TMR_BLK) {
		v = acpi_pm_timer(pm, monotonic_ns()) >> (8 * (port - ACPI_PM_TMR_BLK));
	} else if (port >= ACPI_PM1_CNT_BLK) {
		v = pm->pm1_cnt >> (8 * (off - 4));
	} else {
		v = (uint32_t)pm->pm1_sts | (uint32_t)pm->pm1_en << 16;
		v >>= 8 * off;
	}
	memset(data, 0, size);
	memcpy(data, &v, size < 4 ? size : 4);
}

void acpi_pm_write(struct acpi_pm *pm, uint16_t port, const uint8_t *data, unsigned size)
{
	uint32_t v = le_io_value(data, size);
	if (port == ACPI_PM1_EVT_BLK) {
		pm->pm1_sts &= (uint16_t)~v;	/* status bits clear when written with 1 */
		if (size == 4)
			pm->pm1_en = (uint16_t)(v >> 16);
	} else if (port == ACPI_PM1_EVT_BLK + 2) {
		pm->pm1_en = (uint16_t)v;
	} else if (port == ACPI_PM1_CNT_BLK) {
		pm->pm1_cnt = (uint16_t)(v & ~ACPI_PM1_SLP_EN);
		if (v & ACPI_PM1_SLP_EN) {
			pm->sleep_requested = true;
			pm->sleep_type = (uint8_t)((v >> 10) & 7);
		}
	}
}
