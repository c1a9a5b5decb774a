/* SPDX-License-Identifier: MIT */
/*
 * The PC's CMOS RTC at I/O ports 0x70 (index, bit 7 the NMI mask) and
 * 0x71 (data): the time and date from the host's clock (BCD and 24-hour
 * unless register B says otherwise), register A's update-in-progress bit
 * in the last 244 us of every second, as test kernels poll it, the alarm
 * registers kept, register D's valid bit, and the rest of the 128 bytes
 * as plain CMOS memory (the memory sizes a BIOS leaves there filled in).
 * Its values depend on time: the trace records each read and replay feeds
 * them back.  It raises no interrupt.
 */
#ifndef XT_CMOS_RTC_H
#define XT_CMOS_RTC_H

#include <stdint.h>

#define CMOS_PORT_INDEX 0x70
#define CMOS_PORT_DATA 0x71
#define CMOS_REG_A 0x0a
#define CMOS_REG_B 0x0b
#define CMOS_REG_C 0x0c
#define CMOS_REG_D 0x0d
#define CMOS_A_UIP 0x80
#define CMOS_B_24H 0x02
#define CMOS_B_BINARY 0x04

struct cmos_rtc {
	uint8_t index;
	uint8_t ram[128];
};

void cmos_rtc_init(struct cmos_rtc *c, uint64_t ram_size);

/* Register reg's value at the wall-clock time now (ns since the epoch). */
uint8_t cmos_rtc_get(struct cmos_rtc *c, unsigned reg, uint64_t now_ns);

void cmos_rtc_read(struct cmos_rtc *c, uint16_t port, uint8_t *data, unsigned size);
void cmos_rtc_write(struct cmos_rtc *c, uint16_t port, const uint8_t *data, unsigned size);

#endif
