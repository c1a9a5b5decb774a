/* SPDX-License-Identifier: MIT */
/*
 * Little-endian values in guest memory and in I/O data, as x86 lays them
 * out: the tables the recorder writes for the guest, and the value of an
 * OUT of 1, 2 or 4 bytes.  This host is x86 too, so a copy is the order.
 */
#ifndef XT_LE_BYTES_H
#define XT_LE_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void le_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* The first size bytes at p as a number, at most 4 of them (an I/O access's data). */
static inline uint32_t le_io_value(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;
	memcpy(&v, p, size < 4 ? size : 4);
	return v;
}

#endif
