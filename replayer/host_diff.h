/* SPDX-License-Identifier: MIT */
/*
 * How the host a trace was recorded on differs from another one: kernel,
 * CPU, the KVM module and its parameters (enable_apicv / avic first: they
 * decide the interrupt path), the KVM API and capabilities, and the CPUID
 * table KVM supports.  Replay warns with it before it runs; diff lists it
 * first.
 */
#ifndef XT_HOST_DIFF_H
#define XT_HOST_DIFF_H

#include <stdbool.h>

#include "exitrace.h"

struct host_diff_item {
	char what[80];		/* "kernel release", "kvm_intel.enable_apicv", "cpuid 0x1.0 ecx" */
	char recorded[96], here[96];
	bool important;		/* changes how interrupts are delivered (APICv/AVIC, module) */
	int rank;		/* the order they are listed in: important first */
};

struct host_diff {
	struct host_diff_item *items;	/* important ones first */
	size_t n;
	size_t cpuid_differ;		/* CPUID entries that differ or exist on one side only */
};

/*
 * Compare host a (recorded) with b (here), and a's CPUID table with b's.
 * Returns 0 or -ENOMEM.  Free with host_diff_free().
 */
int host_diff(const struct xt_host *a, const struct xt_host *b,
	      const struct xt_cpuid_entry *cpuid_a, size_t na,
	      const struct xt_cpuid_entry *cpuid_b, size_t nb, struct host_diff *out);
void host_diff_free(struct host_diff *d);

#endif
