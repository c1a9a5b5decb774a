/* SPDX-License-Identifier: MIT */
/*
 * Who the host is: kernel, CPU, the KVM module and all its parameters
 * (above all enable_apicv / avic), API version and the capabilities
 * exitrace depends on.  Recorded in every trace header; compared by replay.
 */
#ifndef XT_HOST_PROBE_H
#define XT_HOST_PROBE_H

#include <sys/utsname.h>

#include "kvm_vm.h"

struct host_info {
	struct xt_host host;	/* points into the storage below */
	char release[sizeof(((struct utsname *)0)->release)], version[sizeof(((struct utsname *)0)->version)];
	char machine[sizeof(((struct utsname *)0)->machine)];
	char vendor[32], model_name[128], module[32];
	struct xt_kv *params;
	size_t n_params;
	struct xt_cap caps[32];
};

/* Fill hi from uname, /proc/cpuinfo, /sys/module and the VM's KVM fd.  Never fails:
 * what cannot be read is left empty. */
void host_probe(struct host_info *hi, const struct kvm_vm *vm);
void host_info_free(struct host_info *hi);

#endif
