/* SPDX-License-Identifier: MIT */
/*
 * --capture stats: the vCPU's binary statistics (KVM_GET_STATS_FD, KVM API
 * doc 4.133).  Per step, the counters that moved become one event: they
 * show the exits the kernel handled without returning to userspace.
 */
#ifndef XT_VCPU_STATS_H
#define XT_VCPU_STATS_H

#include "kvm_vm.h"

struct vcpu_stats {
	int fd;
	size_t n;			/* cumulative counters followed */
	const char **names;
	uint32_t *offset;		/* of each counter in the data block, in u64 units */
	uint64_t data_offset, data_words;
	uint64_t *data, *last;
	uint32_t *idx;
	int64_t *delta;
};

int vcpu_stats_open(struct vcpu_stats *st, struct kvm_vm *vm, struct xt_error *err);
/* Read the counters; if any moved since the last call, fill ev and return true. */
bool vcpu_stats_event(struct vcpu_stats *st, uint64_t step, struct xt_event *ev);
void vcpu_stats_close(struct vcpu_stats *st);

#endif
