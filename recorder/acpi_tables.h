/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables a PC firmware leaves for a test kernel to find: the RSDP
 * in the BIOS area (found by scanning 0xe0000-0xfffff on 16-byte
 * boundaries), an RSDT and an XSDT, a FADT naming the PM timer and the PM1
 * blocks (acpi_pm.h) and pointing at a FACS and a DSDT, and a MADT with a
 * local APIC per vCPU, the I/O APIC, and the interrupt source overrides a
 * PC has (IRQ 0 on GSI 2, the SCI level-triggered).  The layout is fixed,
 * so a trace's initial memory holds the same tables for the same
 * configuration.
 */
#ifndef XT_ACPI_TABLES_H
#define XT_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_TABLES_BASE 0xe0000u
#define ACPI_TABLES_SIZE 0x2000u	/* what acpi_tables_build() may write */
#define ACPI_IOAPIC_BASE 0xfec00000u
#define ACPI_LAPIC_BASE 0xfee00000u
#define ACPI_SCI_IRQ 9u
#define ACPI_FACS_ADDR (ACPI_TABLES_BASE + 0x100u)	/* its waking vector: acpi_sleep.h */

/*
 * Write the tables for nb_cpus vCPUs (APIC IDs 0..nb_cpus-1) into buf,
 * which the guest sees at ACPI_TABLES_BASE (size >= ACPI_TABLES_SIZE).
 * Returns the bytes used, or 0 when nb_cpus does not fit.
 */
size_t acpi_tables_build(uint8_t *buf, size_t size, unsigned nb_cpus);

/* The 8-bit sum of n bytes: an ACPI table is valid when its sum is 0. */
uint8_t acpi_sum(const uint8_t *p, size_t n);

#endif
