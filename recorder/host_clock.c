// SPDX-License-Identifier: MIT
#include <cpuid.h>
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "host_clock.h"
#include "rec_util.h"

#define CALIBRATE_NS 20000000ull

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Intel SDM vol. 2, CPUID leaf 15H (TSC/crystal ratio) and 16H (base frequency in MHz). */
static uint64_t cpuid_tsc_hz(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, NULL) < 0x15)
		return 0;
	__cpuid_count(0x15, 0, a, b, c, d);
	if (a && b && c)
		return (uint64_t)c * b / a;
	if (__get_cpuid_max(0, NULL) >= 0x16) {
		__cpuid_count(0x16, 0, a, b, c, d);
		if (a & 0xffff)
			return (uint64_t)(a & 0xffff) * 1000000u;
	}
	return 0;
}

/*
 * A CLOCK_MONOTONIC reading and the TSC at the same moment: the clock read
 * between two TSC reads, placed at their middle, the narrowest of a few
 * tries, since a preemption between them (tens of ms on a busy host) would
 * be taken for time.
 */
static void read_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 64; i++) {
		uint64_t a = host_clock_now(), n = mono_ns(), b = host_clock_now();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = n;
		}
	}
}

/* TSC cycles over CLOCK_MONOTONIC nanoseconds, 20 ms apart. */
static uint64_t measure_tsc_hz(void)
{
	uint64_t t0, n0, t1, n1;
	read_pair(&t0, &n0);
	struct timespec d = { 0, (long)CALIBRATE_NS };
	while (nanosleep(&d, &d) && errno == EINTR)
		;
	read_pair(&t1, &n1);
	return (uint64_t)((double)(t1 - t0) * 1e9 / (double)(n1 - n0) + 0.5);
}

int host_clock_init(struct host_clock *c, struct xt_error *err)
{
	unsigned a, b, cx, d;
	/* AMD APM vol. 3 and Intel SDM: CPUID 80000007H EDX bit 8, invariant TSC */
	if (__get_cpuid(0x80000007, &a, &b, &cx, &d) == 0 || !(d & (1u << 8)))
		return rec_err(err, -ENOTSUP, "--capture time: this CPU's TSC is not invariant "
				"(CPUID 0x80000007 EDX bit 8), so it is no clock");
	c->tsc_hz = cpuid_tsc_hz();
	if (!c->tsc_hz)
		c->tsc_hz = measure_tsc_hz();
	c->shift = 0;
	while ((c->tsc_hz >> c->shift) > HOST_CLOCK_MAX_HZ)
		c->shift++;
	c->hz = c->tsc_hz >> c->shift;
	c->t0 = host_clock_now();
	return 0;
}
