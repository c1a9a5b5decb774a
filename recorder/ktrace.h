/* SPDX-License-Identifier: MIT */
/*
 * --ktrace: the kernel's own view of interrupts (kvm:kvm_apic_accept_irq,
 * kvm_inj_virq, kvm_apicv_accept_irq, kvm_apicv_inhibit_changed, ...) from
 * a tracefs instance of our own, filtered to the recorder's thread.  Field
 * layouts come from each event's format file at run time (libtracefs /
 * libtraceevent).  Each event is placed at the step during whose KVM_RUN it
 * happened, by comparing its timestamp (trace clock "mono") with the time
 * each KVM_RUN returned.
 */
#ifndef XT_KTRACE_H
#define XT_KTRACE_H

#include <sys/types.h>

#include "exitrace.h"

struct ktrace;

/*
 * Create the instance and enable the events, before the VM exists.  First
 * remove the instances that exitrace processes no longer running left
 * behind (killed by SIGKILL, they could not remove theirs), and say so
 * through notice (one line, without a newline) if it is set.
 */
int ktrace_open(struct ktrace **out, pid_t pid, void (*notice)(const char *msg), struct xt_error *err);
/* KVM_RUN for this step has returned now (step 0: the first KVM_RUN is about to start). */
void ktrace_mark(struct ktrace *kt, uint64_t step);
/* Move the events gathered so far into the trace as XT_EV_KTRACE events. */
int ktrace_collect(struct ktrace *kt, struct xt_writer *w, struct xt_error *err);
/* Remove the instance.  Accepts NULL. */
void ktrace_close(struct ktrace *kt);

#endif
