// SPDX-License-Identifier: MIT
#include <string.h>

#include "acpi_pm.h"
#include "acpi_tables.h"
#include "le_bytes.h"

/* Where each table goes, from ACPI_TABLES_BASE (the FACS must be 64-byte aligned). */
#define OFF_RSDP 0x000u
#define OFF_RSDT 0x040u
#define OFF_XSDT 0x080u
#define OFF_FACS (ACPI_FACS_ADDR - ACPI_TABLES_BASE)
#define OFF_DSDT 0x140u
#define OFF_FADT 0x180u
#define OFF_MADT 0x200u
#define HEADER_LEN 36u
#define FADT_LEN 116u		/* the ACPI 1.0 layout: all a PC's legacy blocks, 32-bit addresses */
#define MAX_CPUS 255u

#define FADT_WBINVD (1u << 0)
#define FADT_RTC_S4 (1u << 7)
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define MADT_PCAT_COMPAT 1u
#define MADT_LAPIC_ENABLED 1u
#define MPS_ACTIVE_HIGH_LEVEL 0x000du	/* polarity 01, trigger mode 11 */
#define CMOS_CENTURY 0x32u

uint8_t acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* The common header of a table of len bytes; its checksum is set once the body is written. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le_put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "EXITRC", 6);
	memcpy(t + 16, "EXITRACE", 8);
	le_put32(t + 24, 1);
	memcpy(t + 28, "XTRC", 4);
	le_put32(t + 32, 1);
}

static void seal(uint8_t *t)
{
	uint32_t len;
	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = (uint8_t)-acpi_sum(t, len);
}

static size_t madt(uint8_t *t, unsigned nb_cpus)
{
	size_t n = HEADER_LEN;
	le_put32(t + n, ACPI_LAPIC_BASE);
	le_put32(t + n + 4, MADT_PCAT_COMPAT);
	n += 8;
	for (unsigned i = 0; i < nb_cpus; i++, n += 8) {
		t[n] = 0;		/* processor local APIC */
		t[n + 1] = 8;
		t[n + 2] = (uint8_t)i;	/* ACPI processor UID */
		t[n + 3] = (uint8_t)i;	/* APIC ID */
		le_put32(t + n + 4, MADT_LAPIC_ENABLED);
	}
	t[n] = 1;			/* I/O APIC: ID 0, GSIs from 0 */
	t[n + 1] = 12;
	le_put32(t + n + 4, ACPI_IOAPIC_BASE);
	n += 12;
	t[n] = 2;			/* the PIT's IRQ 0 arrives on GSI 2, as on every PC */
	t[n + 1] = 10;
	le_put32(t + n + 4, 2);
	n += 10;
	t[n] = 2;			/* the SCI: level-triggered, active high */
	t[n + 1] = 10;
	t[n + 3] = ACPI_SCI_IRQ;
	le_put32(t + n + 4, ACPI_SCI_IRQ);
	le_put16(t + n + 8, MPS_ACTIVE_HIGH_LEVEL);
	n += 10;
	t[n] = 4;			/* local APIC NMI: every processor's LINT1 */
	t[n + 1] = 6;
	t[n + 2] = 0xff;
	t[n + 5] = 1;
	n += 6;
	header(t, "APIC", (uint32_t)n, 3);
	seal(t);
	return n;
}

static void fadt(uint8_t *t)
{
	header(t, "FACP", FADT_LEN, 1);
	le_put32(t + 36, ACPI_TABLES_BASE + OFF_FACS);
	le_put32(t + 40, ACPI_TABLES_BASE + OFF_DSDT);
	le_put16(t + 46, ACPI_SCI_IRQ);
	/* smi_cmd 0: no SMI command port, ACPI is always on */
	le_put32(t + 56, ACPI_PM1_EVT_BLK);
	le_put32(t + 64, ACPI_PM1_CNT_BLK);
	le_put32(t + 76, ACPI_PM_TMR_BLK);
	t[88] = 4;			/* PM1 event block: status and enable */
	t[89] = 2;			/* PM1 control */
	t[91] = 4;			/* PM timer */
	le_put16(t + 96, 0x65);		/* above 100 us: no C2 */
	le_put16(t + 98, 0x3e9);		/* above 1000 us: no C3 */
	t[108] = CMOS_CENTURY;
	le_put16(t + 109, BOOT_ARCH_LEGACY_DEVICES);
	le_put32(t + 112, FADT_WBINVD | FADT_RTC_S4);	/* TMR_VAL_EXT clear: a 24-bit timer */
	seal(t);
}

size_t acpi_tables_build(uint8_t *buf, size_t size, unsigned nb_cpus)
{
	if (!nb_cpus || nb_cpus > MAX_CPUS || size < ACPI_TABLES_SIZE)
		return 0;
	memset(buf, 0, ACPI_TABLES_SIZE);

	uint8_t *facs = buf + OFF_FACS;
	memcpy(facs, "FACS", 4);
	le_put32(facs + 4, 64);
	facs[32] = 1;			/* version */

	header(buf + OFF_DSDT, "DSDT", HEADER_LEN, 1);	/* no AML: no devices to describe */
	seal(buf + OFF_DSDT);
	fadt(buf + OFF_FADT);
	size_t end = OFF_MADT + madt(buf + OFF_MADT, nb_cpus);

	uint8_t *rsdt = buf + OFF_RSDT;
	header(rsdt, "RSDT", HEADER_LEN + 8, 1);
	le_put32(rsdt + HEADER_LEN, ACPI_TABLES_BASE + OFF_FADT);
	le_put32(rsdt + HEADER_LEN + 4, ACPI_TABLES_BASE + OFF_MADT);
	seal(rsdt);
	uint8_t *xsdt = buf + OFF_XSDT;
	header(xsdt, "XSDT", HEADER_LEN + 16, 1);
	le_put64(xsdt + HEADER_LEN, ACPI_TABLES_BASE + OFF_FADT);
	le_put64(xsdt + HEADER_LEN + 8, ACPI_TABLES_BASE + OFF_MADT);
	seal(xsdt);

	uint8_t *rsdp = buf + OFF_RSDP;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "EXITRC", 6);
	rsdp[15] = 2;			/* ACPI 2.0+: the XSDT too */
	le_put32(rsdp + 16, ACPI_TABLES_BASE + OFF_RSDT);
	le_put32(rsdp + 20, 36);
	le_put64(rsdp + 24, ACPI_TABLES_BASE + OFF_XSDT);
	rsdp[8] = (uint8_t)-acpi_sum(rsdp, 20);
	rsdp[32] = (uint8_t)-acpi_sum(rsdp, 36);
	return end;
}
