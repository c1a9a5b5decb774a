/* SPDX-License-Identifier: MIT */
/*
 * The ACPI power-management I/O block the FADT describes, at QEMU's PIIX4
 * addresses: PM1a event (status and enable, 0xb000), PM1a control
 * (0xb004) and the PM timer (0xb008), a 24-bit counter at 3.579545 MHz
 * from the host's monotonic clock.  Its values depend on time, so the
 * trace records each read (the exit's data) and replay feeds them back.
 * Sleep states are not entered: a write of SLP_EN is kept and read back.
 */
#ifndef XT_ACPI_PM_H
#define XT_ACPI_PM_H

#include <stdint.h>

#define ACPI_PM_BASE 0xb000u
#define ACPI_PM1_EVT_BLK ACPI_PM_BASE
#define ACPI_PM1_CNT_BLK (ACPI_PM_BASE + 4)
#define ACPI_PM_TMR_BLK (ACPI_PM_BASE + 8)
#define ACPI_PM_TIMER_HZ 3579545ull

struct acpi_pm {
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t start_ns;	/* CLOCK_MONOTONIC when the VM was made: the timer's 0 */
};

void acpi_pm_init(struct acpi_pm *pm);

/* The timer's value at now_ns (24 bits). */
uint32_t acpi_pm_timer(const struct acpi_pm *pm, uint64_t now_ns);

void acpi_pm_read(struct acpi_pm *pm, uint16_t port, uint8_t *data, unsigned size);
void acpi_pm_write(struct acpi_pm *pm, uint16_t port, const uint8_t *data, unsigned size);

#endif
