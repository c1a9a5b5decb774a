/* SPDX-License-Identifier: MIT */
/*
 * The clock of --capture time (format/SPEC.md 4.1): the TSC, read with
 * rdtsc around each KVM_RUN, stored shifted right so that a tick is 80 ns
 * or more.  rdtsc is the cheapest clock a process can read (no vDSO call,
 * no seqlock); it is only a clock where it runs at a constant rate.
 */
#ifndef XT_HOST_CLOCK_H
#define XT_HOST_CLOCK_H

#include <stdint.h>
#include <x86intrin.h>

#include "exitrace.h"

/*
 * A tick of the trace is at least 80 ns: the finer bits of a KVM_RUN's
 * duration are noise, which zstd cannot shrink, twice a step (two
 * fields).  Measured on a 2.1 GHz host (the bench's spin and memio
 * guests), bytes a step for the two: 2.8 at 15 ns, 1.8-2.3 at 61 ns,
 * 1.4-1.8 at 122 ns.
 */
#define HOST_CLOCK_MAX_HZ 12500000ull

struct host_clock {
	uint64_t tsc_hz;	/* the TSC's frequency */
	unsigned shift;		/* trace ticks are TSC >> shift */
	uint64_t hz;		/* tsc_hz >> shift: the header's time_hz */
	uint64_t t0;		/* the TSC when the recording began */
};

/*
 * Find the TSC's frequency (CPUID 0x15/0x16, else measured against
 * CLOCK_MONOTONIC for 20 ms) and the shift.  0, or -ENOTSUP with err set
 * when the TSC is not invariant.
 */
int host_clock_init(struct host_clock *c, struct xt_error *err);

static inline uint64_t host_clock_now(void)
{
	return __rdtsc();
}

/*
 * Time since the recording began, in trace ticks, of a vCPU whose KVM_RUNs
 * took run_tsc TSC cycles in all and whose last one returned at returned.
 * Each total is rounded on its own, so rounding never adds up over steps.
 */
static inline void host_clock_split(const struct host_clock *c, uint64_t run_tsc, uint64_t returned,
				    uint64_t *run, uint64_t *out)
{
	uint64_t total = (returned - c->t0) >> c->shift;
	*run = run_tsc >> c->shift;
	*out = total - *run;
}

#endif
