// SPDX-License-Identifier: MIT
/*
 * The ACPI tables the recorder puts in the BIOS area, read the way a guest
 * reads them: every checksum, every pointer, the FADT's PM blocks, the
 * MADT's entries for 1 and 64 vCPUs; and the PM timer's arithmetic.
 */
#include <string.h>

#include "acpi_pm.h"
#include "acpi_tables.h"
#include "test_util.h"

static uint8_t mem[ACPI_TABLES_SIZE];

static uint32_t u32(uint32_t gpa)
{
	uint32_t v;
	memcpy(&v, mem + gpa - ACPI_TABLES_BASE, 4);
	return v;
}

static const uint8_t *table(uint32_t gpa, const char *sig)
{
	TEST_ASSERT(gpa >= ACPI_TABLES_BASE && gpa + 36 <= ACPI_TABLES_BASE + ACPI_TABLES_SIZE,
		    "%s at 0x%x is inside the area", sig, gpa);
	const uint8_t *t = mem + gpa - ACPI_TABLES_BASE;
	TEST_ASSERT(!memcmp(t, sig, 4), "signature %s", sig);
	uint32_t len = u32(gpa + 4);
	TEST_ASSERT(gpa + len <= ACPI_TABLES_BASE + ACPI_TABLES_SIZE, "%s's length %u", sig, len);
	TEST_EQ_U64(0, acpi_sum(t, len), "%s checksum", sig);
	return t;
}

static void check(unsigned cpus)
{
	size_t used = acpi_tables_build(mem, sizeof(mem), cpus);
	TEST_ASSERT(used && used <= ACPI_TABLES_SIZE, "built for %u vCPUs: %zu bytes", cpus, used);
	TEST_ASSERT(!memcmp(mem, "RSD PTR ", 8), "RSDP at the area's start (16-byte aligned)");
	TEST_EQ_U64(0, acpi_sum(mem, 20), "RSDP checksum (ACPI 1.0 part)");
	TEST_EQ_U64(0, acpi_sum(mem, 36), "RSDP extended checksum");
	TEST_EQ_U64(2, mem[15], "RSDP revision 2: an XSDT too");

	const uint8_t *rsdt = table(u32(ACPI_TABLES_BASE + 16), "RSDT");
	TEST_EQ_U64(36 + 8, u32(ACPI_TABLES_BASE + (uint32_t)(rsdt - mem) + 4), "two RSDT entries");
	uint32_t fadt = u32(ACPI_TABLES_BASE + (uint32_t)(rsdt - mem) + 36);
	uint32_t madt = u32(ACPI_TABLES_BASE + (uint32_t)(rsdt - mem) + 40);
	uint64_t xsdt_gpa;
	memcpy(&xsdt_gpa, mem + 24, 8);
	const uint8_t *xsdt = table((uint32_t)xsdt_gpa, "XSDT");
	uint64_t x0, x1;
	memcpy(&x0, xsdt + 36, 8);
	memcpy(&x1, xsdt + 44, 8);
	TEST_EQ_U64(fadt, x0, "XSDT and RSDT agree (FADT)");
	TEST_EQ_U64(madt, x1, "XSDT and RSDT agree (MADT)");

	table(fadt, "FACP");
	uint32_t facs = u32(fadt + 36);
	TEST_EQ_U64(0, facs % 64, "FACS 64-byte aligned");
	TEST_ASSERT(!memcmp(mem + facs - ACPI_TABLES_BASE, "FACS", 4), "FACS signature");
	TEST_EQ_U64(64, u32(facs + 4), "FACS length");
	table(u32(fadt + 40), "DSDT");
	TEST_EQ_U64(ACPI_SCI_IRQ, mem[fadt + 46 - ACPI_TABLES_BASE], "SCI");
	TEST_EQ_U64(ACPI_PM1_EVT_BLK, u32(fadt + 56), "PM1a event block");
	TEST_EQ_U64(ACPI_PM1_CNT_BLK, u32(fadt + 64), "PM1a control block");
	TEST_EQ_U64(ACPI_PM_TMR_BLK, u32(fadt + 76), "PM timer block");
	TEST_EQ_U64(4, mem[fadt + 91 - ACPI_TABLES_BASE], "PM timer length");
	TEST_EQ_U64(0, u32(fadt + 112) & (1u << 8), "TMR_VAL_EXT clear: 24 bits");

	const uint8_t *m = table(madt, "APIC");
	TEST_EQ_U64(ACPI_LAPIC_BASE, u32(madt + 36), "local APIC address");
	uint32_t len = u32(madt + 4);
	unsigned lapics = 0, ioapics = 0, overrides = 0;
	for (uint32_t off = 44; off < len; off += m[off + 1]) {
		TEST_ASSERT(m[off + 1] >= 2 && off + m[off + 1] <= len, "entry at %u fits", off);
		if (m[off] == 0) {
			TEST_EQ_U64(lapics, m[off + 3], "APIC IDs in order");
			TEST_EQ_U64(1, u32(madt + off + 4), "enabled");
			lapics++;
		} else if (m[off] == 1) {
			TEST_EQ_U64(ACPI_IOAPIC_BASE, u32(madt + off + 4), "I/O APIC address");
			ioapics++;
		} else if (m[off] == 2) {
			overrides++;
		}
	}
	TEST_EQ_U64(cpus, lapics, "one local APIC per vCPU");
	TEST_EQ_U64(1, ioapics, "one I/O APIC");
	TEST_EQ_U64(2, overrides, "IRQ 0 and the SCI overridden");
}

int main(void)
{
	check(1);
	check(64);
	TEST_EQ_U64(0, acpi_tables_build(mem, sizeof(mem), 0), "no vCPUs");
	TEST_EQ_U64(0, acpi_tables_build(mem, sizeof(mem), 256), "more than 255");
	TEST_EQ_U64(0, acpi_tables_build(mem, 100, 1), "no room");

	struct acpi_pm pm = { .start_ns = 1000 };
	TEST_EQ_U64(0, acpi_pm_timer(&pm, 1000), "0 at the start");
	TEST_EQ_U64(3579545, acpi_pm_timer(&pm, 1000 + 1000000000ull), "3579545 after a second");
	TEST_EQ_U64((3579545ull * 10) & 0xffffff, acpi_pm_timer(&pm, 1000 + 10000000000ull), "wraps at 24 bits");
	TEST_EQ_U64(357, acpi_pm_timer(&pm, 1000 + 100000), "100 us");
	uint8_t b[4];
	acpi_pm_write(&pm, ACPI_PM1_CNT_BLK, (const uint8_t *)"\x01\x04", 2);
	acpi_pm_read(&pm, ACPI_PM1_CNT_BLK, b, 2);
	TEST_ASSERT(b[0] == 1 && b[1] == 0x04, "PM1 control reads back what was written");
	TEST_ASSERT(!pm.sleep_requested, "no SLP_EN, no sleep");
	acpi_pm_write(&pm, ACPI_PM1_CNT_BLK, (const uint8_t *)"\x01\x24", 2);	/* SLP_TYP 1, SLP_EN */
	acpi_pm_read(&pm, ACPI_PM1_CNT_BLK, b, 2);
	TEST_ASSERT(b[0] == 1 && b[1] == 0x04, "SLP_EN is write-only");
	TEST_ASSERT(pm.sleep_requested && pm.sleep_type == ACPI_SLP_TYP_S3, "S3 asked for");
	return 0;
}
