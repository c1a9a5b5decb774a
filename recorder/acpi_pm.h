/* SPDX-License-Identifier: MIT */
/*
 * The ACPI power-management I/O block the FADT describes, at QEMU's PIIX4
 * addresses: PM1a event (status and enable, 0xb000), PM1a control
 * (0xb004) and the PM timer (0xb008), a 24-bit counter at 3.579545 MHz
 * from the host's monotonic clock.  Its values depend on time, so the
 * trace records each read (the exit's data) and replay feeds them back.
 * A write of SLP_EN to PM1a control asks for a sleep state: the platform
 * (acpi_sleep.h) carries it out after the step, SLP_TYP as in QEMU's DSDT
 * (1: S3, 0: S5); SLP_EN itself reads as 0.
 */
#ifndef XT_ACPI_PM_H
#define XT_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM_BASE 0xb000u
#define ACPI_PM1_EVT_BLK ACPI_PM_BASE
#define ACPI_PM1_CNT_BLK (ACPI_PM_BASE + 4)
#define ACPI_PM_TMR_BLK (ACPI_PM_BASE + 8)
#define ACPI_PM_LEN 12u	/* the ports of the block */
#define ACPI_PM_TIMER_HZ 3579545ull
#define ACPI_PM1_SLP_EN (1u << 13)
#define ACPI_SLP_TYP_S3 1u
#define ACPI_SLP_TYP_S5 0u

struct acpi_pm {
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	bool sleep_requested;	/* SLP_EN was written: the platform acts after the step */
	uint8_t sleep_type;	/* SLP_TYP of that write */
	uint64_t start_ns;	/* CLOCK_MONOTONIC when the VM was made: the timer's 0 */
};

void acpi_pm_init(struct acpi_pm *pm);

/* The timer's value at now_ns (24 bits). */
uint32_t acpi_pm_timer(const struct acpi_pm *pm, uint64_t now_ns);

void acpi_pm_read(struct acpi_pm *pm, uint16_t port, uint8_t *data, unsigned size);
void acpi_pm_write(struct acpi_pm *pm, uint16_t port, const uint8_t *data, unsigned size);

#endif
